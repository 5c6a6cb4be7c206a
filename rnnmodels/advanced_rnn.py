"""The "advanced" classifier: bidirectional stacks of residual LSTMs.

```
token ids (batch, time), 0 = <pad>
  -> Embedding(mask_zero=True), initialised from pretrained vectors
  -> forward stack:  num_layers x residual LSTM (own trainable [h0, c0])
  -> backward stack: ReverseTime -> num_layers x residual LSTM -> ReverseTime
  -> Concatenate (time-aligned: step t of both directions)
  -> MaskedGlobalMaxPooling1D
  -> Dense(relu) + Dropout, for each entry of dense_units
  -> Dense(num_classes, softmax)
```

Two interchangeable implementations of a recurrent layer:

* `"cells"` (the reference): `keras.layers.RNN(ResidualLSTMCell(units))`.
* `"fused"`: `keras.layers.LSTM(units)` plus, when the input width differs
  from `units`, a bias-free `Dense` projection of the input, summed with
  `keras.layers.Add`. `keras.layers.LSTM` keeps its defaults (tanh/sigmoid,
  bias, no recurrent dropout, no unrolling), so on a GPU with the TensorFlow
  backend it can run on cuDNN.

Both compute the same function; `copy_weights` moves the weights of one into
the other (matched by layer name, either direction).

The backward direction reverses only the valid part of every right-padded
row (`ReverseTime`), runs ordinary forward layers and reverses back. This is
equivalent to `go_backwards=True` followed by a flip (Keras' masked loop keeps
the state over the leading padding, so its backward pass also starts at the
last real token; the tests pin this), but it keeps the padding on the right
for every backward layer, as cuDNN requires, and avoids flipping between
stacked backward layers.

Masks: Keras forwards the input mask to a layer automatically only when the
layer gets a single tensor argument. Recurrent layers here also receive
`initial_state=` tensors, so each one gets its mask explicitly from a
`SequenceMask` layer; without that, padding would silently flow through the
recurrence. Sequences must be right-padded (padding id 0 only at the end).
"""

import keras
import numpy as np

from rnnmodels.masked_global_max_pooling import MaskedGlobalMaxPooling1D
from rnnmodels.residual_lstm_cell import ResidualLSTMCell
from rnnmodels.reverse_time import ReverseTime
from rnnmodels.sequence_mask import SequenceMask
from rnnmodels.trainable_initial_state import TrainableInitialState

IMPLEMENTATIONS = ("cells", "fused")
DIRECTIONS = ("forward", "backward")

#: Defaults of `create_advanced_rnn` (DESIGN.md section 3).
ADVANCED_RNN_DEFAULTS = {
    "hidden_units": 128,
    "num_layers": 3,
    "dense_units": (64, 32),
    "dropout": 0.4,
    "learning_rate": 1e-3,
    "trainable_embeddings": True,
    "implementation": "cells",
    "project_input": "auto",
}


def lstm_layer_name(direction, index):
    """Name of the recurrent layer `index` of `direction` (same in both implementations)."""
    return f"{direction}_lstm_{index}"


def projection_layer_name(direction, index):
    """Name of the fused implementation's input projection of that layer."""
    return f"{direction}_projection_{index}"


def initial_state_layer_name(direction, index):
    """Name of the `TrainableInitialState` layer of that recurrent layer."""
    return f"{direction}_initial_state_{index}"


def _needs_projection(project_input, input_dim, units, layer_name):
    if project_input is True:
        return True
    if input_dim == units:
        return False
    if project_input is False:
        raise ValueError(
            f"Layer '{layer_name}' gets inputs of width {input_dim} but has "
            f"{units} units: the residual connection needs equal widths. Pass "
            "project_input='auto' (or True) to learn a linear projection of "
            "the input."
        )
    return True


def _residual_lstm(x, mask, units, direction, index, implementation, project_input):
    """One residual LSTM layer with its own trainable initial state."""
    name = lstm_layer_name(direction, index)
    initial_state = TrainableInitialState(
        units, name=initial_state_layer_name(direction, index)
    )(x)
    if implementation == "cells":
        cell = ResidualLSTMCell(units, project_input=project_input, name=f"{name}_cell")
        rnn = keras.layers.RNN(cell, return_sequences=True, name=name)
        return rnn(x, initial_state=initial_state, mask=mask)

    lstm = keras.layers.LSTM(units, return_sequences=True, name=name)
    y = lstm(x, initial_state=initial_state, mask=mask)
    residual = x
    if _needs_projection(project_input, x.shape[-1], units, name):
        residual = keras.layers.Dense(
            units, use_bias=False, name=projection_layer_name(direction, index)
        )(x)
    return keras.layers.Add(name=f"{direction}_residual_{index}")([y, residual])


def create_advanced_rnn(
    embedding_matrix,
    num_classes,
    *,
    hidden_units=128,
    num_layers=3,
    dense_units=(64, 32),
    dropout=0.4,
    learning_rate=1e-3,
    trainable_embeddings=True,
    implementation="cells",
    project_input="auto",
    name="advanced_rnn",
):
    """Builds and compiles the bidirectional residual-LSTM classifier.

    Args:
        embedding_matrix: Float array of shape `(vocab_size, embedding_dim)`;
            row 0 is `<pad>`. The embedding layer starts from these values
            (they are stored as weights, not in the model config).
        num_classes: Number of classes (width of the softmax output).
        hidden_units: Units of every recurrent layer. Defaults to 128.
        num_layers: Recurrent layers per direction. Defaults to 3.
        dense_units: Widths of the hidden dense layers (relu, each followed
            by dropout). Defaults to `(64, 32)`.
        dropout: Dropout rate after each hidden dense layer. Defaults to 0.4.
        learning_rate: RMSprop learning rate. Defaults to `1e-3`.
        trainable_embeddings: Whether the embedding matrix is fine-tuned.
            Defaults to `True`.
        implementation: `"cells"` (`RNN(ResidualLSTMCell)`, the reference) or
            `"fused"` (`LSTM` + projection + `Add`, cuDNN-capable).
        project_input: `"auto"`, `True` or `False`; see `ResidualLSTMCell`.
            With `False` and `embedding_dim != hidden_units` a `ValueError`
            is raised.
        name: Model name.

    Returns:
        A compiled functional `keras.Model` mapping int32 token ids of shape
        `(batch, time)` to class probabilities `(batch, num_classes)`
        (RMSprop, categorical cross-entropy, accuracy).

    Example:

    >>> matrix = np.random.normal(size=(100, 8)).astype("float32")
    >>> model = create_advanced_rnn(matrix, 4, hidden_units=8, num_layers=1,
    ...                             dense_units=(4,))
    >>> model.predict(np.array([[5, 6, 7, 0]]), verbose=0).shape
    (1, 4)
    """
    embedding_matrix = np.asarray(embedding_matrix, dtype="float32")
    if embedding_matrix.ndim != 2 or embedding_matrix.shape[0] < 2:
        raise ValueError(
            "`embedding_matrix` must be a 2D array with at least 2 rows "
            f"(<pad> and one token), got shape {embedding_matrix.shape}."
        )
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f"`implementation` must be one of {IMPLEMENTATIONS}, got "
            f"{implementation!r}."
        )
    if not (isinstance(project_input, bool) or project_input == "auto"):
        raise ValueError(
            "`project_input` must be one of 'auto', True or False, got "
            f"{project_input!r}."
        )
    for arg_name, value in (
        ("num_classes", num_classes),
        ("hidden_units", hidden_units),
        ("num_layers", num_layers),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{arg_name}` must be a positive integer, got {value!r}.")
    dense_units = tuple(int(u) for u in dense_units)
    if any(u < 1 for u in dense_units):
        raise ValueError(f"`dense_units` must be positive, got {dense_units}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1), got {dropout}.")

    vocab_size, embedding_dim = embedding_matrix.shape
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(
        vocab_size,
        embedding_dim,
        mask_zero=True,
        trainable=trainable_embeddings,
        weights=[embedding_matrix],
        name="embedding",
    )(token_ids)

    # Forward direction.
    x = embedded
    mask = SequenceMask(name="forward_mask")(x)
    for i in range(num_layers):
        x = _residual_lstm(x, mask, hidden_units, "forward", i, implementation, project_input)
    forward = x

    # Backward direction: reverse each row's valid steps, run forward, undo.
    x = ReverseTime(name="backward_reverse_input")(embedded)
    mask = SequenceMask(name="backward_mask")(x)
    for i in range(num_layers):
        x = _residual_lstm(x, mask, hidden_units, "backward", i, implementation, project_input)
    backward = ReverseTime(name="backward_reverse_output")(x)

    x = keras.layers.Concatenate(name="concatenate_directions")([forward, backward])
    x = MaskedGlobalMaxPooling1D(name="max_pooling")(x)
    for i, units in enumerate(dense_units):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)

    model = keras.Model(token_ids, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --------------------------------------------------------------------------
# Weight transfer between the two implementations.


def _is_cells_layer(layer):
    return isinstance(layer, keras.layers.RNN) and isinstance(
        layer.cell, ResidualLSTMCell
    )


def _is_fused_layer(layer):
    return isinstance(layer, keras.layers.LSTM)


def _projection_name_for(lstm_name):
    direction, _, index = lstm_name.rpartition("_lstm_")
    return f"{direction}_projection_{index}"


def _canonical_variables(model):
    """Maps canonical keys to lists of variables, for either implementation.

    A recurrent layer named N contributes `N -> [kernel, recurrent_kernel,
    bias]`; its input projection (a cell weight, or a `Dense` layer in the
    fused model) contributes `projection name -> [projection]`; any other
    layer with weights contributes `layer name -> layer.weights`.
    """
    canonical = {}
    for layer in model.layers:
        if _is_cells_layer(layer) or _is_fused_layer(layer):
            cell = layer.cell
            canonical[layer.name] = [
                v for v in (cell.kernel, cell.recurrent_kernel, cell.bias) if v is not None
            ]
            projection = getattr(cell, "input_projection", None)
            if projection is not None:
                canonical[_projection_name_for(layer.name)] = [projection]
        elif layer.weights:
            if layer.name in canonical:
                raise ValueError(f"Duplicate canonical weight name '{layer.name}'.")
            canonical[layer.name] = list(layer.weights)
    return canonical


def copy_weights(src_model, dst_model):
    """Copies all weights of `src_model` into `dst_model`, matched by layer name.

    Works between any two models built by `create_advanced_rnn` with the same
    hyperparameters, in particular from `"cells"` to `"fused"` and back: the
    kernel, recurrent kernel and bias of recurrent layer N go to the layer of
    the same name, and the input projection (a `ResidualLSTMCell` weight on
    one side, a `Dense` layer named like N with `_lstm_` replaced by
    `_projection_` on the other) is matched to its counterpart.

    Args:
        src_model: Model to read the weights from.
        dst_model: Model whose weights are overwritten.

    Raises:
        ValueError: If the two models do not have the same weights (a name
            present on one side only, or a shape mismatch). Nothing is
            written in that case.
    """
    src = _canonical_variables(src_model)
    dst = _canonical_variables(dst_model)
    if set(src) != set(dst):
        raise ValueError(
            "The models do not have matching weights. Only in source: "
            f"{sorted(set(src) - set(dst))}; only in destination: "
            f"{sorted(set(dst) - set(src))}."
        )
    for key in dst:
        src_shapes = [tuple(v.shape) for v in src[key]]
        dst_shapes = [tuple(v.shape) for v in dst[key]]
        if src_shapes != dst_shapes:
            raise ValueError(
                f"Weight shapes differ for '{key}': source {src_shapes}, "
                f"destination {dst_shapes}."
            )
    for key, dst_vars in dst.items():
        for src_var, dst_var in zip(src[key], dst_vars):
            dst_var.assign(src_var.value)


def count_parameters(model):
    """Counts a model's parameters.

    Args:
        model: A built `keras.Model` (or layer).

    Returns:
        A dict with integer entries `trainable`, `non_trainable` and `total`.
    """
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    non_trainable = int(sum(np.prod(v.shape) for v in model.non_trainable_weights))
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "total": trainable + non_trainable,
    }

"""Trainable initial `[h, c]` states for an LSTM layer."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnmodels")
class TrainableInitialState(keras.layers.Layer):
    """Learned initial `[h0, c0]` of an LSTM, tiled to the batch size.

    The layer owns two weights, `initial_h` and `initial_c`, each of shape
    `(1, units)` and initialised to zeros (so an untrained model starts like
    one with the usual zero states). Calling it on any tensor whose first
    axis is the batch returns both weights tiled to that batch size, ready to
    be passed as `initial_state=` to a `keras.layers.RNN` / `keras.layers.LSTM`
    layer. Gradients flow back into the weights, so the initial state is
    learned with the rest of the model.

    Note: when an RNN layer is called with `initial_state=` tensors, Keras no
    longer forwards the mask of the input sequence to it automatically, so
    pass `mask=` explicitly (see `rnnmodels.SequenceMask`).

    Args:
        units: Positive integer, the LSTM's number of units.
        initializer: Initializer of both weights. Defaults to `"zeros"`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: Any tensor whose first axis is the batch (usually the input
            sequence of the RNN layer). Only its batch size is used; its mask,
            if any, is accepted and not propagated.

    Returns:
        A list `[h0, c0]` of two tensors of shape `(batch, units)`.

    Example:

    >>> x = np.random.random((4, 7, 3)).astype("float32")
    >>> h0, c0 = TrainableInitialState(5)(x)
    >>> tuple(h0.shape), tuple(c0.shape)
    ((4, 5), (4, 5))
    >>> seq = keras.layers.LSTM(5)(x, initial_state=[h0, c0])
    """

    def __init__(self, units, initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be a positive integer, got {units!r}.")
        self.units = units
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        self.initial_h = self.add_weight(
            shape=(1, self.units), name="initial_h", initializer=self.initializer
        )
        self.initial_c = self.add_weight(
            shape=(1, self.units), name="initial_c", initializer=self.initializer
        )

    def call(self, inputs):
        batch_size = ops.shape(inputs)[0]
        return [
            ops.tile(ops.cast(self.initial_h, self.compute_dtype), [batch_size, 1]),
            ops.tile(ops.cast(self.initial_c, self.compute_dtype), [batch_size, 1]),
        ]

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], self.units), (input_shape[0], self.units)]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config

"""An LSTM cell with a residual (skip) connection from its input to its output."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnmodels")
class ResidualLSTMCell(keras.layers.LSTMCell):
    """LSTM cell whose step output is the LSTM output plus the step input.

    For every time step the cell computes the ordinary `keras.layers.LSTMCell`
    step, `h, [h, c] = LSTMCell(x, [h_prev, c_prev])`, and returns
    `h + x` as its output. The states carried to the next step are the LSTM's
    own `[h, c]`, not the residual sum, so the recurrence is exactly that of a
    plain LSTM; only what the cell emits (and what the next layer sees) gains
    the skip connection.

    A plain residual needs the input width to equal `units`. When it does not
    (typically the first layer, fed embeddings), the input is mapped by a
    learned linear projection `x @ input_projection` (a weight of shape
    `(input_dim, units)`, no bias, created in `build`) before the addition.

    Args:
        units: Positive integer, dimensionality of the output space.
        project_input: One of `"auto"`, `True`, `False`. `"auto"` (default)
            adds the projection only when the input width differs from
            `units`; `True` always projects (also when widths match); `False`
            never projects and raises a `ValueError` in `build` when the
            widths differ.
        **kwargs: Any other `keras.layers.LSTMCell` argument (`activation`,
            `recurrent_activation`, `use_bias`, initializers, regularizers,
            constraints, `dropout`, `recurrent_dropout`, `seed`, ...), plus
            the base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 2D tensor, with shape `(batch, features)`.
        states: List of two 2D tensors of shape `(batch, units)`: the LSTM's
            previous `h` and `c`.
        training: Python boolean, whether the cell is in training mode (only
            relevant with `dropout` or `recurrent_dropout`).

    Returns:
        A tuple `(output, [h, c])` where `output = h + x` (or
        `h + x @ input_projection`) has shape `(batch, units)`.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype("float32")
    >>> rnn = keras.layers.RNN(ResidualLSTMCell(8), return_sequences=True)
    >>> tuple(rnn(inputs).shape)
    (32, 10, 8)
    >>> # Input width 8 != 4 units: a learned projection is added.
    >>> rnn = keras.layers.RNN(ResidualLSTMCell(4))
    >>> tuple(rnn(inputs).shape)
    (32, 4)
    """

    def __init__(self, units, project_input="auto", **kwargs):
        if not (isinstance(project_input, bool) or project_input == "auto"):
            raise ValueError(
                "`project_input` must be one of 'auto', True or False, got "
                f"{project_input!r}."
            )
        super().__init__(units, **kwargs)
        self.project_input = project_input
        self.input_projection = None

    def _needs_projection(self, input_dim):
        if self.project_input is True:
            return True
        if input_dim == self.units:
            return False
        if self.project_input is False:
            raise ValueError(
                f"ResidualLSTMCell '{self.name}' got inputs of width "
                f"{input_dim} but has units={self.units}: the residual "
                "`output = h + x` needs equal widths. Pass "
                "project_input='auto' (or True) to learn a linear projection "
                "of the input, or make the input width equal to `units`."
            )
        return True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                "ResidualLSTMCell needs a known input width (last dimension), "
                f"got input_shape={input_shape}."
            )
        use_projection = self._needs_projection(input_dim)
        super().build(input_shape)
        if use_projection:
            self.input_projection = self.add_weight(
                shape=(input_dim, self.units),
                name="input_projection",
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
        else:
            self.input_projection = None

    def call(self, inputs, states, training=False):
        output, new_states = super().call(inputs, states, training=training)
        if self.input_projection is not None:
            residual = ops.matmul(inputs, self.input_projection)
        else:
            residual = inputs
        return output + residual, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "project_input": self.project_input,
                # `LSTMCell` accepts `implementation` but leaves it out of its
                # own config; keep it so a round trip rebuilds the same cell.
                "implementation": self.implementation,
            }
        )
        return config

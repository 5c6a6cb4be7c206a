"""Reverse the valid part of right-padded sequences along the time axis."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnmodels")
class ReverseTime(keras.layers.Layer):
    """Reverses each sequence in time, leaving right padding where it is.

    For a right-padded row `[a, b, c, <pad>, <pad>]` the output is
    `[c, b, a, <pad>, <pad>]`: only the first `length` steps are reversed,
    where `length` is one past the last valid step of the row's mask. The
    padding therefore stays on the right, the mask is unchanged, and the
    layer is its own inverse. Without a mask the whole time axis is flipped.

    This is how the backward direction of a bidirectional RNN stack is built
    here: reverse, run ordinary (forward) recurrent layers, reverse again.
    The backward pass then starts at each row's last real token, the masks
    stay right-padded (which is what cuDNN requires), and appending extra
    padding to a batch changes nothing.

    Args:
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of shape `(batch, steps, ...)`.
        mask: Optional boolean tensor of shape `(batch, steps)`. Set
            automatically by masking layers upstream. The output mask is the
            input mask reversed the same way (for right-padded masks: the
            input mask itself).

    Returns:
        A tensor of the same shape and dtype as `inputs`.

    Example:

    >>> x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]], dtype="float32")
    >>> mask = x != 0
    >>> ReverseTime()(x[..., None], mask=mask)[..., 0].numpy().tolist()
    [[3.0, 2.0, 1.0, 0.0, 0.0], [8.0, 7.0, 6.0, 5.0, 4.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    @staticmethod
    def _reversal_indices(mask):
        # For each row: length = one past its last valid step (0 if none);
        # step t < length reads from length - 1 - t, later steps stay put.
        # Written with shape-free ops so that it also runs symbolically
        # (Keras records the symbolic mask computation in functional graphs).
        mask = ops.cast(mask, "bool")
        positions = ops.cumsum(ops.ones_like(mask, dtype="int32"), axis=1) - 1
        lengths = ops.max(
            ops.where(mask, positions + 1, ops.zeros_like(positions)),
            axis=1,
            keepdims=True,
        )
        return ops.where(positions < lengths, lengths - 1 - positions, positions)

    @staticmethod
    def _gather(x, indices):
        for _ in range(len(x.shape) - 2):
            indices = ops.expand_dims(indices, -1)
        # `take_along_axis` broadcasts the trailing axes of `indices`.
        return ops.take_along_axis(x, indices, axis=1)

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.flip(inputs, axis=1)
        return self._gather(inputs, self._reversal_indices(mask))

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        mask = ops.cast(mask, "bool")
        return self._gather(mask, self._reversal_indices(mask))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config()

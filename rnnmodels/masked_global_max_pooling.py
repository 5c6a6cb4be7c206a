"""Global max pooling over the valid (unmasked) time steps of a sequence."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="rnnmodels")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over the valid time steps only, for padded+masked or ragged input.

    `keras.layers.GlobalMaxPooling1D` ignores masks, so a padded position
    holding a large value would win the max. This layer takes the maximum
    of every feature over the time steps whose mask is `True` (or, for a
    `tf.RaggedTensor`, over the steps that exist in each row). A row with no
    valid step at all yields zeros, never `-inf` or `NaN`.

    The mask is consumed: the output has no time axis, so `compute_mask`
    returns `None`.

    Args:
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 3D tensor of shape `(batch, steps, features)`, or a
            `tf.RaggedTensor` of shape `(batch, None, features)` whose ragged
            dimension is the time axis.
        mask: Optional boolean tensor of shape `(batch, steps)`; `True` marks
            a valid step. Set automatically when the input comes from a
            masking layer such as `Embedding(mask_zero=True)`. Ignored for
            ragged inputs, whose row lengths already say which steps exist.

    Returns:
        A 2D tensor of shape `(batch, features)`.

    Example:

    >>> x = np.array([[[1, 3], [4, -2], [0, 11]],
    ...               [[9, -3], [8, -2], [100, -5]]], dtype="float32")
    >>> mask = np.array([[True, True, True], [True, True, False]])
    >>> MaskedGlobalMaxPooling1D()(x, mask=mask).numpy().tolist()
    [[4.0, 11.0], [9.0, -2.0]]
    >>> ragged = tf.ragged.constant([[[1., 3.], [4., -2.], [0., 11.]],
    ...                              [[9., -3.], [8., -2.]]], ragged_rank=1)
    >>> MaskedGlobalMaxPooling1D()(ragged).numpy().tolist()
    [[4.0, 11.0], [9.0, -2.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if isinstance(inputs, tf.RaggedTensor):
            # `to_tensor` pads to the longest row, as does `sequence_mask`.
            mask = tf.sequence_mask(inputs.row_lengths())
            inputs = inputs.to_tensor()
        inputs = tf.convert_to_tensor(inputs)
        if mask is None:
            if inputs.shape[1] == 0:
                return tf.zeros_like(inputs[:, 0, :])
            return tf.reduce_max(inputs, axis=1)
        mask = tf.cast(mask, tf.bool)
        lowest = tf.constant(inputs.dtype.min, dtype=inputs.dtype)
        masked = tf.where(mask[:, :, tf.newaxis], inputs, lowest)
        maxima = tf.reduce_max(masked, axis=1)
        has_valid_step = tf.reduce_any(mask, axis=1, keepdims=True)
        return tf.where(has_valid_step, maxima, tf.zeros_like(maxima))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return super().get_config()

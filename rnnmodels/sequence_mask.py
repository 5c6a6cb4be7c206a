"""Expose the Keras mask of a sequence as an ordinary tensor."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnmodels")
class SequenceMask(keras.layers.Layer):
    """Returns the time-step mask attached to its input as a boolean tensor.

    Keras passes the mask of a layer's input to it automatically only when
    the layer is called with a single tensor argument. An RNN layer called
    with `initial_state=` tensors therefore silently runs *unmasked* (padding
    is fed through the recurrence). Use this layer to get the mask as a
    regular tensor of the functional graph and pass it explicitly:

    ```python
    mask = SequenceMask()(x)
    y = keras.layers.LSTM(8, return_sequences=True)(
        x, initial_state=TrainableInitialState(8)(x), mask=mask)
    ```

    Args:
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of shape `(batch, steps, ...)`.
        mask: Boolean tensor of shape `(batch, steps)`, set automatically by
            upstream masking layers. When there is none, every step is valid.

    Returns:
        A boolean tensor of shape `(batch, steps)` (all `True` when the input
        has no mask).

    Example:

    >>> ids = np.array([[5, 2, 0], [7, 0, 0]])
    >>> x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    >>> SequenceMask()(x).numpy().tolist()
    [[True, True, False], [True, False, False]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.ones(ops.shape(inputs)[:2], dtype="bool")
        return ops.cast(mask, "bool")

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_spec(self, inputs, mask=None):
        return keras.KerasTensor(inputs.shape[:2], dtype="bool")

    def get_config(self):
        return super().get_config()

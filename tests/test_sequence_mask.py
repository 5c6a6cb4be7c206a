"""Tests for rnnmodels.sequence_mask."""
import keras
import numpy as np

from rnnmodels.sequence_mask import SequenceMask
from rnnmodels.trainable_initial_state import TrainableInitialState


def test_returns_the_keras_mask_or_all_true():
    ids = np.array([[5, 2, 0], [7, 0, 0]])
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    np.testing.assert_array_equal(SequenceMask()(x), ids != 0)
    np.testing.assert_array_equal(SequenceMask()(np.zeros((2, 3, 1), "float32")), np.ones((2, 3), bool))
    assert SequenceMask().compute_mask(x, ids != 0) is None


def test_explicit_mask_makes_rnn_with_initial_state_ignore_padding(tmp_path):
    """An RNN called with initial_state= does not get the input mask from Keras
    automatically; passing SequenceMask's output restores masking."""
    keras.utils.set_random_seed(5)
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    init = TrainableInitialState(2)
    out = keras.layers.LSTM(2)(x, initial_state=init(x), mask=SequenceMask()(x))
    model = keras.Model(ids, out)
    init.set_weights([np.full((1, 2), 0.5), np.full((1, 2), -0.3)])
    a = np.array([[3, 4, 5, 0], [6, 0, 0, 0]], "int32")
    b = np.pad(a, [(0, 0), (0, 5)])
    np.testing.assert_allclose(model.predict(a, verbose=0), model.predict(b, verbose=0), atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.predict(b, verbose=0), model.predict(b, verbose=0))


def test_registered():
    assert keras.saving.get_registered_name(SequenceMask) == "rnnmodels>SequenceMask"
    assert SequenceMask.from_config(SequenceMask(name="m").get_config()).name == "m"

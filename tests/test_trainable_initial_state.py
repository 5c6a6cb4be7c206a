"""Tests for rnnmodels.trainable_initial_state."""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnmodels.trainable_initial_state import TrainableInitialState


def test_weights_created_in_build_zero_initialised_and_tiled():
    layer = TrainableInitialState(4)
    assert not layer.weights  # nothing before build
    x = np.zeros((3, 5, 2), "float32")
    h0, c0 = layer(x)
    assert [w.name for w in layer.weights] == ["initial_h", "initial_c"]
    assert all(tuple(w.shape) == (1, 4) and w.trainable for w in layer.weights)
    assert h0.shape == (3, 4) and c0.shape == (3, 4)
    np.testing.assert_array_equal(h0, np.zeros((3, 4)))
    layer.set_weights([np.arange(4).reshape(1, 4), -np.arange(4).reshape(1, 4)])
    h0, c0 = layer(np.zeros((2, 9, 2), "float32"))
    np.testing.assert_array_equal(h0, [[0, 1, 2, 3]] * 2)
    np.testing.assert_array_equal(c0, [[0, -1, -2, -3]] * 2)


def test_gradients_reach_both_weights_through_an_lstm():
    keras.utils.set_random_seed(0)
    x = np.random.normal(size=(2, 3, 5)).astype("float32")
    init = TrainableInitialState(4)
    lstm = keras.layers.LSTM(4)
    with tf.GradientTape() as tape:
        out = lstm(x, initial_state=init(x))
        loss = tf.reduce_sum(out**2)
    grads = tape.gradient(loss, init.trainable_weights)
    assert len(grads) == 2
    for grad in grads:
        assert grad is not None and np.any(grad.numpy() != 0)


def test_accepts_masked_input_without_warning_and_propagates_no_mask():
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    layer = TrainableInitialState(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h0, c0 = layer(x)
    assert getattr(h0, "_keras_mask", None) is None
    assert layer.compute_mask(x, None) is None


def test_config_round_trip_and_registration():
    layer = TrainableInitialState(6, initializer="ones", name="init")
    config = layer.get_config()
    assert config["units"] == 6 and "initializer" in config
    clone = TrainableInitialState.from_config(config)
    assert clone.get_config() == config
    h0, _ = clone(np.zeros((2, 1, 1), "float32"))
    np.testing.assert_array_equal(h0, np.ones((2, 6)))
    assert keras.saving.get_registered_name(TrainableInitialState) == "rnnmodels>TrainableInitialState"


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_invalid_units(bad):
    with pytest.raises(ValueError):
        TrainableInitialState(bad)

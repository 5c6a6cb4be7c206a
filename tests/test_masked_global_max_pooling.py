"""Tests for rnnmodels.masked_global_max_pooling (DESIGN.md section 3)."""
import keras
import numpy as np
import tensorflow as tf

from rnnmodels.masked_global_max_pooling import MaskedGlobalMaxPooling1D

X = np.array([[[1, 3], [4, -2], [0, 11]], [[9, -3], [8, -2], [100, -5]]], dtype="float32")
MASK = np.array([[True, True, True], [True, True, False]])


def test_design_example():
    out = MaskedGlobalMaxPooling1D()(X, mask=MASK)
    assert np.array_equal(out.numpy(), [[4, 11], [9, -2]])


def test_ragged_equals_padded_plus_mask():
    ragged = tf.ragged.constant([[[1, 3], [4, -2], [0, 11]], [[9, -3], [8, -2]]], dtype=tf.float32, ragged_rank=1)
    layer = MaskedGlobalMaxPooling1D()
    out = layer(ragged)
    assert np.array_equal(out.numpy(), [[4, 11], [9, -2]])

    rng = np.random.default_rng(0)
    lengths = [3, 1, 5, 0, 2]
    rows = [rng.normal(size=(n, 4)).astype("float32") - 50 for n in lengths]
    ragged = tf.RaggedTensor.from_row_lengths(np.concatenate(rows), lengths)
    padded = np.full((5, 7, 4), 1000.0, "float32")  # padding larger than any value
    for i, row in enumerate(rows):
        padded[i, : len(row)] = row
    mask = np.arange(7)[None, :] < np.array(lengths)[:, None]
    np.testing.assert_array_equal(layer(ragged).numpy(), layer(padded, mask=mask).numpy())

    @tf.function
    def traced(r):
        return layer(r)

    np.testing.assert_array_equal(traced(ragged).numpy(), layer(padded, mask=mask).numpy())


def test_padded_positions_with_largest_values_never_win():
    x = np.array([[[1.0, -5.0], [2.0, -4.0], [1e30, 1e30], [np.inf, np.inf]]], dtype="float32")
    mask = np.array([[True, True, False, False]])
    out = MaskedGlobalMaxPooling1D()(x, mask=mask).numpy()
    np.testing.assert_array_equal(out, [[2.0, -4.0]])


def test_row_without_valid_steps_gives_zeros():
    x = np.array([[[-7.0, -8.0], [-1.0, -2.0]], [[3.0, 4.0], [5.0, 1.0]]], dtype="float32")
    mask = np.array([[False, False], [True, False]])
    out = MaskedGlobalMaxPooling1D()(x, mask=mask).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, [[0.0, 0.0], [3.0, 4.0]])
    empty = tf.RaggedTensor.from_row_lengths(np.zeros((0, 2), "float32"), [0, 0])
    np.testing.assert_array_equal(MaskedGlobalMaxPooling1D()(empty).numpy(), np.zeros((2, 2)))


def test_without_mask_is_plain_global_max():
    out = MaskedGlobalMaxPooling1D()(X)
    np.testing.assert_array_equal(out, keras.layers.GlobalMaxPooling1D()(X))


def test_mask_is_consumed_not_propagated():
    layer = MaskedGlobalMaxPooling1D()
    assert layer.supports_masking
    assert layer.compute_mask(X, MASK) is None
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    pooled = layer(x)
    assert getattr(pooled, "_keras_mask", None) is None
    # Inside a model the embedding mask is honoured.
    model = keras.Model(ids, pooled)
    a = np.array([[4, 5, 0]], "int32")
    b = np.array([[4, 5, 0, 0, 0, 0]], "int32")
    np.testing.assert_array_equal(model.predict(a, verbose=0), model.predict(b, verbose=0))


def test_config_round_trip(tmp_path):
    layer = MaskedGlobalMaxPooling1D(name="pool")
    clone = MaskedGlobalMaxPooling1D.from_config(layer.get_config())
    assert clone.name == "pool"
    assert keras.saving.get_registered_name(MaskedGlobalMaxPooling1D) == "rnnmodels>MaskedGlobalMaxPooling1D"
    ids = keras.Input((None,), dtype="int32")
    out = MaskedGlobalMaxPooling1D()(keras.layers.Embedding(10, 3, mask_zero=True)(ids))
    model = keras.Model(ids, out)
    model.save(tmp_path / "pool.keras")
    loaded = keras.models.load_model(tmp_path / "pool.keras", safe_mode=True)
    x = np.array([[1, 2, 0], [3, 0, 0]], "int32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

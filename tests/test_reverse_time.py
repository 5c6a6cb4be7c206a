"""Tests for rnnmodels.reverse_time, incl. how it relates to Keras' go_backwards."""
import keras
import numpy as np

from rnnmodels.reverse_time import ReverseTime
from rnnmodels.sequence_mask import SequenceMask
from rnnmodels.trainable_initial_state import TrainableInitialState


def test_reverses_valid_part_and_keeps_right_padding():
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [0, 0, 0, 0, 0]], dtype="float32")[..., None]
    mask = x[..., 0] != 0
    layer = ReverseTime()
    out = layer(x, mask=mask).numpy()[..., 0]
    np.testing.assert_array_equal(out, [[3, 2, 1, 0, 0], [8, 7, 6, 5, 4], [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(layer.compute_mask(x, mask), mask)
    # Its own inverse.
    np.testing.assert_array_equal(layer(layer(x, mask=mask), mask=mask), x)


def test_without_mask_flips_whole_axis():
    x = np.arange(6, dtype="float32").reshape(1, 3, 2)
    np.testing.assert_array_equal(ReverseTime()(x), x[:, ::-1])
    assert ReverseTime().compute_mask(x, None) is None


def test_mask_with_holes_is_reversed_with_the_data():
    x = np.array([[1, 0, 2, 0]], dtype="float32")[..., None]
    mask = x[..., 0] != 0
    layer = ReverseTime()
    np.testing.assert_array_equal(layer(x, mask=mask)[..., 0], [[2, 0, 1, 0]])
    np.testing.assert_array_equal(layer.compute_mask(x, mask), [[True, False, True, False]])


def test_mask_propagates_in_functional_model_and_serializes(tmp_path):
    ids = keras.Input((None,), dtype="int32")
    emb = keras.layers.Embedding(10, 2, mask_zero=True)(ids)
    rev = ReverseTime()(emb)
    model = keras.Model(ids, [rev, SequenceMask()(rev)])
    x = np.array([[1, 2, 3, 0], [4, 0, 0, 0]], "int32")
    seq, mask = model.predict(x, verbose=0)
    np.testing.assert_array_equal(mask, x != 0)
    table = model.layers[1].get_weights()[0]
    np.testing.assert_array_equal(seq[0, :3], table[[3, 2, 1]])
    np.testing.assert_array_equal(seq[1, 0], table[4])
    model.save(tmp_path / "rev.keras")
    loaded = keras.models.load_model(tmp_path / "rev.keras", safe_mode=True)
    for got, expected in zip(loaded.predict(x, verbose=0), (seq, mask)):
        np.testing.assert_array_equal(got, expected)


def test_equivalent_to_go_backwards_on_right_padded_batches():
    """Pins Keras' go_backwards behaviour on right-padded, masked input.

    With go_backwards=True Keras reverses the whole padded row, so padding comes
    first; the masked steps keep the (initial) state, so the backward pass
    effectively starts at the last real token. ReverseTime -> LSTM -> ReverseTime
    gives the same values at every valid step and the same final state, and both
    equal running the LSTM on each unpadded row reversed.
    """
    keras.utils.set_random_seed(4)
    lengths = [4, 2, 6]
    x = np.zeros((3, 6, 3), "float32")
    for i, n in enumerate(lengths):
        x[i, :n] = np.random.normal(size=(n, 3))
    x[0, 4:] = 50.0  # garbage in padded steps must not matter
    mask = np.arange(6)[None] < np.array(lengths)[:, None]

    h0 = np.random.normal(size=(3, 4)).astype("float32")
    c0 = np.random.normal(size=(3, 4)).astype("float32")
    backwards = keras.layers.LSTM(4, return_sequences=True, return_state=True, go_backwards=True)
    forwards = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    backwards.build(x.shape)
    forwards.build(x.shape)
    forwards.set_weights(backwards.get_weights())

    seq_b, h_b, c_b = backwards(x, initial_state=[h0, c0], mask=mask)
    seq_b = np.flip(seq_b.numpy(), axis=1)  # back to input time order
    rev = ReverseTime()
    seq_f, h_f, c_f = forwards(rev(x, mask=mask), initial_state=[h0, c0], mask=mask)
    seq_f = rev(seq_f, mask=mask).numpy()
    np.testing.assert_allclose(seq_b[mask], seq_f[mask], atol=1e-6)
    np.testing.assert_allclose(h_b, h_f, atol=1e-6)
    np.testing.assert_allclose(c_b, c_f, atol=1e-6)

    for i, n in enumerate(lengths):
        one = x[i : i + 1, :n][:, ::-1]
        seq_1, h_1, _ = forwards(one, initial_state=[h0[i : i + 1], c0[i : i + 1]])
        np.testing.assert_allclose(seq_f[i, :n], seq_1.numpy()[0, ::-1], atol=1e-6)
        np.testing.assert_allclose(h_f[i], h_1[0], atol=1e-6)

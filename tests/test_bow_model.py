"""Tests for rnnmodels.bow_model."""
import keras
import numpy as np
import pytest

from rnnmodels.bow_model import create_bow_model
from rnnmodels.variable_length_generator import VariableLengthGenerator

VOCAB, EMB_DIM, NUM_CLASSES = 20, 6, 3
BATCH = np.array([[3, 4, 5, 6, 0, 0], [7, 8, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]], dtype="int32")


def _matrix():
    matrix = np.random.default_rng(0).normal(size=(VOCAB, EMB_DIM)).astype("float32")
    matrix[0] = 0.0
    return matrix


def _predict(model, batch):
    return keras.ops.convert_to_numpy(model(batch, training=False))


def test_structure_and_compile():
    model = create_bow_model(_matrix(), NUM_CLASSES, hidden_units=7, trainable_embeddings=False)
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(embedding.get_weights()[0], _matrix())
    assert embedding.mask_zero and not embedding.trainable
    assert isinstance(model.get_layer("mean_pooling"), keras.layers.GlobalAveragePooling1D)
    assert model.get_layer("hidden").units == 7
    assert model.output.shape == (None, NUM_CLASSES)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.loss == "categorical_crossentropy"
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)


def test_mean_is_over_real_tokens_only():
    keras.utils.set_random_seed(0)
    model = create_bow_model(_matrix(), NUM_CLASSES)
    embedding = model.get_layer("embedding")
    table = embedding.get_weights()[0]
    table[0] = 100.0  # a visible <pad> row must still be ignored
    embedding.set_weights([table])
    probe = keras.Model(model.input, model.get_layer("mean_pooling").output)
    np.testing.assert_allclose(_predict(probe, BATCH)[1], table[[7, 8]].mean(axis=0), atol=1e-6)
    expected = _predict(model, BATCH)
    np.testing.assert_allclose(_predict(model, np.pad(BATCH, [(0, 0), (0, 4)])), expected, atol=1e-5)


def test_save_and_load_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    model = create_bow_model(_matrix(), NUM_CLASSES, hidden_units=5)
    model.save(tmp_path / "bow.keras")
    loaded = keras.models.load_model(tmp_path / "bow.keras", safe_mode=True)
    np.testing.assert_array_equal(_predict(loaded, BATCH), _predict(model, BATCH))


def test_tiny_fit_reduces_loss():
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(96):
        label = int(rng.integers(NUM_CLASSES))
        seq = list(rng.integers(5, VOCAB, size=int(rng.integers(2, 7)))) + [2 + label] * 2
        rng.shuffle(seq)
        xs.append(seq)
        ys.append(label)
    model = create_bow_model(_matrix(), NUM_CLASSES, hidden_units=16, dropout=0.0, learning_rate=1e-2)
    gen = VariableLengthGenerator(xs, ys, batch_size=16, num_classes=NUM_CLASSES, shuffle=True, seed=0)
    losses = model.fit(gen.to_tf_dataset(), epochs=4, verbose=0).history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_invalid_arguments():
    with pytest.raises(ValueError, match="embedding_matrix"):
        create_bow_model(np.zeros((1, 3)), 2)
    with pytest.raises(ValueError, match="dropout"):
        create_bow_model(_matrix(), 2, dropout=1.0)

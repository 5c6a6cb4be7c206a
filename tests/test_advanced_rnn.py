"""Tests for rnnmodels.advanced_rnn: masking, initial states, cells vs fused, saving, fitting."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnmodels.advanced_rnn import (
    ADVANCED_RNN_DEFAULTS,
    copy_weights,
    count_parameters,
    create_advanced_rnn,
)
from rnnmodels.masked_global_max_pooling import MaskedGlobalMaxPooling1D
from rnnmodels.residual_lstm_cell import ResidualLSTMCell
from rnnmodels.trainable_initial_state import TrainableInitialState
from rnnmodels.variable_length_generator import VariableLengthGenerator

VOCAB, EMB_DIM, NUM_CLASSES = 20, 6, 3
SMALL = dict(hidden_units=5, num_layers=2, dense_units=(4,))
# Right-padded batch: rows of different lengths, one row of full length.
BATCH = np.array(
    [[3, 4, 5, 6, 0, 0], [7, 8, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6], [9, 0, 0, 0, 0, 0]], dtype="int32"
)


def _matrix(seed=0):
    matrix = np.random.default_rng(seed).normal(size=(VOCAB, EMB_DIM)).astype("float32")
    matrix[0] = 0.0
    return matrix


def _model(implementation, **overrides):
    kwargs = {**SMALL, **overrides}
    return create_advanced_rnn(_matrix(), NUM_CLASSES, implementation=implementation, **kwargs)


def _initial_state_layers(model):
    return [layer for layer in model.layers if isinstance(layer, TrainableInitialState)]


def _randomize_initial_states(model, seed=1):
    rng = np.random.default_rng(seed)
    for layer in _initial_state_layers(model):
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])


def _predict(model, batch):
    # Eager call: cheaper than `predict` (no retracing per new shape) for tiny batches.
    return keras.ops.convert_to_numpy(model(batch, training=False))


def _pad(batch, extra):
    return np.pad(batch, [(0, 0), (0, extra)])


@pytest.fixture(scope="module", params=["cells", "fused"])
def model(request):
    keras.utils.set_random_seed(0)
    model = _model(request.param)
    _randomize_initial_states(model)
    return model


def test_defaults_match_design():
    assert ADVANCED_RNN_DEFAULTS["hidden_units"] == 128
    assert ADVANCED_RNN_DEFAULTS["num_layers"] == 3
    assert tuple(ADVANCED_RNN_DEFAULTS["dense_units"]) == (64, 32)
    assert ADVANCED_RNN_DEFAULTS["dropout"] == 0.4
    keras.utils.set_random_seed(0)
    matrix = np.random.normal(size=(12, 50)).astype("float32")
    model = create_advanced_rnn(matrix, 4)
    names = [layer.name for layer in model.layers]
    for direction in ("forward", "backward"):
        for i in range(3):
            layer = model.get_layer(f"{direction}_lstm_{i}")
            assert isinstance(layer.cell, ResidualLSTMCell) and layer.cell.units == 128
            assert f"{direction}_initial_state_{i}" in names
        assert f"{direction}_lstm_3" not in names
    assert [model.get_layer(n).units for n in ("dense_0", "dense_1", "output")] == [64, 32, 4]
    assert model.get_layer("dropout_0").rate == 0.4
    assert isinstance(model.get_layer("max_pooling"), MaskedGlobalMaxPooling1D)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    assert model.loss == "categorical_crossentropy"
    assert model.input.dtype == "int32" and tuple(model.input.shape) == (None, None)
    assert model.output.shape == (None, 4)
    # First layer projects 50 -> 128, later layers are plain residuals.
    assert tuple(model.get_layer("forward_lstm_0").cell.input_projection.shape) == (50, 128)
    assert model.get_layer("forward_lstm_1").cell.input_projection is None
    counts = count_parameters(model)
    assert counts["total"] == model.count_params() == counts["trainable"] + counts["non_trainable"]


def test_no_lambda_layers_and_all_custom_layers_registered():
    for implementation in ("cells", "fused"):
        for layer in _model(implementation).layers:
            assert not isinstance(layer, keras.layers.Lambda)
            if not type(layer).__module__.startswith("keras."):
                assert keras.saving.get_registered_name(type(layer)).startswith("rnnmodels>")


def test_embedding_initialised_from_matrix_masked_and_trainable_option():
    model = _model("cells")
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(embedding.get_weights()[0], _matrix())
    assert embedding.mask_zero and embedding.trainable
    frozen = _model("fused", trainable_embeddings=False)
    assert not frozen.get_layer("embedding").trainable
    frozen_table = frozen.get_layer("embedding").weights[0]
    assert all(w is not frozen_table for w in frozen.trainable_weights)


def test_initial_states_matter(model):
    before = _predict(model, BATCH)
    saved = [layer.get_weights() for layer in _initial_state_layers(model)]
    _randomize_initial_states(model, seed=7)
    after = _predict(model, BATCH)
    for layer, weights in zip(_initial_state_layers(model), saved):
        layer.set_weights(weights)
    assert np.max(np.abs(before - after)) > 1e-4


def test_extra_padding_changes_nothing(model):
    expected = _predict(model, BATCH)
    for extra in (1, 5):
        np.testing.assert_allclose(_predict(model, _pad(BATCH, extra)), expected, atol=1e-5)
    # Same through the compiled `predict` path.
    np.testing.assert_allclose(model.predict(_pad(BATCH, 3), verbose=0), expected, atol=1e-5)
    # Stronger: every valid time step of both directions is unchanged.
    probe = keras.Model(model.input, model.get_layer("concatenate_directions").output)
    valid = BATCH != 0
    seq = _predict(probe, BATCH)
    seq_padded = _predict(probe, _pad(BATCH, 4))[:, : BATCH.shape[1]]
    np.testing.assert_allclose(seq_padded[valid], seq[valid], atol=1e-5)


def test_padded_token_values_never_leak(model):
    """Large values in the <pad> embedding row must not change predictions."""
    expected = _predict(model, BATCH)
    embedding = model.get_layer("embedding")
    table = embedding.get_weights()[0]
    changed = table.copy()
    changed[0] = 1e3
    embedding.set_weights([changed])
    try:
        got = _predict(model, _pad(BATCH, 2))
    finally:
        embedding.set_weights([table])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_gradients_reach_every_initial_state_weight(model):
    targets = keras.utils.to_categorical([0, 1, 2, 1], NUM_CLASSES)
    layers = _initial_state_layers(model)
    assert sorted(layer.name for layer in layers) == sorted(
        f"{d}_initial_state_{i}" for d in ("forward", "backward") for i in range(2)
    )
    variables = [w for layer in layers for w in layer.trainable_weights]
    assert len(variables) == 8
    with tf.GradientTape() as tape:
        loss = keras.losses.categorical_crossentropy(targets, model(_pad(BATCH, 2), training=False))
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, variables)
    for variable, grad in zip(variables, grads):
        assert grad is not None, variable.path
        assert np.any(grad.numpy() != 0), variable.path
    trainable = {id(w) for w in model.trainable_weights}
    assert all(id(v) in trainable for v in variables)


@pytest.mark.parametrize("src_impl, dst_impl", [("cells", "fused"), ("fused", "cells")])
def test_cells_and_fused_equivalent_after_copy_weights(src_impl, dst_impl):
    keras.utils.set_random_seed(2)
    src = _model(src_impl)
    _randomize_initial_states(src, seed=3)
    # Non-default values in every weight, so a missed copy would show.
    rng = np.random.default_rng(4)
    for layer in src.layers:
        if layer.weights and not isinstance(layer, TrainableInitialState):
            layer.set_weights([w + rng.normal(scale=0.1, size=w.shape) for w in layer.get_weights()])
    dst = _model(dst_impl)
    copy_weights(src, dst)
    for batch in (BATCH, _pad(BATCH, 3), BATCH[:, :4]):
        np.testing.assert_allclose(
            _predict(dst, batch), _predict(src, batch), atol=1e-5
        )
    # And back again: a round trip reproduces the original weights exactly.
    back = _model(src_impl)
    copy_weights(dst, back)
    for a, b in zip(src.weights, back.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_copy_weights_rejects_different_architectures():
    with pytest.raises(ValueError, match="matching weights"):
        copy_weights(_model("cells"), _model("fused", num_layers=1))
    with pytest.raises(ValueError, match="shapes differ"):
        copy_weights(_model("cells"), _model("fused", hidden_units=7))


@pytest.mark.parametrize("implementation", ["cells", "fused"])
def test_save_and_load_round_trip(implementation, tmp_path):
    keras.utils.set_random_seed(5)
    model = _model(implementation)
    _randomize_initial_states(model)
    path = tmp_path / f"{implementation}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    for batch in (BATCH, _pad(BATCH, 2)):
        np.testing.assert_array_equal(_predict(loaded, batch), _predict(model, batch))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


@pytest.mark.parametrize("implementation", ["cells", "fused"])
def test_projection_options(implementation):
    # Embedding width 6 != 5 units: projection needed in layer 0 only.
    model = _model(implementation)
    with pytest.raises(ValueError, match="project"):
        _model(implementation, project_input=False)
    # Equal widths need no projection, so project_input=False works.
    same = create_advanced_rnn(
        _matrix()[:, :5], NUM_CLASSES, implementation=implementation, project_input=False, **SMALL
    )
    always = _model(implementation, project_input=True)
    assert count_parameters(same)["total"] < count_parameters(model)["total"]
    assert count_parameters(always)["total"] == count_parameters(model)["total"] + 2 * 5 * 5
    if implementation == "fused":
        names = {layer.name for layer in model.layers}
        assert {"forward_projection_0", "backward_projection_0"} <= names
        assert "forward_projection_1" not in names
    assert _predict(same, BATCH).shape == (4, NUM_CLASSES)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="implementation"):
        _model("cudnn")
    with pytest.raises(ValueError, match="num_layers"):
        _model("cells", num_layers=0)
    with pytest.raises(ValueError, match="embedding_matrix"):
        create_advanced_rnn(np.zeros(5), 3)
    with pytest.raises(TypeError):
        _model("cells", hiden_units=3)


def _learnable_data(n, seed):
    """Class c <=> the sequence contains token 2 + c; other tokens are noise in 5..19."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n):
        label = int(rng.integers(NUM_CLASSES))
        seq = list(rng.integers(5, VOCAB, size=int(rng.integers(2, 7))))
        seq.insert(int(rng.integers(len(seq) + 1)), 2 + label)
        xs.append(seq)
        ys.append(label)
    return xs, ys


def test_tiny_fit_reduces_loss():
    keras.utils.set_random_seed(6)
    model = create_advanced_rnn(
        _matrix(), NUM_CLASSES, hidden_units=8, num_layers=1, dense_units=(8,), dropout=0.0,
        learning_rate=1e-2,
    )
    xs, ys = _learnable_data(96, seed=0)
    gen = VariableLengthGenerator(xs, ys, batch_size=16, num_classes=NUM_CLASSES, shuffle=True, seed=0)
    history = model.fit(gen.to_tf_dataset(), epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses

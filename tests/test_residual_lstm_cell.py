"""Tests for rnnmodels.residual_lstm_cell (DESIGN.md section 3)."""
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnmodels.residual_lstm_cell import ResidualLSTMCell

SPEC_SETTINGS = dict(
    activation=None,
    recurrent_activation=None,
    use_bias=True,
    kernel_initializer="ones",
    recurrent_initializer="ones",
    bias_initializer="zeros",
)


def test_design_check_residual_minus_plain_equals_input_exactly():
    residual = ResidualLSTMCell(3, **SPEC_SETTINGS)
    plain = keras.layers.LSTMCell(3, **SPEC_SETTINGS)
    residual.build((1, 3))
    plain.build((1, 3))
    inputs = tf.ones((1, 3))
    states = [tf.zeros((1, 3)), tf.zeros((1, 3))]
    out_residual, states_residual = residual(inputs, states)
    out_plain, states_plain = plain(inputs, states)
    # Bit-exact, no tolerance.
    assert np.array_equal((out_residual - out_plain).numpy(), inputs.numpy())
    # The carried states are the LSTM's own [h, c], not the residual sum.
    assert len(states_residual) == 2
    for got, expected in zip(states_residual, states_plain):
        assert np.array_equal(got.numpy(), expected.numpy())
    assert np.array_equal(states_residual[0].numpy(), out_plain.numpy())
    assert residual.input_projection is None


def test_sequence_outputs_and_states_match_plain_lstm_plus_input():
    keras.utils.set_random_seed(1)
    x = np.random.normal(size=(2, 5, 4)).astype("float32")
    residual = keras.layers.RNN(ResidualLSTMCell(4), return_sequences=True, return_state=True)
    plain = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    residual.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(residual.get_weights())
    seq_r, h_r, c_r = residual(x)
    seq_p, h_p, c_p = plain(x)
    np.testing.assert_allclose(seq_r, seq_p + x, atol=1e-6)
    np.testing.assert_allclose(h_r, h_p, atol=1e-6)  # state is h, not h + x
    np.testing.assert_allclose(c_r, c_p, atol=1e-6)


def test_projection_when_widths_differ():
    keras.utils.set_random_seed(2)
    x = np.random.normal(size=(3, 6, 5)).astype("float32")
    cell = ResidualLSTMCell(4)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    out = rnn(x)
    assert out.shape == (3, 6, 4)
    assert cell.input_projection is not None
    assert tuple(cell.input_projection.shape) == (5, 4)
    assert "input_projection" in cell.input_projection.path
    assert any(w is cell.input_projection for w in rnn.trainable_weights)
    plain = keras.layers.LSTM(4, return_sequences=True)
    plain.build(x.shape)
    plain.set_weights([cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()])
    expected = plain(x) + np.einsum("btd,du->btu", x, cell.input_projection.numpy())
    np.testing.assert_allclose(out, expected, atol=1e-5)

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(rnn(x) ** 2)
    grad = tape.gradient(loss, cell.input_projection)
    assert grad is not None and np.any(grad.numpy() != 0)


def test_project_input_true_projects_even_with_equal_widths():
    cell = ResidualLSTMCell(3, project_input=True)
    cell.build((None, 3))
    assert tuple(cell.input_projection.shape) == (3, 3)
    assert len(cell.weights) == 4


def test_project_input_auto_has_no_projection_with_equal_widths():
    cell = ResidualLSTMCell(3)
    cell.build((None, 3))
    assert cell.input_projection is None
    assert len(cell.weights) == 3


def test_project_input_false_raises_on_width_mismatch():
    cell = ResidualLSTMCell(4, project_input=False)
    with pytest.raises(ValueError, match="width 5.*units=4"):
        keras.layers.RNN(cell)(np.zeros((1, 2, 5), "float32"))
    # Equal widths are fine without a projection.
    out = keras.layers.RNN(ResidualLSTMCell(5, project_input=False))(np.zeros((1, 2, 5), "float32"))
    assert out.shape == (1, 5)


@pytest.mark.parametrize("bad", ["yes", None, 1, "AUTO"])
def test_invalid_project_input(bad):
    with pytest.raises(ValueError, match="project_input"):
        ResidualLSTMCell(3, project_input=bad)


def test_get_config_has_every_argument_and_round_trips():
    cell = ResidualLSTMCell(
        7,
        project_input=True,
        activation="relu",
        recurrent_activation="hard_sigmoid",
        use_bias=False,
        unit_forget_bias=False,
        dropout=0.25,
        recurrent_dropout=0.5,
        seed=3,
        kernel_regularizer="l2",
        name="my_cell",
    )
    config = cell.get_config()
    params = set(inspect.signature(keras.layers.LSTMCell.__init__).parameters) - {"self", "kwargs"}
    assert params | {"project_input"} <= set(config)
    assert config["project_input"] is True and config["units"] == 7
    clone = ResidualLSTMCell.from_config(config)
    assert clone.get_config() == config
    registered = keras.saving.get_registered_name(ResidualLSTMCell)
    assert registered == "rnnmodels>ResidualLSTMCell"


def test_saved_model_round_trip(tmp_path):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((None, 3))
    outputs = keras.layers.RNN(ResidualLSTMCell(2), return_sequences=True)(inputs)
    model = keras.Model(inputs, outputs)
    x = np.random.normal(size=(2, 4, 3)).astype("float32")
    path = tmp_path / "cell.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded.layers[-1].cell, ResidualLSTMCell)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

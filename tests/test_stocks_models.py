"""The stock regressor and direction classifier: specified structure, compile settings, .keras round trip."""
import keras
import numpy as np
import pytest

from rnnmodels.stock_models import create_direction_classifier, create_stock_regressor


def layer_summary(model):
    return [(type(l).__name__, getattr(l, "units", None), getattr(l, "return_sequences", None), getattr(l, "rate", None))
            for l in model.layers[1:]]


def test_regressor_is_four_lstm50_with_dropout_then_dense1():
    model = create_stock_regressor()
    assert model.input_shape == (None, 60, 1) and model.output_shape == (None, 1)
    assert layer_summary(model) == [
        ("LSTM", 50, True, None), ("Dropout", None, None, 0.2),
        ("LSTM", 50, True, None), ("Dropout", None, None, 0.2),
        ("LSTM", 50, True, None), ("Dropout", None, None, 0.2),
        ("LSTM", 50, False, None), ("Dropout", None, None, 0.2),
        ("Dense", 1, None, None),
    ]
    assert model.layers[-1].get_config()["activation"] == "linear"
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    assert isinstance(model.loss, keras.losses.MeanSquaredError)
    # 4 * (units * (in + units + 1)) per LSTM layer: first in=1, others in=50; Dense 51.
    assert model.count_params() == 4 * 50 * (1 + 50 + 1) + 3 * 4 * 50 * (50 + 50 + 1) + 51


def test_classifier_same_body_sigmoid_head_bce_accuracy():
    model = create_direction_classifier(window_size=10, units=8, num_layers=2, dropout=0.1, learning_rate=0.01)
    assert layer_summary(model) == [
        ("LSTM", 8, True, None), ("Dropout", None, None, 0.1), ("LSTM", 8, False, None), ("Dropout", None, None, 0.1),
        ("Dense", 1, None, None),
    ]
    assert model.layers[-1].get_config()["activation"] == "sigmoid"
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    p = model.predict(np.random.default_rng(0).random((5, 10, 1)).astype("float32"), verbose=0)
    assert p.shape == (5, 1) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize("factory", [create_stock_regressor, create_direction_classifier])
def test_save_and_load_keras_safe_mode(factory, tmp_path):
    model = factory(window_size=6, units=4, num_layers=2)
    x = np.random.default_rng(1).random((8, 6, 1)).astype("float32")
    model.fit(x, np.random.default_rng(2).integers(0, 2, (8, 1)).astype("float32"), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    assert type(loaded.loss) is type(model.loss)


def test_learning_on_a_predictable_series():
    # Next value = last value of the window: a stacked LSTM must get well below predicting the mean.
    rng = np.random.default_rng(0)
    x = rng.random((256, 5, 1)).astype("float32")
    y = x[:, -1, :]
    keras.utils.set_random_seed(0)
    model = create_stock_regressor(window_size=5, units=16, num_layers=2, dropout=0.0, learning_rate=1e-2)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert mse < 0.2 * float(np.var(y))


@pytest.mark.parametrize("kwargs", [{"units": 0}, {"num_layers": 0}, {"dropout": 1.0}, {"learning_rate": 0.0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        create_stock_regressor(**kwargs)

"""The stock forecasters: stacked LSTM(50) + Dropout(0.2) bodies with a price or direction head.

The specified regressor (DESIGN.md section 3) is four ``LSTM(50)`` layers, every one but the
last returning sequences, each followed by ``Dropout(0.2)``, then ``Dense(1)``; Adam, mean
squared error.  The direction classifier is the same body with a sigmoid output, binary
cross-entropy and accuracy.  Both are plain functional models of built-in Keras layers, so
``keras.models.load_model(path, safe_mode=True)`` reloads them without any custom object.

Example::

    model = create_stock_regressor()            # input (batch, 60, 1) scaled closes
    model.fit(windows, next_close, batch_size=30, epochs=100)
    model.save("model_regressor.keras")
    keras.models.load_model("model_regressor.keras", safe_mode=True)
"""
from __future__ import annotations

import keras

STOCK_MODEL_DEFAULTS = {"window_size": 60, "units": 50, "num_layers": 4, "dropout": 0.2, "learning_rate": 1e-3}


def _check(window_size: int, units: int, num_layers: int, dropout: float, learning_rate: float) -> None:
    if window_size < 1 or units < 1 or num_layers < 1:
        raise ValueError(f"window_size, units and num_layers must be >= 1, got {window_size}, {units}, {num_layers}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")


def stacked_lstm_body(inputs, *, units: int, num_layers: int, dropout: float):
    """``num_layers`` LSTM layers (sequences out except the last), each followed by Dropout.

    Args:
        inputs: a Keras tensor ``(batch, time, features)``.
        units: LSTM units per layer.
        num_layers: number of LSTM layers.
        dropout: rate of the Dropout after each LSTM.

    Returns:
        The last Dropout's output, ``(batch, units)``.
    """
    x = inputs
    for i in range(num_layers):
        x = keras.layers.LSTM(units, return_sequences=i < num_layers - 1, name=f"lstm_{i + 1}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    return x


def create_stock_regressor(
    window_size: int = 60, units: int = 50, num_layers: int = 4, dropout: float = 0.2, learning_rate: float = 1e-3
) -> keras.Model:
    """Next-day scaled close from the previous ``window_size`` scaled closes.

    Args:
        window_size: days per input window.
        units: LSTM units per layer.
        num_layers: LSTM layers.
        dropout: Dropout rate after each LSTM.
        learning_rate: Adam learning rate.

    Returns:
        A compiled ``keras.Model`` ``(batch, window_size, 1) -> (batch, 1)``; loss MSE, metrics
        RMSE and MAE (in scaled units).
    """
    _check(window_size, units, num_layers, dropout, learning_rate)
    inputs = keras.Input(shape=(window_size, 1), name="window")
    x = stacked_lstm_body(inputs, units=units, num_layers=num_layers, dropout=dropout)
    outputs = keras.layers.Dense(1, name="next_close")(x)
    model = keras.Model(inputs, outputs, name="stock_regressor")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.MeanSquaredError(),
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse"), keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


def create_direction_classifier(
    window_size: int = 60, units: int = 50, num_layers: int = 4, dropout: float = 0.2, learning_rate: float = 1e-3
) -> keras.Model:
    """Probability that the next close is above the last close of the window.

    Args:
        window_size: days per input window.
        units: LSTM units per layer.
        num_layers: LSTM layers.
        dropout: Dropout rate after each LSTM.
        learning_rate: Adam learning rate.

    Returns:
        A compiled ``keras.Model`` ``(batch, window_size, 1) -> (batch, 1)`` with a sigmoid
        output; loss binary cross-entropy, metric accuracy (threshold 0.5).
    """
    _check(window_size, units, num_layers, dropout, learning_rate)
    inputs = keras.Input(shape=(window_size, 1), name="window")
    x = stacked_lstm_body(inputs, units=units, num_layers=num_layers, dropout=dropout)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="p_up")(x)
    model = keras.Model(inputs, outputs, name="direction_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model

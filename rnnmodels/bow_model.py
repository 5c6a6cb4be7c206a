"""Bag-of-words baseline: masked mean of word embeddings -> dense -> softmax."""

import keras
import numpy as np


def create_bow_model(
    embedding_matrix,
    num_classes,
    *,
    hidden_units=64,
    dropout=0.4,
    trainable_embeddings=True,
    learning_rate=1e-3,
    name="bow_model",
):
    """Builds and compiles the bag-of-words baseline classifier.

    ```
    token ids (batch, time), 0 = <pad>
      -> Embedding(mask_zero=True), initialised from pretrained vectors
      -> GlobalAveragePooling1D (mean over the non-padding tokens)
      -> Dense(hidden_units, relu) -> Dropout
      -> Dense(num_classes, softmax)
    ```

    `keras.layers.GlobalAveragePooling1D` honours the embedding mask, so the
    mean is taken over real tokens only and extra padding changes nothing.
    A row made only of padding has no mean (0 / 0); feed at least one token.

    Args:
        embedding_matrix: Float array of shape `(vocab_size, embedding_dim)`;
            row 0 is `<pad>`.
        num_classes: Number of classes.
        hidden_units: Width of the hidden dense layer. Defaults to 64.
        dropout: Dropout rate after the hidden layer. Defaults to 0.4.
        trainable_embeddings: Whether the embedding matrix is fine-tuned.
            Defaults to `True`.
        learning_rate: RMSprop learning rate. Defaults to `1e-3`.
        name: Model name.

    Returns:
        A compiled functional `keras.Model` (RMSprop, categorical
        cross-entropy, accuracy) mapping int32 token ids `(batch, time)` to
        class probabilities `(batch, num_classes)`.

    Example:

    >>> matrix = np.random.normal(size=(100, 8)).astype("float32")
    >>> model = create_bow_model(matrix, 4, hidden_units=8)
    >>> model.predict(np.array([[5, 6, 7, 0]]), verbose=0).shape
    (1, 4)
    """
    embedding_matrix = np.asarray(embedding_matrix, dtype="float32")
    if embedding_matrix.ndim != 2 or embedding_matrix.shape[0] < 2:
        raise ValueError(
            "`embedding_matrix` must be a 2D array with at least 2 rows "
            f"(<pad> and one token), got shape {embedding_matrix.shape}."
        )
    for arg_name, value in (("num_classes", num_classes), ("hidden_units", hidden_units)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{arg_name}` must be a positive integer, got {value!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1), got {dropout}.")

    vocab_size, embedding_dim = embedding_matrix.shape
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(
        vocab_size,
        embedding_dim,
        mask_zero=True,
        trainable=trainable_embeddings,
        weights=[embedding_matrix],
        name="embedding",
    )(token_ids)
    x = keras.layers.GlobalAveragePooling1D(name="mean_pooling")(x)
    x = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout_hidden")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)

    model = keras.Model(token_ids, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model

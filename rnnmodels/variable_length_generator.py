"""A `keras.utils.PyDataset` that pads each batch to its own longest sequence."""

import math

import keras
import numpy as np
import tensorflow as tf


class VariableLengthGenerator(keras.utils.PyDataset):
    """Batches variable-length integer sequences, padding each batch separately.

    Every batch is right-padded with `0` (the `<pad>` id) to the length of the
    longest sequence *in that batch*, so short sequences are not padded to the
    length of the longest sequence in the whole data set. Targets are returned
    one-hot encoded. The last, partial batch is kept.

    Training on the TensorFlow backend: `model.fit(gen)` lets Keras guess the
    batch shapes from the first two batches. If those two happen to be padded
    to the same length, Keras fixes the time dimension to that length and the
    fit fails on the first batch of another length ("`generator` yielded an
    element of shape ... where an element of shape ... was expected"). Use
    `model.fit(gen.to_tf_dataset())`, which declares the time dimension as
    variable, to be safe.

    When `shuffle=True` the order of the examples is re-drawn in
    `on_epoch_end()` (which `model.fit` calls after every epoch); the first
    epoch uses the order given. Shuffling permutes whole examples, so every
    sequence stays paired with its own label.

    Args:
        X: Sequence of integer sequences (lists or 1D arrays of token ids).
            Token id `0` is reserved for padding.
        Y: Sequence of integer class labels in `[0, num_classes)`, one per
            element of `X`.
        batch_size: Positive integer, number of examples per batch.
        num_classes: Positive integer, width of the one-hot targets.
        shuffle: Boolean, whether to shuffle the examples at the end of every
            epoch. Defaults to `False`.
        seed: Optional integer seed of the shuffling random generator.
        **pydataset_kwargs: Passed to `keras.utils.PyDataset`
            (`workers`, `use_multiprocessing`, `max_queue_size`).

    Returns (per batch, from `gen[i]`):
        A tuple `(inputs, targets)`: `inputs` is an int32 array of shape
        `(batch, longest_length_in_batch)` (at least 1 wide, so a batch of
        empty sequences is one all-padding column), `targets` a float32
        array of shape `(batch, num_classes)`.

    Example:

    >>> X = [[1, 3, 4, 3, 4, 5, 2, 3], [34, 38, 3], [93, 499, 5, 95, 3],
    ...      [93, 4, 2, 3], [4, 3, 94, 4, 5]]
    >>> gen = VariableLengthGenerator(X, [0, 2, 2, 1, 3], batch_size=2,
    ...                               num_classes=5)
    >>> len(gen)
    3
    >>> inputs, targets = gen[0]
    >>> inputs.tolist()
    [[1, 3, 4, 3, 4, 5, 2, 3], [34, 38, 3, 0, 0, 0, 0, 0]]
    >>> targets.tolist()
    [[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        X,
        Y,
        batch_size,
        num_classes,
        shuffle=False,
        seed=None,
        **pydataset_kwargs,
    ):
        super().__init__(**pydataset_kwargs)
        if isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)
        ):
            raise TypeError(
                f"`batch_size` must be an integer, got {batch_size!r}."
            )
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
        if isinstance(num_classes, bool) or not isinstance(
            num_classes, (int, np.integer)
        ):
            raise TypeError(
                f"`num_classes` must be an integer, got {num_classes!r}."
            )
        if num_classes < 1:
            raise ValueError(f"`num_classes` must be >= 1, got {num_classes}.")
        if len(X) != len(Y):
            raise ValueError(
                "`X` and `Y` must have the same number of examples, got "
                f"len(X)={len(X)} and len(Y)={len(Y)}."
            )

        self.sequences = [np.asarray(x, dtype=np.int64).reshape(-1) for x in X]
        labels = np.asarray(Y)
        if labels.ndim != 1:
            raise ValueError(
                "`Y` must be a flat sequence of integer class labels, got an "
                f"array of shape {labels.shape}."
            )
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.equal(np.mod(labels, 1), 0)):
                raise ValueError("`Y` must hold integer class labels.")
        labels = labels.astype(np.int64)
        bad = (labels < 0) | (labels >= num_classes)
        if np.any(bad):
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Labels must be in [0, {num_classes}); found label "
                f"{labels[first]} at index {first}."
            )
        for i, seq in enumerate(self.sequences):
            if seq.size and (
                seq.min() < np.iinfo(np.int32).min
                or seq.max() > np.iinfo(np.int32).max
            ):
                raise ValueError(f"Sequence {i} has ids outside the int32 range.")

        self.labels = labels
        self.batch_size = int(batch_size)
        self.num_classes = int(num_classes)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.indices = np.arange(len(self.sequences))

    def __len__(self):
        return math.ceil(len(self.sequences) / self.batch_size)

    def __getitem__(self, index):
        num_batches = len(self)
        if index < 0:
            index += num_batches
        if not 0 <= index < num_batches:
            raise IndexError(
                f"Batch index out of range: {index} (there are {num_batches} "
                "batches)."
            )
        batch_indices = self.indices[
            index * self.batch_size : (index + 1) * self.batch_size
        ]
        batch = [self.sequences[i] for i in batch_indices]
        max_len = max(1, max(len(seq) for seq in batch))
        inputs = np.zeros((len(batch), max_len), dtype=np.int32)
        for row, seq in enumerate(batch):
            inputs[row, : len(seq)] = seq
        targets = np.zeros((len(batch), self.num_classes), dtype=np.float32)
        targets[np.arange(len(batch)), self.labels[batch_indices]] = 1.0
        return inputs, targets

    def to_tf_dataset(self):
        """Wraps the generator in a `tf.data.Dataset` with variable-length specs.

        Each pass over the dataset yields `gen[0], ..., gen[len(gen) - 1]` and
        then calls `on_epoch_end()` (which reshuffles when `shuffle=True`), so
        `model.fit(gen.to_tf_dataset(), epochs=n)` behaves like
        `model.fit(gen, epochs=n)` without Keras guessing a fixed sequence
        length from the first batches.

        Returns:
            A `tf.data.Dataset` of `(inputs, targets)` with element specs
            `TensorSpec((None, None), int32)` and
            `TensorSpec((None, num_classes), float32)`, and a known
            cardinality of `len(gen)`.
        """

        def batches():
            for index in range(len(self)):
                yield self[index]
            self.on_epoch_end()

        dataset = tf.data.Dataset.from_generator(
            batches,
            output_signature=(
                tf.TensorSpec(shape=(None, None), dtype=tf.int32),
                tf.TensorSpec(shape=(None, self.num_classes), dtype=tf.float32),
            ),
        )
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(self)))
        return dataset.prefetch(2)

    def on_epoch_end(self):
        """Re-draws the order of the examples when `shuffle=True`."""
        if self.shuffle:
            self._rng.shuffle(self.indices)

"""Tests for rnnmodels.variable_length_generator (DESIGN.md section 3)."""
import keras
import numpy as np
import pytest

from rnnmodels.variable_length_generator import VariableLengthGenerator

X = [[1, 3, 4, 3, 4, 5, 2, 3], [34, 38, 3], [93, 499, 5, 95, 3], [93, 4, 2, 3], [4, 3, 94, 4, 5]]
Y = [0, 2, 2, 1, 3]


def test_design_example():
    gen = VariableLengthGenerator(X, Y, batch_size=2, num_classes=5)
    assert isinstance(gen, keras.utils.PyDataset)
    assert len(gen) == 3
    inputs, targets = gen[0]
    assert inputs.dtype == np.int32 and inputs.shape == (2, 8)
    np.testing.assert_array_equal(inputs, [[1, 3, 4, 3, 4, 5, 2, 3], [34, 38, 3, 0, 0, 0, 0, 0]])
    assert targets.dtype == np.float32 and targets.shape == (2, 5)
    np.testing.assert_array_equal(targets, [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]])


def test_each_batch_padded_to_its_own_longest_and_last_batch_kept():
    gen = VariableLengthGenerator(X, Y, batch_size=2, num_classes=5)
    inputs, targets = gen[1]
    np.testing.assert_array_equal(inputs, [[93, 499, 5, 95, 3], [93, 4, 2, 3, 0]])
    np.testing.assert_array_equal(targets, [[0, 0, 1, 0, 0], [0, 1, 0, 0, 0]])
    inputs, targets = gen[2]
    assert inputs.shape == (1, 5) and targets.shape == (1, 5)
    np.testing.assert_array_equal(inputs, [[4, 3, 94, 4, 5]])
    np.testing.assert_array_equal(targets, [[0, 0, 0, 1, 0]])
    with pytest.raises(IndexError):
        gen[3]
    np.testing.assert_array_equal(gen[-1][0], inputs)
    assert [b[0].shape[0] for b in gen] == [2, 2, 1]


def test_no_shuffle_keeps_order_across_epochs():
    gen = VariableLengthGenerator(X, Y, batch_size=2, num_classes=5)
    before = [gen[i][0].tolist() for i in range(len(gen))]
    gen.on_epoch_end()
    assert [gen[i][0].tolist() for i in range(len(gen))] == before


def _rows(gen):
    pairs = []
    for i in range(len(gen)):
        inputs, targets = gen[i]
        for row, target in zip(inputs, targets):
            pairs.append((tuple(int(t) for t in row if t != 0), int(np.argmax(target))))
    return pairs


def test_shuffle_at_epoch_end_changes_order_and_preserves_contents():
    xs = [[i + 1] * (1 + i % 4) for i in range(20)]
    ys = [i % 3 for i in range(20)]
    gen = VariableLengthGenerator(xs, ys, batch_size=3, num_classes=3, shuffle=True, seed=1)
    first = _rows(gen)
    assert first == [(tuple(x), y) for x, y in zip(xs, ys)]  # first epoch: given order
    gen.on_epoch_end()
    second = _rows(gen)
    assert second != first
    assert sorted(second) == sorted(first)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(X=X, Y=Y[:4], batch_size=2, num_classes=5), ValueError),
        (dict(X=X, Y=[0, 2, 5, 1, 3], batch_size=2, num_classes=5), ValueError),
        (dict(X=X, Y=[0, -1, 2, 1, 3], batch_size=2, num_classes=5), ValueError),
        (dict(X=X, Y=Y, batch_size=0, num_classes=5), ValueError),
        (dict(X=X, Y=Y, batch_size=-3, num_classes=5), ValueError),
        (dict(X=X, Y=Y, batch_size=2.0, num_classes=5), TypeError),
        (dict(X=X, Y=Y, batch_size=2, num_classes=0), ValueError),
    ],
)
def test_clear_errors(kwargs, error):
    with pytest.raises(error):
        VariableLengthGenerator(**kwargs)


def test_error_messages_name_the_problem():
    with pytest.raises(ValueError, match="len\\(X\\)=5 and len\\(Y\\)=4"):
        VariableLengthGenerator(X, Y[:4], 2, 5)
    with pytest.raises(ValueError, match="found label 7 at index 1"):
        VariableLengthGenerator(X, [0, 7, 2, 1, 3], 2, 5)
    with pytest.raises(ValueError, match="batch_size"):
        VariableLengthGenerator(X, Y, 0, 5)


def test_accepts_numpy_and_empty_sequences():
    gen = VariableLengthGenerator([np.array([5, 6]), np.array([], dtype=int)], np.array([1, 0]), 2, 2)
    inputs, targets = gen[0]
    np.testing.assert_array_equal(inputs, [[5, 6], [0, 0]])
    gen = VariableLengthGenerator([[], []], [1, 0], 2, 2)
    assert gen[0][0].shape == (2, 1)


def test_pydataset_kwargs_are_forwarded():
    gen = VariableLengthGenerator(X, Y, 2, 5, workers=2, max_queue_size=3)
    assert gen.workers == 2 and gen.max_queue_size == 3


def test_to_tf_dataset_yields_the_batches_and_reshuffles_per_pass():
    xs = [[i + 1] * (1 + i % 4) for i in range(10)]
    ys = [i % 3 for i in range(10)]
    gen = VariableLengthGenerator(xs, ys, batch_size=4, num_classes=3, shuffle=True, seed=0)
    expected = [gen[i] for i in range(len(gen))]
    ds = gen.to_tf_dataset()
    assert int(ds.cardinality()) == 3
    assert ds.element_spec[0].shape.as_list() == [None, None]
    assert ds.element_spec[1].shape.as_list() == [None, 3]
    first = list(ds.as_numpy_iterator())
    for (x, y), (ex, ey) in zip(first, expected):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    second = list(ds.as_numpy_iterator())  # on_epoch_end ran after the first pass
    assert [x.tolist() for x, _ in second] != [x.tolist() for x, _ in first]
    assert sorted(map(tuple, np.concatenate([y for _, y in second]).tolist())) == sorted(
        map(tuple, np.concatenate([y for _, y in first]).tolist())
    )


def test_fit_with_equal_length_first_batches_works_through_to_tf_dataset():
    # The first two batches share one length, the third is longer: Keras'
    # shape guess for `fit(gen)` would fix the length; `to_tf_dataset` does not.
    xs = [[1, 2], [3, 4], [5, 6], [7, 8], [1, 2, 3, 4, 5]]
    ys = [0, 1, 0, 1, 0]
    gen = VariableLengthGenerator(xs, ys, batch_size=2, num_classes=2)
    assert gen[0][0].shape == gen[1][0].shape != gen[2][0].shape
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(10, 3, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    history = model.fit(gen.to_tf_dataset(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

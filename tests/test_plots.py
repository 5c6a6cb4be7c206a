"""PNG figures: learning curves and confusion matrix."""
import matplotlib.image as mpimg
import pytest

from rnnmodels.plots import plot_confusion_matrix, plot_history


def test_plot_history_writes_png(tmp_path):
    path = plot_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.4, 0.7, 0.8],
                         "val_accuracy": [0.35, 0.6, 0.65], "epoch": [0, 1, 2]},
                        str(tmp_path / "sub" / "history.png"), title="t")
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 200


def test_plot_history_needs_loss(tmp_path):
    with pytest.raises(ValueError, match="loss"):
        plot_history({}, str(tmp_path / "h.png"))


def test_plot_confusion_matrix_writes_png(tmp_path):
    path = plot_confusion_matrix([[5, 1], [0, 3]], ["a", "b"], str(tmp_path / "cm.png"), title="cm")
    assert mpimg.imread(path).shape[0] > 100
    with pytest.raises(ValueError, match="class names"):
        plot_confusion_matrix([[5, 1], [0, 3]], ["a"], str(tmp_path / "x.png"))

"""Keras building blocks and models for variable-length sequences.

Importing the package registers every custom layer with Keras' serialization
registry (package "rnnmodels"), so `keras.models.load_model(path,
safe_mode=True)` can rebuild saved models after `import rnnmodels`. It imports
Keras/TensorFlow but none of `pipelines` or `tfrecords`; heavier modules
(training, prediction, ...) are imported on their own.
"""

from rnnmodels.advanced_rnn import ADVANCED_RNN_DEFAULTS
from rnnmodels.advanced_rnn import copy_weights
from rnnmodels.advanced_rnn import count_parameters
from rnnmodels.advanced_rnn import create_advanced_rnn
from rnnmodels.bow_model import create_bow_model
from rnnmodels.masked_global_max_pooling import MaskedGlobalMaxPooling1D
from rnnmodels.residual_lstm_cell import ResidualLSTMCell
from rnnmodels.reverse_time import ReverseTime
from rnnmodels.sequence_mask import SequenceMask
from rnnmodels.stock_models import create_direction_classifier
from rnnmodels.stock_models import create_stock_regressor
from rnnmodels.trainable_initial_state import TrainableInitialState
from rnnmodels.variable_length_generator import VariableLengthGenerator

__all__ = [
    "ADVANCED_RNN_DEFAULTS",
    "MaskedGlobalMaxPooling1D",
    "ResidualLSTMCell",
    "ReverseTime",
    "SequenceMask",
    "TrainableInitialState",
    "VariableLengthGenerator",
    "copy_weights",
    "count_parameters",
    "create_advanced_rnn",
    "create_bow_model",
    "create_direction_classifier",
    "create_stock_regressor",
]

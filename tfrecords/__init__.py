"""The on-disk contract between the Beam jobs and the models, and the tf.data ``input_fn``."""
from tfrecords.input_fn import count_batches, input_fn, list_shards, make_text_dataset
from tfrecords.metadata import METADATA_FILENAME, read_metadata, write_metadata
from tfrecords.scaling import MinMaxScaler
from tfrecords.schema import shard_pattern, text_example, text_feature_spec, window_example, window_feature_spec
from tfrecords.tokenizer import PAD_ID, UNK_ID, TokenizerConfig, WordEncoder, encoder_from_metadata, tokenize
from tfrecords.window_input_fn import window_input_fn

__all__ = [
    "count_batches", "input_fn", "list_shards", "make_text_dataset", "window_input_fn", "MinMaxScaler",
    "METADATA_FILENAME", "read_metadata", "write_metadata",
    "shard_pattern", "text_example", "text_feature_spec", "window_example", "window_feature_spec",
    "PAD_ID", "UNK_ID", "TokenizerConfig", "WordEncoder", "encoder_from_metadata", "tokenize",
]

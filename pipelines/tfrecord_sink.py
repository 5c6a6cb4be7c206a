"""Writing TFRecord shards from Beam with TensorFlow's own record writer.

``beam.io.WriteToTFRecord`` computes the records' CRC32C checksums with python-snappy,
google-crc32c or crcmod and raises ``RuntimeError`` when none is installed; none of them
is a dependency of this project.  :class:`WriteTFRecordShards` keeps Beam's file sink
(sharding, temporary files, atomic finalization, any Beam filesystem) and lets
``tf.io.TFRecordWriter`` (TensorFlow is a dependency already; it reads and writes
``gs://`` too) frame each record, so the files are the same TFRecord format, checksums
included.  Output names follow Beam's default template: ``<prefix>-SSSSS-of-NNNNN<suffix>``.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam import coders
from apache_beam.io import filebasedsink
from apache_beam.io.filesystem import CompressionTypes


class _TensorFlowRecordSink(filebasedsink.FileBasedSink):
    """A FileBasedSink whose file handles are ``tf.io.TFRecordWriter`` objects."""

    def __init__(self, file_path_prefix: str, *, file_name_suffix: str, num_shards: int):
        super().__init__(
            file_path_prefix,
            coder=coders.BytesCoder(),
            file_name_suffix=file_name_suffix,
            num_shards=num_shards,
            mime_type="application/octet-stream",
            compression_type=CompressionTypes.UNCOMPRESSED,
        )

    def open(self, temp_path):
        import tensorflow as tf

        return tf.io.TFRecordWriter(temp_path)

    def write_encoded_record(self, file_handle, encoded_value):
        file_handle.write(encoded_value)


class WriteTFRecordShards(beam.PTransform):
    """Writes a PCollection of serialized records (``bytes``) as TFRecord shards.

    Args:
        file_path_prefix: path prefix of the shards (e.g. ``tfrecords.schema.shard_prefix(out, "train")``).
        num_shards: exact number of shards (fixed, so file names do not depend on the runner).
        file_name_suffix: suffix of each shard (default ``".tfrecord"``).
    """

    def __init__(self, file_path_prefix: str, *, num_shards: int, file_name_suffix: str = ".tfrecord"):
        super().__init__()
        if num_shards < 1:
            raise ValueError(f"num_shards must be >= 1, got {num_shards}")
        self._sink = _TensorFlowRecordSink(file_path_prefix, file_name_suffix=file_name_suffix, num_shards=num_shards)

    def expand(self, records):
        return records | beam.io.Write(self._sink)

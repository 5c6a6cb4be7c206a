"""The Beam steps of the AG News job (``pipelines.agnews`` wires them together).

Kept in an importable module (not in ``__main__``) so every runner's workers can unpickle
them by reference.  Element types between the steps:

* :class:`ReadLines`: ``(path, name, role)`` -> ``(split, SourceLine)``; ``role`` is
  ``"train"`` (rows are split into train/valid by :func:`pipelines.splits.train_or_valid`)
  or ``"test"``; tagged :data:`STATS`: the rows read per split.
* :class:`ParseRows`: ``(split, SourceLine)`` -> ``(split, AgNewsRow)``; tagged
  :data:`REJECTED`: ``(split, Rejected)``.
* :class:`TokenizeBatch`: a list of ``(split, AgNewsRow)`` -> a list of ``(split, AgNewsRow, tokens)``;
  tagged :data:`REJECTED` (rows with no tokens), :data:`TRAIN_TOKEN_COUNTS`
  (one ``{token: count}`` dict per batch, training split only) and :data:`STATS`.
* :class:`EncodeBatch`: a list of ``(split, AgNewsRow, tokens)`` + vocabulary side input ->
  ``(split, serialized tf.train.Example, length)``; tagged :data:`STATS`: written records,
  their lengths and their token / ``<unk>`` counts, summed per bundle.
* :class:`EncodeSubwordsBatch` (``--tokenizer bpemb``, replaces the two steps above): a list
  of ``(split, AgNewsRow)`` -> ``(split, serialized tf.train.Example, length)``, ids from a
  :class:`tfrecords.bpemb_tokenizer.BPEmbEncoder` (no vocabulary to build); tagged
  :data:`REJECTED` (rows with no subword) and :data:`STATS` as :class:`EncodeBatch`.

Every step counts what it sees in Beam counters (namespace :data:`NAMESPACE`):
``read_<split>``, ``written_<split>`` and (in :class:`pipelines.dead_letter.WriteRejected`)
``rejected_<split>``.  Counters are for monitoring; the numbers in ``metadata.json`` come
from the pipeline's own summary output (see :func:`stat_key`), since not every runner
reports metrics.
"""
from __future__ import annotations

import collections
import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipelines.agnews_rows import AgNewsRow, RowError, SourceLine, iter_file_lines, parse_line
from pipelines.dead_letter import Rejected
from pipelines.splits import TEST, TRAIN, train_or_valid
from tfrecords import schema
from tfrecords.tokenizer import UNK_ID

NAMESPACE = "agnews"
REJECTED = "rejected"
TRAIN_TOKEN_COUNTS = "train_token_counts"
STATS = "stats"
NO_TOKENS = "no tokens"

READ = "read"
WRITTEN = "written"
REJECTED_STAT = "rejected"
LENGTH = "length"
TRAIN_TOKENS = "train_tokens"
TOKENS = "tokens"  # ids written per split
UNK_TOKENS = "unk_tokens"  # of which <unk> (id 1)


def stat_key(kind: str, split: str = "", value: int = 0) -> tuple:
    """Key of one summary count: ``(kind, split, value)``, e.g. ``("length", "train", 12)``."""
    return (kind, split, value)


class ReadLines(beam.DoFn):
    """Reads one input file line by line and assigns each line its split.

    Args:
        valid_fraction: share of the training file's rows sent to ``"valid"``.
    """

    def __init__(self, valid_fraction: float):
        self._valid_fraction = valid_fraction

    def process(self, element: tuple[str, str, str]):
        path, name, role = element
        read: collections.Counter = collections.Counter()
        for source in iter_file_lines(path, name=name):
            split = train_or_valid(source.raw, self._valid_fraction) if role == TRAIN else TEST
            read[split] += 1
            yield split, source
        for split, n in read.items():
            beam.metrics.Metrics.counter(NAMESPACE, f"{READ}_{split}").inc(n)
            yield beam.pvalue.TaggedOutput(STATS, (stat_key(READ, split), n))


class ParseRows(beam.DoFn):
    """CSV-parses and validates lines; bad lines go to the :data:`REJECTED` output.

    Args:
        num_classes: labels must be in ``1..num_classes``.
    """

    def __init__(self, num_classes: int):
        self._num_classes = num_classes

    def process(self, element: tuple[str, SourceLine]):
        split, source = element
        try:
            yield split, parse_line(source, num_classes=self._num_classes)
        except RowError as e:
            yield beam.pvalue.TaggedOutput(REJECTED, (split, Rejected(source.file, source.line, str(e), source.raw_text())))


class TokenizeBatch(beam.DoFn):
    """Tokenizes a batch of rows with one TensorFlow call (``tfrecords.tokenizer.tokenize``).

    Emits the batch again, as one list of ``(split, row, tokens)``.  Rows whose text gives
    no token are rejected with reason :data:`NO_TOKENS`.  For the training split it also
    emits the batch's token counts (for the vocabulary) and the number of training tokens
    (for the coverage figures).
    """

    def setup(self):
        import tensorflow as tf

        from tfrecords.tokenizer import tokenize

        self._tf = tf
        self._tokenize = tokenize

    def process(self, batch: list[tuple[str, AgNewsRow]]):
        if not batch:
            return
        texts = self._tf.constant([row.text for _, row in batch], dtype=self._tf.string)
        tokenized = self._tokenize(texts).to_list()
        counts: collections.Counter = collections.Counter()
        out = []
        for (split, row), tokens in zip(batch, tokenized):
            if not tokens:
                yield beam.pvalue.TaggedOutput(REJECTED, (split, Rejected(row.file, row.line, NO_TOKENS, row.raw)))
                continue
            tokens = tuple(t.decode("utf-8") for t in tokens)
            if split == TRAIN:
                counts.update(tokens)
            out.append((split, row, tokens))
        if out:
            yield out
        if counts:
            yield beam.pvalue.TaggedOutput(STATS, (stat_key(TRAIN_TOKENS, TRAIN), sum(counts.values())))
            yield beam.pvalue.TaggedOutput(TRAIN_TOKEN_COUNTS, dict(counts))


class _WriteRecordsBatch(beam.DoFn):
    """Base of the steps that turn id lists into serialized records and count them.

    Counts, per bundle, the records written per split, their lengths, their ids and their
    ``<unk>`` ids (:data:`tfrecords.tokenizer.UNK_ID`), and emits them on the :data:`STATS`
    output at the end of the bundle.
    """

    def start_bundle(self):
        self._stats: collections.Counter = collections.Counter()

    def _records(self, items):
        """``(split, row, ids)`` items -> ``(split, serialized, length)`` outputs, counted."""
        written: collections.Counter = collections.Counter()
        for split, row, ids in items:
            written[split] += 1
            self._stats[stat_key(LENGTH, split, len(ids))] += 1
            self._stats[stat_key(TOKENS, split)] += len(ids)
            self._stats[stat_key(UNK_TOKENS, split)] += sum(1 for i in ids if i == UNK_ID)
            yield split, schema.text_example(ids, row.label, id=row.id, text=row.text), len(ids)
        for split, n in written.items():
            beam.metrics.Metrics.counter(NAMESPACE, f"{WRITTEN}_{split}").inc(n)
            self._stats[stat_key(WRITTEN, split)] += n

    def finish_bundle(self):
        for key, n in self._stats.items():
            yield beam.pvalue.TaggedOutput(STATS, WindowedValue((key, n), MIN_TIMESTAMP, [GlobalWindow()]))
        self._stats.clear()


class EncodeBatch(_WriteRecordsBatch):
    """Maps a batch's tokens to ids with the vocabulary side input and serializes the records.

    Call with the side input ``vocab`` = ``{token: id}`` (``beam.pvalue.AsSingleton``).
    Unknown tokens get ``<unk>`` (id 1).  Emits one ``(split, serialized, length)`` per
    row, and, at the end of each bundle, the bundle's written-record, length, token and
    ``<unk>`` counts on the :data:`STATS` output.
    """

    def process(self, batch: list[tuple[str, AgNewsRow, tuple[str, ...]]], vocab: dict):
        yield from self._records((split, row, [vocab.get(t, UNK_ID) for t in tokens]) for split, row, tokens in batch)


class EncodeSubwordsBatch(_WriteRecordsBatch):
    """Encodes a batch of rows into BPEmb subword ids with one TensorFlow call and serializes them.

    The encoder travels to the workers pickled inside this DoFn (its TensorFlow resource is
    rebuilt on unpickling).  Rows whose text gives no subword are rejected with reason
    :data:`NO_TOKENS`.  Outputs as :class:`EncodeBatch`.

    Args:
        encoder: a :class:`tfrecords.bpemb_tokenizer.BPEmbEncoder` (ids never 0; ``<unk>`` = 1).
    """

    def __init__(self, encoder):
        self._encoder = encoder

    def process(self, batch: list[tuple[str, AgNewsRow]]):
        if not batch:
            return
        encoded = self._encoder.encode_py([row.text for _, row in batch])
        items = []
        for (split, row), ids in zip(batch, encoded):
            if not ids:
                yield beam.pvalue.TaggedOutput(REJECTED, (split, Rejected(row.file, row.line, NO_TOKENS, row.raw)))
                continue
            items.append((split, row, ids))
        yield from self._records(items)


def vocab_lookup(top: list[tuple[str, int]]) -> dict[str, int]:
    """``{token: id}`` for a :class:`pipelines.vocabulary.TopTokens` result (ids from 2)."""
    from pipelines.vocabulary import vocabulary_from_top

    return {token: i for i, token in enumerate(vocabulary_from_top(top))}


def split_index(element: tuple, num_partitions: int, splits: tuple[str, ...]) -> int:
    """``beam.Partition`` function: the position of ``element[0]`` (a split name) in ``splits``."""
    return splits.index(element[0])


def rejected_stat(element: tuple[str, Rejected]) -> tuple[tuple, int]:
    """The summary count of one rejected row."""
    return stat_key(REJECTED_STAT, element[0]), 1


def summarize(counts: list[tuple[tuple, int]]) -> dict:
    """The summary counts as a JSON-ready dict (see :func:`stat_key`).

    Returns:
        ``{"read": {split: n}, "written": {...}, "rejected": {...}, "tokens": {...},
        "unk_tokens": {...}, "length_histogram": {split: {length: n}}, "train_tokens": n}``.
    """
    summary: dict = {READ: {}, WRITTEN: {}, REJECTED_STAT: {}, TOKENS: {}, UNK_TOKENS: {}, "length_histogram": {}, TRAIN_TOKENS: 0}
    for (kind, split, value), count in counts:
        if kind == LENGTH:
            summary["length_histogram"].setdefault(split, {})[str(value)] = count
        elif kind == TRAIN_TOKENS:
            summary[TRAIN_TOKENS] += count
        else:
            summary[kind][split] = summary[kind].get(split, 0) + count
    return summary

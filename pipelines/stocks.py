r"""Beam job: Yahoo-style daily price CSVs -> 60-day window TFRecords + metadata.json.

Usage (DirectRunner, from the repository root)::

    python -m pipelines.stocks --input ../shared/data/stocks/AAPL.csv ../shared/data/stocks/MSFT.csv \
        --output_dir /tmp/stocks_data

Every flag this module does not define is a Beam pipeline option (``--runner``, ``--project``,
``--temp_location``, ``--direct_num_workers`` ...), so the same command runs on Dataflow.

Steps (one ticker per input file; the ticker is the file name without extension, or
``--ticker`` for a single file):

1. ``ReadCsv``: read each file, validate each row (:mod:`pipelines.stock_rows`); bad rows go to
   the dead-letter output with file, 1-based line, reason and raw row.
2. ``ByTicker`` (``GroupByKey``) and ``CutWindows``: per ticker, reject duplicate dates, count
   rows outside [train_start, test_end) as out of range, split by date (end dates exclusive),
   fit MinMax scaling on the training period only, cut windows (:mod:`pipelines.stock_series`).
   A split with fewer than ``window + 1`` rows fails the job, naming ticker, file and split.
3. ``WriteShards``: one shard per ticker per split, ``<split>-<i>-of-<n>.tfrecord`` where ``i``
   is the ticker's position in sorted ticker order and records inside a shard are sorted by
   date, so reading the shards in name order yields records sorted by ticker then date.
4. ``WriteRejected``: ``rejected-input-*.jsonl``.
5. ``WriteMetadata``: checks ``read == used + out_of_range + rejected`` for every file and writes
   ``metadata.json`` (:mod:`tfrecords.metadata`): splits, window_size, tickers, scaler
   (``{ticker: {min, max}}`` of the training closes), date_ranges, test_history, inputs with
   sha256, options, and the read / used / out_of_range / rejected counts per file.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import re
import sys
from typing import Any, Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.dead_letter import (
    DEAD_LETTER_TAG,
    REJECTED_PREFIX,
    REJECTED_SUFFIX,
    Rejected,
    WriteRejected,
    remove_beam_temp_dirs,
)
from pipelines.stock_rows import TARGET_COLUMN, StockRow, read_csv_file, ticker_from_path
from pipelines.stock_series import SPLITS, TEST_HISTORY, SeriesConfig, process_series
from tfrecords.metadata import METADATA_FILENAME, describe_input, write_metadata
from tfrecords.schema import SHARD_SUFFIX, shard_pattern, shard_prefix

NAMESPACE = "stocks"
REJECTED_STAGE = "input"
RECORD_ORDER = (
    "one shard per ticker per split, numbered in sorted ticker order; records inside a shard sorted by date, "
    "so shards read in name order give records sorted by ticker then date"
)


def _date(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The job's own flags (Beam's are parsed separately by ``PipelineOptions``)."""
    p = argparse.ArgumentParser(
        prog="python -m pipelines.stocks",
        description="Daily price CSVs (Date,Open,High,Low,Close,Adj Close,Volume; one ticker per file) -> "
        "window TFRecords for next-day close regression and up/down classification. "
        "Unrecognised flags are passed to Beam as pipeline options.",
    )
    p.add_argument("--input", nargs="+", required=True, metavar="PATH",
                   help="CSV files or glob patterns (local, or gs:// with apache-beam[gcp]); one ticker per file")
    p.add_argument("--ticker", default=None,
                   help="ticker for a single input file (default: the file name without extension)")
    p.add_argument("--output_dir", required=True, help="folder for shards, metadata.json and rejected-*.jsonl")
    p.add_argument("--window", type=int, default=60, help="days of history per record (default 60)")
    p.add_argument("--train_start", type=_date, default=_date("2014-01-01"), help="first training day (default 2014-01-01)")
    p.add_argument("--train_end", type=_date, default=_date("2018-01-01"),
                   help="end of training, exclusive; also the first test day (default 2018-01-01)")
    p.add_argument("--test_end", type=_date, default=_date("2019-01-01"), help="end of test, exclusive (default 2019-01-01)")
    p.add_argument("--test_history", choices=sorted(TEST_HISTORY), default="train_tail",
                   help="train_tail (default): test windows may use the last `window` training days as history, "
                   "every test day is a target; test_only: test history from test days only")
    p.add_argument("--overwrite", action="store_true",
                   help="delete this job's previous outputs in --output_dir instead of refusing to run")
    return p


def resolve_inputs(patterns: list[str], ticker: str | None = None) -> list[tuple[str, str]]:
    """Expands paths/globs to ``[(path, ticker)]`` sorted by ticker.

    Args:
        patterns: file paths or glob patterns.
        ticker: override for a single file.

    Returns:
        One ``(path, ticker)`` per file, sorted by ticker.

    Raises:
        ValueError: nothing matches a pattern, ``--ticker`` with several files, or two files
            give the same ticker.
    """
    from apache_beam.io.filesystems import FileSystems

    paths: list[str] = []
    for pattern in patterns:
        try:
            (result,) = FileSystems.match([pattern])
            matches = sorted(m.path for m in result.metadata_list)
        except Exception as e:  # BeamIOError for a missing folder or an unusable scheme
            raise ValueError(f"--input {pattern!r}: cannot list it ({e})") from e
        if not matches:
            raise ValueError(f"--input {pattern!r}: no such file")
        paths.extend(m for m in matches if m not in paths)
    if ticker is not None and len(paths) != 1:
        raise ValueError(f"--ticker applies to a single input file, got {len(paths)}: {paths}")
    pairs = [(path, ticker if ticker is not None else ticker_from_path(path)) for path in paths]
    seen: dict[str, str] = {}
    for path, t in pairs:
        if t in seen:
            raise ValueError(f"ticker {t!r} comes from two files: {seen[t]} and {path} (one ticker per file)")
        seen[t] = path
    names = [os.path.basename(p) for p, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"input file names must be distinct (they key the metadata counts): {paths}")
    return sorted(pairs, key=lambda pt: pt[1])


def existing_outputs(output_dir: str) -> list[str]:
    """This job's output files already in ``output_dir`` (shards, metadata, rejected rows)."""
    import tensorflow as tf

    patterns = [shard_pattern(output_dir, s) for s in SPLITS]
    patterns += [os.path.join(output_dir, METADATA_FILENAME), os.path.join(output_dir, f"{REJECTED_PREFIX}-*{REJECTED_SUFFIX}")]
    found = []
    for pattern in patterns:
        found.extend(tf.io.gfile.glob(pattern))
    return sorted(found)


class ReadStockCsv(beam.DoFn):
    """``(path, ticker)`` -> ``(ticker, ("row", StockRow))`` per valid row and one
    ``(ticker, ("file", {"file", "read", "rejected"}))``; invalid rows to the dead-letter tag."""

    def __init__(self):
        super().__init__()
        self.read = beam.metrics.Metrics.counter(NAMESPACE, "rows_read")
        self.bad = beam.metrics.Metrics.counter(NAMESPACE, "rows_rejected_parse")

    def process(self, element):
        path, ticker = element
        read = rejected = 0
        for item in read_csv_file(path):
            read += 1
            if isinstance(item, Rejected):
                rejected += 1
                yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, item)
            else:
                yield ticker, ("row", item)
        self.read.inc(read)
        self.bad.inc(rejected)
        yield ticker, ("file", {"file": path, "read": read, "rejected": rejected})


class CutWindows(beam.DoFn):
    """``(ticker, [("row", StockRow) | ("file", summary)])`` -> per split ``(split, ticker, [record bytes])``,
    a ``"summary"`` tagged dict, and rejected duplicates on the dead-letter tag.

    Args:
        config: a :class:`pipelines.stock_series.SeriesConfig`.
    """

    def __init__(self, config: SeriesConfig):
        super().__init__()
        self.config = config
        self.counters = {
            name: beam.metrics.Metrics.counter(NAMESPACE, name)
            for name in ("rows_used", "rows_out_of_range", "rows_rejected_duplicate", "windows_train", "windows_test")
        }

    def process(self, element):
        ticker, items = element
        rows: list[StockRow] = []
        file_summaries = []
        for kind, value in items:
            if kind == "row":
                rows.append(value)
            else:
                file_summaries.append(value)
        if len(file_summaries) != 1:
            raise ValueError(f"ticker {ticker!r}: expected one source file, got {[f['file'] for f in file_summaries]}")
        source = file_summaries[0]
        result = process_series(ticker, rows, self.config, files=[source["file"]])
        for r in result.rejected:
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, r)
        for split in SPLITS:
            records = [r.serialize() for r in result.records[split]]
            self.counters[f"windows_{split}"].inc(len(records))
            yield split, ticker, records
        self.counters["rows_used"].inc(result.used)
        self.counters["rows_out_of_range"].inc(result.out_of_range)
        self.counters["rows_rejected_duplicate"].inc(len(result.rejected))
        yield beam.pvalue.TaggedOutput(
            "summary",
            {
                "ticker": ticker,
                "file": source["file"],
                "read": source["read"],
                "rejected": source["rejected"] + len(result.rejected),
                "used": result.used,
                "out_of_range": result.out_of_range,
                "scaler": result.scaler.to_dict(),
                "date_ranges": result.date_ranges,
            },
        )


class WriteTickerShard(beam.DoFn):
    """``(split, ticker, [record bytes])`` -> writes ``<split>-<i>-of-<n>.tfrecord`` and yields
    ``{"split", "ticker", "records", "shard"}``.

    Args:
        output_dir: the job's output folder.
        tickers: every ticker in sorted order (shard ``i`` holds ``tickers[i]``).
    """

    def __init__(self, output_dir: str, tickers: list[str]):
        super().__init__()
        self.output_dir = output_dir
        self.tickers = list(tickers)

    def process(self, element):
        import tensorflow as tf

        split, ticker, records = element
        n = len(self.tickers)
        path = f"{shard_prefix(self.output_dir, split)}-{self.tickers.index(ticker):05d}-of-{n:05d}{SHARD_SUFFIX}"
        tmp = os.path.join(self.output_dir, f".tmp-{os.path.basename(path)}")
        with tf.io.TFRecordWriter(tmp) as writer:
            for record in records:
                writer.write(record)
        tf.io.gfile.rename(tmp, path, overwrite=True)
        yield {"split": split, "ticker": ticker, "records": len(records), "shard": os.path.basename(path)}


def build_metadata(results: list[tuple[str, dict]], *, config: SeriesConfig, tickers: list[str], inputs: dict,
                   options: dict) -> dict:
    """Merges the per-ticker summaries and shard results into ``metadata.json`` content.

    Args:
        results: ``("summary", dict)`` from ``CutWindows`` and ``("written", dict)`` from
            ``WriteTickerShard``.
        config: the series configuration.
        tickers: every expected ticker.
        inputs: ``{file name: describe_input(...) + ticker}``.
        options: the job's flags.

    Returns:
        The metadata dict.

    Raises:
        ValueError: a ticker is missing or ``read != used + out_of_range + rejected``.
    """
    summaries = {v["ticker"]: v for k, v in results if k == "summary"}
    written = [v for k, v in results if k == "written"]
    missing = sorted(set(tickers) - set(summaries))
    if missing:
        raise ValueError(f"no series summary for tickers {missing}")
    counts = {key: {} for key in ("read", "used", "out_of_range", "rejected")}
    for ticker in tickers:
        s = summaries[ticker]
        name = os.path.basename(s["file"])
        for key in counts:
            counts[key][name] = s[key]
        if s["read"] != s["used"] + s["out_of_range"] + s["rejected"]:
            raise ValueError(
                f"{s['file']}: rows read {s['read']} != used {s['used']} + out of range {s['out_of_range']} "
                f"+ rejected {s['rejected']}"
            )
    splits = {split: sum(w["records"] for w in written if w["split"] == split) for split in SPLITS}
    windows = {t: {w["split"]: w["records"] for w in written if w["ticker"] == t} for t in tickers}
    totals = {key: sum(values.values()) for key, values in counts.items()}
    return {
        "dataset": "stocks",
        "record_kind": "window",
        "splits": splits,
        "window_size": config.window,
        "tickers": list(tickers),
        "price_column": TARGET_COLUMN,
        "scaler": {t: summaries[t]["scaler"] for t in tickers},
        "scaler_fit": f"MinMax to [0, 1] on each ticker's {TARGET_COLUMN} in the training period "
        f"[{config.train_start}, {config.train_end}) only",
        "date_ranges": {
            "train": {"start": config.train_start.isoformat(), "end": config.train_end.isoformat(), "end_exclusive": True},
            "test": {"start": config.train_end.isoformat(), "end": config.test_end.isoformat(), "end_exclusive": True},
            "per_ticker": {t: summaries[t]["date_ranges"] for t in tickers},
        },
        "test_history": config.test_history,
        "test_history_note": TEST_HISTORY[config.test_history],
        "windows_per_ticker": windows,
        "shards": {split: sorted(w["shard"] for w in written if w["split"] == split) for split in SPLITS},
        "record_order": RECORD_ORDER,
        "inputs": inputs,
        "options": options,
        "read": counts["read"],
        "used": counts["used"],
        "out_of_range": counts["out_of_range"],
        "rejected": counts["rejected"],
        "totals": totals,
    }


def _write_metadata(results, output_dir: str, **kwargs) -> str:
    return write_metadata(output_dir, build_metadata(results, **kwargs))


def run(argv=None) -> dict:
    """Parses flags, runs the pipeline, and returns the metadata it wrote.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``); unknown ones are Beam options.

    Returns:
        The content of ``metadata.json``.
    """
    import tensorflow as tf

    from tfrecords.metadata import read_metadata

    args, beam_args = build_parser().parse_known_args(argv)
    config = SeriesConfig(
        window=args.window, train_start=args.train_start, train_end=args.train_end,
        test_end=args.test_end, test_history=args.test_history,
    )
    pairs = resolve_inputs(args.input, args.ticker)
    tickers = [t for _, t in pairs]
    old = existing_outputs(args.output_dir)
    if old:
        if not args.overwrite:
            raise FileExistsError(
                f"{args.output_dir} already holds outputs of a previous run ({', '.join(os.path.basename(o) for o in old[:5])}"
                f"{' ...' if len(old) > 5 else ''}): pass --overwrite or choose another --output_dir"
            )
        for path in old:
            tf.io.gfile.remove(path)
    tf.io.gfile.makedirs(args.output_dir)
    inputs = {os.path.basename(path): {**describe_input(path), "ticker": ticker} for path, ticker in pairs}
    options = {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in vars(args).items()}
    options["beam_args"] = list(beam_args)

    try:
        _run_pipeline(args, beam_args, pairs=pairs, tickers=tickers, config=config, inputs=inputs, options=options)
    except Exception:
        remove_beam_temp_dirs(args.output_dir)  # the dead-letter sink's half-written files
        raise
    return read_metadata(args.output_dir)


def _run_pipeline(args, beam_args, *, pairs, tickers, config, inputs, options) -> None:
    """Builds and runs the pipeline (read, validate, window, write shards, dead letter, metadata)."""
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        parsed = (
            p
            | "Inputs" >> beam.Create(pairs)
            | "ReadCsv" >> beam.ParDo(ReadStockCsv()).with_output_types(Tuple[str, Any]).with_outputs(DEAD_LETTER_TAG, main="rows")
        )
        series = (
            parsed.rows
            | "ByTicker" >> beam.GroupByKey()
            | "CutWindows" >> beam.ParDo(CutWindows(config)).with_outputs(DEAD_LETTER_TAG, "summary", main="records")
        )
        written = series.records | "WriteShards" >> beam.ParDo(WriteTickerShard(args.output_dir, tickers))
        _ = (
            (parsed[DEAD_LETTER_TAG], series[DEAD_LETTER_TAG])
            | "AllRejected" >> beam.Flatten()
            | "WriteRejected" >> WriteRejected(args.output_dir, REJECTED_STAGE, namespace=NAMESPACE)
        )
        _ = (
            (
                series.summary | "TagSummary" >> beam.Map(lambda s: ("summary", s)),
                written | "TagWritten" >> beam.Map(lambda w: ("written", w)),
            )
            | "Results" >> beam.Flatten()
            | "Gather" >> beam.combiners.ToList()
            | "WriteMetadata" >> beam.Map(
                _write_metadata, args.output_dir, config=config, tickers=tickers, inputs=inputs, options=options
            )
        )


def main(argv=None) -> int:
    """Command-line entry point: runs the job and prints a one-line summary.

    Returns:
        The exit status: 0, or 1 after printing the error for bad input.
    """
    logging.getLogger().setLevel(logging.WARNING)
    # Beam logs an exception raised in a DoFn, with its traceback, before raising it again:
    # bad input is reported below in one line, anything else still propagates with its traceback.
    logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
    try:
        metadata = run(argv)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        # Bad input (too few rows, bad header, no such file, ...): one clear line, no traceback.
        message = re.sub(r" \[while running '[^']*'\]", "", str(e))
        print(f"python -m pipelines.stocks: error: {message}", file=sys.stderr)
        return 1
    t = metadata["totals"]
    print(
        f"stocks: {len(metadata['tickers'])} tickers, records {metadata['splits']}, rows read {t['read']} = "
        f"used {t['used']} + out of range {t['out_of_range']} + rejected {t['rejected']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

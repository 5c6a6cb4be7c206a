"""Padding and throughput: global max padding vs VariableLengthGenerator vs bucketed input_fn.

On the real AG News training split at batch size 128, prints the share of real tokens
(non-padding) in the padded batches for

(a) padding every batch to the split's longest sequence,
(b) ``rnnmodels.VariableLengthGenerator`` (each batch padded to its own longest sequence),
(c) ``tfrecords.input_fn`` (``bucket_by_sequence_length`` with the metadata's boundaries,
    then each batch padded to its own longest sequence; target >= 0.95),

all measured on the batches actually produced (one definition:
:func:`tfrecords.bucketing.padding_efficiency`), and the examples per second of one full
pass of ``input_fn`` (reading and parsing the TFRecords) and of ``VariableLengthGenerator``
(indexing in-memory lists) over the same examples, side by side with their ratio.

Usage::

    python benchmarks/padding.py --data_dir runs/agnews/data          # a Beam job output
    python benchmarks/padding.py --input_dir ../shared/data/ag_news    # runs the Beam job first
    RNN_DATA_DIR=../shared/data python benchmarks/padding.py

Without ``--data_dir`` the Beam job (``python -m pipelines.agnews``) runs into a temporary
folder from ``--input_dir`` or ``$RNN_DATA_DIR/ag_news`` (training file ``train.csv``, or
``train_partial.csv`` when that is what the folder holds).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def run_beam_job(input_dir: str, output_dir: str) -> None:
    """Runs ``python -m pipelines.agnews`` (a subprocess) from ``input_dir`` into ``output_dir``."""
    train_file = "train.csv" if os.path.exists(os.path.join(input_dir, "train.csv")) else "train_partial.csv"
    cmd = [sys.executable, "-m", "pipelines.agnews", "--input_dir", input_dir, "--train_file", train_file,
           "--output_dir", output_dir]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    print("running:", " ".join(cmd), flush=True)
    if subprocess.run(cmd, env=env).returncode != 0:
        raise SystemExit("the Beam job failed")


def read_split(data_dir: str, split: str) -> tuple[list[np.ndarray], list[int]]:
    """All records of a split, in file order: token id arrays and labels."""
    import tensorflow as tf

    from tfrecords.input_fn import list_shards
    from tfrecords.schema import parse_text_examples

    X, Y = [], []
    for batch in tf.data.TFRecordDataset(list_shards(data_dir, split)).batch(4096).map(parse_text_examples):
        X += [np.asarray(row, dtype=np.int32) for row in batch["token_ids"].to_list()]
        Y += batch["label"].numpy().astype(int).tolist()
    return X, Y


def batch_lengths_of(token_batches) -> list[list[int]]:
    """Real-token counts per row of each padded batch (padding is id 0, never inside a record)."""
    return [np.count_nonzero(np.asarray(b), axis=1).tolist() for b in token_batches]


def padded_cells(token_batches) -> int:
    return int(sum(np.asarray(b).size for b in token_batches))


def timed_passes(make_batches, repeats: int) -> tuple[list, list[float]]:
    """Runs ``repeats`` full passes; returns the last pass's batches and each pass's seconds."""
    seconds, batches = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        batches = list(make_batches())
        seconds.append(time.perf_counter() - start)
    return batches, seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", help="a Beam job output folder (holds metadata.json and train shards)")
    parser.add_argument("--input_dir", help="AG News CSV folder for the Beam job (default: $RNN_DATA_DIR/ag_news)")
    parser.add_argument("--batch_size", type=int, default=128, help="batch size (default: %(default)s)")
    parser.add_argument("--split", default="train", help="split to measure (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes of each pipeline (default: %(default)s)")
    args = parser.parse_args(argv)

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        input_dir = args.input_dir
        if input_dir is None:
            root = os.environ.get("RNN_DATA_DIR")
            if not root:
                parser.error("give --data_dir, --input_dir, or set RNN_DATA_DIR")
            input_dir = os.path.join(root, "ag_news")
        tmp = tempfile.TemporaryDirectory(prefix="padding_bench_")
        data_dir = os.path.join(tmp.name, "agnews")
        run_beam_job(input_dir, data_dir)

    from rnnmodels import VariableLengthGenerator
    from tfrecords.bucketing import padding_efficiency
    from tfrecords.input_fn import input_fn
    from tfrecords.metadata import read_metadata

    metadata = read_metadata(data_dir)
    num_classes = int(metadata["num_classes"])
    X, Y = read_split(data_dir, args.split)
    n, bs = len(X), args.batch_size
    lengths = [len(x) for x in X]
    print(f"data: {data_dir}, split {args.split}: {n:,} examples, {sum(lengths):,} tokens, "
          f"longest {max(lengths)}, mean {np.mean(lengths):.1f}; batch size {bs}; "
          f"{len(metadata['bucket_boundaries'])} bucket boundaries from metadata.json")

    # (a) every batch padded to the global maximum.
    global_batches = [lengths[i:i + bs] for i in range(0, n, bs)]
    eff_global = sum(lengths) / (n * max(lengths))

    # (b) VariableLengthGenerator, records in file order (the Beam job's hash order: mixed lengths).
    generator = VariableLengthGenerator(X, Y, bs, num_classes, shuffle=False)
    vlg_batches, vlg_seconds = timed_passes(lambda: (generator[i][0] for i in range(len(generator))), args.repeats)
    eff_vlg = padding_efficiency(batch_lengths_of(vlg_batches))

    # (c) input_fn with bucketing (one epoch, shuffled as in training).
    dataset = input_fn(data_dir, args.split, bs, seed=0)
    tf_batches, tf_seconds = timed_passes(lambda: (x.numpy() for x, _ in dataset), args.repeats)
    eff_tf = padding_efficiency(batch_lengths_of(tf_batches))
    for name, batches in (("VariableLengthGenerator", vlg_batches), ("input_fn", tf_batches)):
        seen = sum(np.asarray(b).shape[0] for b in batches)
        if seen != n:
            raise SystemExit(f"{name} produced {seen} examples, expected {n}")

    print()
    print(f"share of real tokens in padded batches (batch {bs}):")
    print(f"  (a) padded to the global maximum ({max(lengths)}):   {eff_global:.4f}   "
          f"({len(global_batches)} batches, {n * max(lengths):,} cells)")
    print(f"  (b) VariableLengthGenerator (per-batch max):  {eff_vlg:.4f}   "
          f"({len(vlg_batches)} batches, {padded_cells(vlg_batches):,} cells)")
    print(f"  (c) input_fn, bucketed (target >= 0.95):      {eff_tf:.4f}   "
          f"({len(tf_batches)} batches, {padded_cells(tf_batches):,} cells)  "
          f"{'meets' if eff_tf >= 0.95 else 'MISSES'} the target")

    vlg_rate = n / statistics.median(vlg_seconds)
    tf_rate = n / statistics.median(tf_seconds)
    print()
    print(f"examples per second, one full pass, median of {args.repeats} passes:")
    print(f"  {'pipeline':<42}{'examples/s':>12}{'passes (s)':>30}")
    print(f"  {'VariableLengthGenerator (in-memory lists)':<42}{vlg_rate:>12,.0f}"
          f"{', '.join(f'{s:.2f}' for s in vlg_seconds):>30}")
    print(f"  {'input_fn (TFRecords, parse, bucket, pad)':<42}{tf_rate:>12,.0f}"
          f"{', '.join(f'{s:.2f}' for s in tf_seconds):>30}")
    print(f"  ratio input_fn / VariableLengthGenerator: {tf_rate / vlg_rate:.2f}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""Throughput of ``python -m pipelines.agnews`` on the DirectRunner with 1 and 2 workers.

Runs the job (as a subprocess, like a user would) over the real AG News training file and
the official test file, first with ``--direct_num_workers=1`` and then with 2 (both with
``--direct_running_mode=multi_processing``), and prints rows read per second of pipeline
time (from ``metadata.json``'s ``timing_seconds.pipeline``), the wall time of the whole
command, and the ratio 2 workers / 1 worker.  It also checks that both runs wrote the same
number of records per split.

Usage::

    RNN_DATA_DIR=../shared/data python benchmarks/beam_agnews.py
    python benchmarks/beam_agnews.py --input_dir ../shared/data/ag_news --train_file train_partial.csv

The data folder comes from ``--input_dir`` or ``$RNN_DATA_DIR/ag_news``.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_job(input_dir: str, train_file: str, output_dir: str, workers: int, extra: list[str]) -> dict:
    """Runs the job once; returns its metadata plus the command's wall time."""
    cmd = [
        sys.executable, "-m", "pipelines.agnews",
        "--input_dir", input_dir, "--train_file", train_file, "--output_dir", output_dir,
        "--direct_running_mode=multi_processing", f"--direct_num_workers={workers}", *extra,
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    started = time.time()
    result = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    wall = time.time() - started
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-5000:])
        raise SystemExit(f"job failed with {workers} worker(s) (exit {result.returncode})")
    with open(os.path.join(output_dir, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    meta["_wall_seconds"] = wall
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input_dir", default=None, help="AG News folder (default: $RNN_DATA_DIR/ag_news)")
    parser.add_argument("--train_file", default="train_partial.csv", help="training file name (default: %(default)s)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default: %(default)s)")
    args, extra = parser.parse_known_args(argv)
    input_dir = args.input_dir
    if input_dir is None:
        root = os.environ.get("RNN_DATA_DIR")
        if not root:
            raise SystemExit("pass --input_dir or set RNN_DATA_DIR (the folder holding ag_news/)")
        input_dir = os.path.join(root, "ag_news")
    counts = [int(w) for w in args.workers.split(",")]
    results = {}
    with tempfile.TemporaryDirectory(prefix="beam_agnews_bench-") as tmp:
        for workers in counts:
            meta = run_job(input_dir, args.train_file, os.path.join(tmp, f"w{workers}"), workers, extra)
            rows = sum(meta["read"].values())
            pipeline_s = meta["timing_seconds"]["pipeline"]
            results[workers] = (rows, pipeline_s, meta["_wall_seconds"], meta["splits"])
            print(f"{workers} worker(s): {rows} rows read, pipeline {pipeline_s:.1f} s -> {rows / pipeline_s:,.0f} rows/s; "
                  f"whole command {meta['_wall_seconds']:.1f} s; written {meta['splits']}", flush=True)
    splits = {w: r[3] for w, r in results.items()}
    if len({json.dumps(s, sort_keys=True) for s in splits.values()}) != 1:
        raise SystemExit(f"runs wrote different record counts: {splits}")
    if 1 in results and 2 in results:
        r1 = results[1][0] / results[1][1]
        r2 = results[2][0] / results[2][1]
        print(f"ratio 2 workers / 1 worker: {r2 / r1:.2f}x rows/s (os.cpu_count() = {os.cpu_count()})")


if __name__ == "__main__":
    main()

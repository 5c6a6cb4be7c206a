"""Throughput of BPEmbEncoder (in-graph) against the bpemb package (Python) on AG News text.

Usage::

    python -m benchmarks.bpemb_encode --model ../shared/data/bpemb/en/en.wiki.bpe.vs10000.model \\
        --csv ../shared/data/ag_news/test.csv

Prints texts per second for each, the pieces per text, and whether the ids agree
(``repair_artifacts=False``, the package's behaviour).
"""
from __future__ import annotations

import argparse
import csv
import re
import time

import numpy as np
import sentencepiece
import tensorflow as tf

from tfrecords.bpemb_tokenizer import BPEmbEncoder


def read_texts(path: str, limit: int) -> list[str]:
    texts = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            texts.append(row[1] + " " + row[2])
            if len(texts) == limit:
                break
    return texts


def run(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="BPEmb .model file")
    parser.add_argument("--csv", required=True, help="AG News CSV (class,title,description)")
    parser.add_argument("--limit", type=int, default=7600, help="number of rows to encode (default 7600)")
    parser.add_argument("--batch_size", type=int, default=512, help="texts per encode call (default 512)")
    args = parser.parse_args(argv)

    texts = read_texts(args.csv, args.limit)
    proto = open(args.model, "rb").read()
    encoder = BPEmbEncoder(proto, repair_artifacts=False)
    encoder.encode_py(texts[:8])  # warm-up

    start = time.perf_counter()
    ours = []
    for i in range(0, len(texts), args.batch_size):
        ours += encoder.encode(tf.constant(texts[i : i + args.batch_size])).to_list()
    ours_s = time.perf_counter() - start

    ds = tf.data.Dataset.from_tensor_slices(texts).batch(args.batch_size).map(encoder.encode).prefetch(2)
    start = time.perf_counter()
    n = sum(int(batch.nrows()) for batch in ds)
    ds_s = time.perf_counter() - start

    sp = sentencepiece.SentencePieceProcessor(model_proto=proto)  # what bpemb.BPEmb.encode_ids runs
    start = time.perf_counter()
    ref = [sp.EncodeAsIds(re.sub(r"\d", "0", t.lower())) for t in texts]
    ref_s = time.perf_counter() - start

    lengths = np.array([len(r) for r in ours])
    agree = sum(encoder.to_bpemb_ids(o) == r for o, r in zip(ours, ref))
    print(f"texts: {len(texts)}  pieces/text: mean {lengths.mean():.1f}, max {lengths.max()}")
    print(f"BPEmbEncoder.encode eager, batch {args.batch_size}: {len(texts) / ours_s:,.0f} texts/s")
    print(f"BPEmbEncoder.encode in tf.data map:      {n / ds_s:,.0f} texts/s")
    print(f"bpemb package (python, per text):        {len(texts) / ref_s:,.0f} texts/s")
    print(f"ids equal to the package: {agree}/{len(texts)}")


if __name__ == "__main__":
    run()

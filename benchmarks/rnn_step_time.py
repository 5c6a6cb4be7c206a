"""Training-step time of the advanced RNN: implementation="cells" vs "fused".

Builds the default advanced classifier (hidden 128, 3 layers per direction,
dense [64, 32]) twice, once per implementation, on a random 10002 x 50
embedding matrix with 4 classes, copies the weights across so both compute
the same function, and times `model.train_on_batch` on random right-padded
batches (lengths drawn up to the target length, one row of full length).
The two are measured side by side in one process, alternating steps, so load
from other processes affects both alike. Prints the median step time after
warm-up and the ratio cells / fused for every length.

On a CPU both implementations run the same Keras loop, so the ratio is close
to 1; on a GPU with the TensorFlow backend `"fused"` can use cuDNN.

    python benchmarks/rnn_step_time.py --batch_size 128 --lengths 40 120 --steps 20 --warmup 3
"""

import argparse
import pathlib
import statistics
import sys
import time

# Run from a checkout without installing: make `rnnmodels` importable.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--lengths", type=int, nargs="+", default=[40, 120])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per implementation and length")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (tracing, caches)")
    parser.add_argument("--vocab_size", type=int, default=10002)
    parser.add_argument("--embedding_dim", type=int, default=50)
    parser.add_argument("--num_classes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or args.batch_size < 1 or min(args.lengths) < 1:
        parser.error("--steps, --batch_size and --lengths must be >= 1, --warmup >= 0")
    return args


def random_batch(rng, batch_size, length, vocab_size, num_classes):
    import numpy as np

    lengths = rng.integers(1, length + 1, size=batch_size)
    lengths[0] = length
    ids = rng.integers(1, vocab_size, size=(batch_size, length)).astype("int32")
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    targets = np.eye(num_classes, dtype="float32")[rng.integers(num_classes, size=batch_size)]
    return ids, targets


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np
    import tensorflow as tf

    from rnnmodels.advanced_rnn import copy_weights, count_parameters, create_advanced_rnn

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    matrix = rng.normal(scale=0.1, size=(args.vocab_size, args.embedding_dim)).astype("float32")
    matrix[0] = 0.0
    models = {
        "cells": create_advanced_rnn(matrix, args.num_classes, implementation="cells"),
        "fused": create_advanced_rnn(matrix, args.num_classes, implementation="fused"),
    }
    copy_weights(models["cells"], models["fused"])
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}, devices {devices}")
    print(f"parameters: {count_parameters(models['cells'])['total']:,} per model")
    print(f"batch {args.batch_size}, warm-up {args.warmup} + timed {args.steps} steps each")
    print(f"{'length':>6} {'cells ms':>10} {'fused ms':>10} {'cells/fused':>12}")
    results = []
    for length in args.lengths:
        batches = [
            random_batch(rng, args.batch_size, length, args.vocab_size, args.num_classes)
            for _ in range(4)
        ]
        times = {name: [] for name in models}
        for step in range(args.warmup + args.steps):
            x, y = batches[step % len(batches)]
            for name, model in models.items():
                start = time.perf_counter()
                model.train_on_batch(x, y)
                elapsed = time.perf_counter() - start
                if step >= args.warmup:
                    times[name].append(elapsed * 1000.0)
        cells = statistics.median(times["cells"])
        fused = statistics.median(times["fused"])
        results.append((length, cells, fused))
        print(f"{length:>6} {cells:>10.1f} {fused:>10.1f} {cells / fused:>12.2f}", flush=True)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

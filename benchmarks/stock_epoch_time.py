"""Seconds per training epoch of the specified stock regressor (4 x LSTM(50), batch 30).

Prints, for XLA on and off, the first epoch (tracing + compilation) and the mean of the
following epochs, and the projected time of 100 epochs for both models of
``rnnmodels.train_stocks`` (regressor + direction classifier, no early stop).

Usage::

    python benchmarks/stock_epoch_time.py                      # synthetic windows, the real data's shape
    python benchmarks/stock_epoch_time.py --data_dir DIR       # records of python -m pipelines.stocks
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnnmodels.stock_models import create_stock_regressor  # noqa: E402


class _Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", default=None, help="window records (default: synthetic, 1704 windows of 60 days)")
    p.add_argument("--epochs", type=int, default=4, help="epochs per setting (default 4)")
    p.add_argument("--batch_size", type=int, default=30)
    args = p.parse_args(argv)
    if args.data_dir:
        from rnnmodels.train_stocks import load_split

        train = load_split(args.data_dir, "train")
        x, y = train["window"], train["target"]
    else:  # same shape as AAPL + MSFT 2014-2017 minus the 10% validation tail
        rng = np.random.default_rng(0)
        x = rng.random((1704, 60, 1)).astype("float32")
        y = x[:, -1, 0]
    print(f"{x.shape[0]} windows of {x.shape[1]} days, batch {args.batch_size}, cpu count {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for jit in (True, False):
        keras.utils.set_random_seed(0)
        model = create_stock_regressor(window_size=x.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", jit_compile=jit)
        timer = _Timer()
        model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=[timer])
        rest = float(np.mean(timer.seconds[1:])) if len(timer.seconds) > 1 else float("nan")
        print(f"jit_compile={jit!s:5}  first epoch {timer.seconds[0]:6.1f} s, then {rest:6.2f} s/epoch; "
              f"100 epochs x 2 models ~ {2 * (timer.seconds[0] + 99 * rest) / 60:5.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

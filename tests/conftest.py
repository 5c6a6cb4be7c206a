"""Shared pytest fixtures.

Real data (``../shared/data`` in this workspace) is found through the environment variable
``RNN_DATA_DIR`` (the folder holding ``ag_news/``, ``stocks/``, ``bpemb/``).  ``.ci/run`` sets
it; tests that need real data are skipped when it is unset, and fail when it is set to a
folder that lacks the file they need.
"""
from __future__ import annotations

import os
import pathlib

import pytest

DATA_ENV = "RNN_DATA_DIR"


@pytest.fixture(scope="session")
def real_data_dir() -> pathlib.Path:
    """Root of the real data (``$RNN_DATA_DIR``); skips the test when the variable is unset."""
    value = os.environ.get(DATA_ENV)
    if not value:
        pytest.skip(f"set {DATA_ENV} to the real data folder (e.g. ../shared/data) to run this test")
    path = pathlib.Path(value).resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"{DATA_ENV}={value} is not a folder")
    return path


AG_NEWS_SAMPLE_EVERY = {"train_partial.csv": 100, "test.csv": 40}


@pytest.fixture(scope="session")
def sample_dir(real_data_dir, tmp_path_factory) -> pathlib.Path:
    """A small AG News folder of real rows in the official format: every 100th row of
    ``train_partial.csv`` (as ``train.csv``), every 40th of ``test.csv``, and ``classes.txt``."""
    src = real_data_dir / "ag_news"
    out = tmp_path_factory.mktemp("ag_news_sample")
    for name, every in AG_NEWS_SAMPLE_EVERY.items():
        lines = (src / name).read_bytes().splitlines(keepends=True)
        (out / ("train.csv" if name.startswith("train") else name)).write_bytes(b"".join(lines[::every]))
    (out / "classes.txt").write_bytes((src / "classes.txt").read_bytes())
    return out

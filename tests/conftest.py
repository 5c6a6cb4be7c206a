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

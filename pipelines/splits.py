"""Deterministic train / validation split by a hash of each row's bytes.

A row goes to the validation split when the first 8 bytes of the sha256 of its raw CSV
line (without line terminator or byte-order mark), read as a big-endian integer and divided
by 2**64, fall below the validation fraction.  So the split

* does not depend on the runner, the number of workers, or the order rows are processed in;
* is stable when rows are added to or removed from the file (each row decides alone);
* sends exact duplicate rows to the same split (no train/validation leakage through them).

The validation set therefore holds *about* ``fraction * rows`` rows (binomial spread).
``--valid_size N`` is turned into the fraction ``N / rows in the training file`` by
:func:`fraction_for_size`, so it, too, gives approximately ``N`` rows.

>>> hash_unit_interval(b'"3","Title","Description"') < 1.0
True
"""
from __future__ import annotations

import hashlib

TRAIN = "train"
VALID = "valid"
TEST = "test"
SPLITS = (TRAIN, VALID, TEST)

# The original assignment carved 10,000 validation rows out of AG News's 120,000 training rows.
DEFAULT_VALID_FRACTION = 10_000 / 120_000


def hash_unit_interval(raw: bytes) -> float:
    """Maps bytes to a float in [0, 1) via sha256 (the same on every machine and process)."""
    digest = hashlib.sha256(raw).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def train_or_valid(raw: bytes, valid_fraction: float) -> str:
    """``"valid"`` if the row's hash falls below ``valid_fraction``, else ``"train"``.

    Args:
        raw: the row's raw bytes (line without terminator).
        valid_fraction: share of rows to send to validation, in [0, 1).

    Returns:
        :data:`VALID` or :data:`TRAIN`.
    """
    return VALID if hash_unit_interval(raw) < valid_fraction else TRAIN


def check_fraction(valid_fraction: float) -> float:
    """Returns ``valid_fraction`` if it is in [0, 1), else raises ValueError."""
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid fraction must be in [0, 1), got {valid_fraction}")
    return float(valid_fraction)


def fraction_for_size(valid_size: int, train_rows: int, *, source: str = "the training file") -> float:
    """The fraction that sends about ``valid_size`` of ``train_rows`` rows to validation.

    Args:
        valid_size: wanted number of validation rows (>= 0).
        train_rows: rows in the training file (before validation).
        source: named in the error message.

    Returns:
        ``valid_size / train_rows``.

    Raises:
        ValueError: if ``valid_size`` is negative or not smaller than ``train_rows``.
    """
    if valid_size < 0:
        raise ValueError(f"--valid_size must be >= 0, got {valid_size}")
    if valid_size >= train_rows:
        raise ValueError(f"--valid_size {valid_size} must be smaller than the {train_rows} rows of {source}")
    return valid_size / train_rows

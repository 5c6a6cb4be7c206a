"""Min-max scaling of prices to [0, 1]: the formula that links window records to dollars.

The stocks Beam job fits one scaler per ticker on the *training period only* and writes its
parameters to ``metadata["scaler"][ticker] = {"min": ..., "max": ...}``; the training job
reads them back to turn predictions into dollars.  Both sides use this one definition.

Prices outside the training range scale outside [0, 1] (e.g. a test-period close above the
training maximum scales above 1): that is the point of fitting on train only.

Example::

    >>> s = MinMaxScaler.fit([10.0, 20.0, 15.0])
    >>> s.transform([10.0, 25.0]).tolist()
    [0.0, 1.5]
    >>> s.inverse_transform([0.5]).tolist()
    [15.0]
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Mapping

import numpy as np


@dataclasses.dataclass(frozen=True)
class MinMaxScaler:
    """``scaled = (x - min) / (max - min)``; ``x = scaled * (max - min) + min``.

    Args:
        min: the smallest value of the fitting data.
        max: the largest value of the fitting data (must be > ``min``).
    """

    min: float
    max: float

    def __post_init__(self):
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"scaler bounds must be finite, got min={self.min}, max={self.max}")
        if not self.max > self.min:
            raise ValueError(
                f"scaler needs max > min, got min={self.min}, max={self.max} (a constant series cannot be min-max scaled)"
            )

    @classmethod
    def fit(cls, values: Iterable[float]) -> "MinMaxScaler":
        """Fits the scaler on ``values`` (non-empty, finite).

        Args:
            values: the fitting data, e.g. the training-period closes of one ticker.

        Returns:
            A :class:`MinMaxScaler` with ``min``/``max`` of ``values``.
        """
        arr = np.asarray(list(values), dtype=np.float64)
        if arr.size == 0:
            raise ValueError("cannot fit a scaler on no values")
        if not np.all(np.isfinite(arr)):
            raise ValueError("cannot fit a scaler on non-finite values")
        return cls(float(arr.min()), float(arr.max()))

    def transform(self, values) -> np.ndarray:
        """Scales ``values`` (array-like) to the fitted range; returns float64."""
        return (np.asarray(values, dtype=np.float64) - self.min) / (self.max - self.min)

    def inverse_transform(self, scaled) -> np.ndarray:
        """Maps scaled values back to the original units; returns float64."""
        return np.asarray(scaled, dtype=np.float64) * (self.max - self.min) + self.min

    def to_dict(self) -> dict:
        """The metadata form ``{"min": ..., "max": ...}``."""
        return {"min": self.min, "max": self.max}

    @classmethod
    def from_dict(cls, params: Mapping[str, float]) -> "MinMaxScaler":
        """Inverse of :meth:`to_dict` (clear error on missing keys)."""
        missing = [k for k in ("min", "max") if k not in params]
        if missing:
            raise ValueError(f"scaler parameters {dict(params)!r} lack {missing}")
        return cls(float(params["min"]), float(params["max"]))

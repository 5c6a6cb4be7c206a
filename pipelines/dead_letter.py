"""Dead-letter conventions shared by the Beam jobs.

A row that fails validation is never dropped: it becomes a :class:`Rejected` record,
written as one JSON object per line to files named ``rejected-<split or stage>-*.jsonl``
in the output folder, and counted in a Beam counter.  The jobs check
``rows read == rows written + rows rejected``.
"""
from __future__ import annotations

import dataclasses
import json
import os

import apache_beam as beam

REJECTED_PREFIX = "rejected"
REJECTED_SUFFIX = ".jsonl"
DEAD_LETTER_TAG = "rejected"


@dataclasses.dataclass(frozen=True)
class Rejected:
    """One rejected row: where it came from, why, and the raw row as read."""

    file: str
    line: int
    reason: str
    row: str

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)


def rejected_prefix(output_dir: str, stage: str) -> str:
    """File prefix for the rejected rows of one stage (e.g. ``train``, ``test``)."""
    return os.path.join(output_dir, f"{REJECTED_PREFIX}-{stage}")


class WriteRejected(beam.PTransform):
    """Writes :class:`Rejected` records as JSON Lines and counts them.

    Args:
        output_dir: the job's output folder.
        stage: name used in the file names and the counter (``rejected_<stage>``).
        namespace: Beam metrics namespace.
    """

    def __init__(self, output_dir: str, stage: str, *, namespace: str):
        super().__init__()
        self._prefix = rejected_prefix(output_dir, stage)
        self._stage = stage
        self._namespace = namespace

    def expand(self, rejected):
        counter = beam.metrics.Metrics.counter(self._namespace, f"rejected_{self._stage}")

        def to_line(r: Rejected) -> str:
            counter.inc()
            return r.to_json()

        return (
            rejected
            | "ToJson" >> beam.Map(to_line)
            | "Write" >> beam.io.WriteToText(self._prefix, file_name_suffix=REJECTED_SUFFIX, shard_name_template="-SSSSS-of-NNNNN")
        )


BEAM_TEMP_PATTERN = "beam-temp-*"


def remove_beam_temp_dirs(output_dir: str) -> list[str]:
    """Removes the ``beam-temp-*`` folders a failed run's file sinks leave in ``output_dir``.

    Returns:
        The folders removed.
    """
    import tensorflow as tf  # tf.io.gfile: local and gs:// folders alike

    stale = sorted(p for p in tf.io.gfile.glob(os.path.join(output_dir, BEAM_TEMP_PATTERN)) if tf.io.gfile.isdir(p))
    for path in stale:
        tf.io.gfile.rmtree(path)
    return stale


def read_rejected(output_dir: str) -> list[dict]:
    """Reads every rejected row a job wrote into ``output_dir`` (for tests and reports)."""
    import glob

    rows = []
    for path in sorted(glob.glob(os.path.join(output_dir, f"{REJECTED_PREFIX}*{REJECTED_SUFFIX}"))):
        with open(path, encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows

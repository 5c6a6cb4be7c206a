"""Running the AG News Beam job as a subprocess, or reusing its earlier output.

``rnnmodels`` never imports ``pipelines``: the job runs as ``python -m pipelines.agnews``
(with this interpreter, ``sys.executable``), and everything after it is read from the
files it writes (``metadata.json`` and what it names).

An existing output folder is reused only when its ``metadata.json`` shows it was made from
the same inputs (sha256 of the training and test files and of ``classes.txt``, computed
with :func:`tfrecords.metadata.describe_input`) and the same options (file names,
vocabulary size, validation split, GloVe file, tokenizer).  Without an input folder (the job
downloads the official files) only the options can be compared.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from rnnmodels.run_config import BPEMB_JOB_DEFAULTS, TOKENIZER_KINDS, bpemb_options
from tfrecords.metadata import METADATA_FILENAME, describe_input, read_metadata
from tfrecords.tokenizer import NORMALIZER_VERSION

BEAM_MODULE = "pipelines.agnews"
#: BPEmb flags that change the Beam job's output (the cache folder and download switch do not).
_BPEMB_OUTPUT_FLAGS = ("bpemb_model", "bpemb_vectors", "bpemb_lang", "bpemb_vs", "bpemb_dim")
_BPEMB_PATH_FLAGS = ("bpemb_model", "bpemb_vectors")


def beam_job_command(
    *,
    data_dir: str,
    input_dir: str | None,
    train_file: str,
    test_file: str,
    vocab_size: int,
    valid_fraction: float | None = None,
    valid_size: int | None = None,
    glove: str | None = None,
    tokenizer_kind: str = "word",
    bpemb: dict | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """The argument vector that runs the Beam job with this interpreter.

    ``tokenizer_kind`` is the Beam job's ``--tokenizer`` (``"word"`` or ``"bpemb"``); ``bpemb``
    holds the ``--bpemb_*`` flags given (name -> value, True for a switch).
    """
    cmd = [sys.executable, "-m", BEAM_MODULE, "--output_dir", data_dir,
           "--train_file", train_file, "--test_file", test_file, "--vocab_size", str(vocab_size)]
    if input_dir:
        cmd += ["--input_dir", input_dir]
    if valid_fraction is not None:
        cmd += ["--valid_fraction", repr(float(valid_fraction))]
    if valid_size is not None:
        cmd += ["--valid_size", str(int(valid_size))]
    if glove:
        cmd += ["--glove", glove]
    cmd += ["--tokenizer", tokenizer_kind]
    for name, value in (bpemb or {}).items():
        cmd += [f"--{name}"] if value is True else [f"--{name}", str(value)]
    return cmd + list(extra_args)


def describe_inputs(input_dir: str, train_file: str, test_file: str) -> dict:
    """``{file name: describe_input(path)}`` for the files the Beam job will read.

    Raises:
        FileNotFoundError: the training or test file is missing (the message names it).
    """
    inputs = {}
    for name in (train_file, test_file, "classes.txt"):
        path = os.path.join(input_dir, name)
        if not os.path.isfile(path):
            if name == "classes.txt":
                continue
            raise FileNotFoundError(f"{path}: AG News file not found (check --input_dir or $AG_NEWS_DIR, --train_file, --test_file)")
        inputs[name] = describe_input(path)
    return inputs


def mismatch_reason(
    data_dir: str,
    *,
    inputs: dict | None,
    train_file: str,
    test_file: str,
    vocab_size: int,
    valid_fraction: float | None = None,
    valid_size: int | None = None,
    glove: str | None = None,
    tokenizer_kind: str = "word",
    bpemb: dict | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
) -> str | None:
    """Why the Beam output in ``data_dir`` cannot be reused, or None when it can.

    Args:
        data_dir: the Beam job's output folder.
        inputs: :func:`describe_inputs` of the files the job would read now (None when the
            job would download them, so only options are compared).
        train_file, test_file, vocab_size, valid_fraction, valid_size, glove: the options
            the job would run with now.
        tokenizer_kind: ``metadata["tokenizer"]["kind"]`` expected.
        bpemb: the ``--bpemb_*`` flags given (with ``tokenizer_kind="bpemb"``); those not
            given must have been the Beam job's defaults.
        extra_args: the other flags passed through to the Beam job: its own flags among them
            (``--num_shards 8``, ...) must be the ones it was given then, with the same values;
            Beam's pipeline options (``--runner``, ``--direct_num_workers``) do not matter.

    Returns:
        A short human-readable reason, or None.
    """
    if not os.path.exists(os.path.join(data_dir, METADATA_FILENAME)):
        return f"no {METADATA_FILENAME} in {data_dir}"
    try:
        metadata = read_metadata(data_dir)
    except ValueError as e:
        return f"unreadable metadata ({e})"
    if metadata.get("dataset") != "ag_news":
        return f"{data_dir} holds dataset {metadata.get('dataset')!r}, not ag_news"
    options = metadata.get("options") or {}
    recorded_inputs = metadata.get("inputs") or {}
    if inputs is not None:
        if set(recorded_inputs) != set(inputs):
            return f"input files differ: made from {sorted(recorded_inputs)}, now {sorted(inputs)}"
        for name, info in inputs.items():
            if recorded_inputs[name].get("sha256") != info["sha256"]:
                return f"{name} changed (sha256 {recorded_inputs[name].get('sha256', '?')[:12]}… -> {info['sha256'][:12]}…)"
    wanted = {"train_file": train_file, "test_file": test_file, "vocab_size": vocab_size,
              "valid_fraction": valid_fraction, "valid_size": valid_size,
              "glove": os.path.abspath(glove) if glove else None}
    recorded = dict(options)
    if recorded.get("glove"):
        recorded["glove"] = os.path.abspath(recorded["glove"])
    for key, value in wanted.items():
        if recorded.get(key) != value:
            return f"option {key} differs: made with {recorded.get(key)!r}, now {value!r}"
    if glove and os.path.isfile(glove):
        recorded_sha = (metadata.get("embedding") or {}).get("sha256")
        now_sha = describe_input(glove)["sha256"]
        if recorded_sha != now_sha:
            return f"{glove} changed (sha256 {str(recorded_sha)[:12]}… -> {now_sha[:12]}…)"
    kind = (metadata.get("tokenizer") or {}).get("kind")
    if kind != tokenizer_kind:
        return f"tokenizer differs: made with {kind!r}, now {tokenizer_kind!r}"
    normalizer = (metadata.get("tokenizer") or {}).get("normalizer")
    if normalizer != NORMALIZER_VERSION:
        return f"text normalizer rules differ: made with {normalizer!r}, now {NORMALIZER_VERSION!r}"
    if tokenizer_kind == "bpemb":
        for key in _BPEMB_OUTPUT_FLAGS:
            now, before = (bpemb or {}).get(key, BPEMB_JOB_DEFAULTS[key]), recorded.get(key)
            if key in _BPEMB_PATH_FLAGS:
                now, before = (os.path.abspath(x) if x else None for x in (now, before))
            if now != before:
                return f"option {key} differs: made with {before!r}, now {now!r}"
    reason = _passed_through_flags_differ(recorded, extra_args)
    if reason:
        return reason
    splits = metadata.get("splits") or {}
    missing = [s for s in ("train", "valid", "test") if not splits.get(s)]
    if missing:
        return f"splits {missing} are empty or missing"
    return None


#: Flags of the Beam job that this job sets itself (compared above by name).
_OWN_FLAGS = {"output_dir", "input_dir", "train_file", "test_file", "vocab_size", "valid_fraction", "valid_size",
              "glove", "tokenizer", *BPEMB_JOB_DEFAULTS}


def _passed_through_flags_differ(recorded: dict, extra_args) -> str | None:
    """Why the Beam job's own flags in ``extra_args`` differ from those it was given then, or None."""
    now: dict[str, str | bool] = {}
    args = list(extra_args)
    for i, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, eq, value = arg[2:].partition("=")
        if name not in recorded or name in _OWN_FLAGS or name in ("runner", "given"):
            continue  # a Beam pipeline option, or a flag compared elsewhere
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            value = True if nxt is None or nxt.startswith("--") else nxt
        now[name] = value
    if "given" not in recorded:
        return "the output does not record which flags the Beam job was given (made by an older version)" if now else None
    before = {name for name in recorded["given"] if name not in _OWN_FLAGS}
    for name in sorted(before | set(now)):
        if name not in now or name not in before or (now[name] is not True and str(recorded[name]) != str(now[name])):
            old_value = recorded.get(name) if name in before else "(default)"
            return f"Beam job flag --{name} differs: made with {old_value!r}, now {now.get(name, '(default)')!r}"
    return None


def run_beam_job(cmd: list[str], *, log=print) -> float:
    """Runs the Beam job, its output streaming to this process's; returns seconds taken.

    Raises:
        RuntimeError: the job failed (the message holds the command and exit status).
    """
    env = dict(os.environ)
    # Make the project's packages importable in the child even when it is not installed
    # (a source checkout): the folder that holds ``rnnmodels`` holds ``pipelines`` too.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    log("running the Beam job: " + " ".join(cmd))
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"the Beam job failed (exit status {result.returncode}): {' '.join(cmd)}")
    return time.perf_counter() - start


def ensure_tfrecords(args, beam_args: list[str], *, log=print) -> dict:
    """Makes sure ``args.data_dir`` holds the Beam job's output for these inputs and options.

    Args:
        args: parsed :mod:`rnnmodels.run_config` flags (``data_dir``, ``input_dir``,
            ``train_file``, ``test_file``, ``vocab_size``, ``valid_fraction``, ``valid_size``,
            ``glove``, ``tokenizer``, ``bpemb_*``, ``force_preprocess``).
        beam_args: extra flags for the Beam job.
        log: where progress messages go.

    Returns:
        ``{"data_dir", "reused": bool, "reason": why it ran (or None), "seconds": job time
        (0 when reused), "command": the job's command line}``.
    """
    input_dir = os.path.abspath(args.input_dir) if args.input_dir else None
    inputs = describe_inputs(input_dir, args.train_file, args.test_file) if input_dir else None
    options = dict(train_file=args.train_file, test_file=args.test_file, vocab_size=args.vocab_size,
                   valid_fraction=args.valid_fraction, valid_size=args.valid_size, glove=args.glove,
                   tokenizer_kind=TOKENIZER_KINDS[args.tokenizer], bpemb=bpemb_options(args))
    cmd = beam_job_command(data_dir=args.data_dir, input_dir=input_dir, extra_args=beam_args, **options)
    reason = ("--force_preprocess" if args.force_preprocess
              else mismatch_reason(args.data_dir, inputs=inputs, extra_args=beam_args, **options))
    if reason is None:
        log(f"reusing the Beam job's output in {args.data_dir} (same inputs and options)")
        return {"data_dir": args.data_dir, "reused": True, "reason": None, "seconds": 0.0, "command": cmd}
    log(f"preprocessing: {reason}")
    seconds = run_beam_job(cmd, log=log)
    return {"data_dir": args.data_dir, "reused": False, "reason": reason, "seconds": seconds, "command": cmd}

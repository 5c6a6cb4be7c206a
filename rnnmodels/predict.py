"""Classify raw text with a trained run: ``python -m rnnmodels.predict --model_dir RUN "text" ...``.

The text is tokenized with the tokenizer configuration the Beam job used, read from the
run's ``metadata.json`` (:func:`tfrecords.tokenizer.encoder_from_metadata` with the vocabulary
or subword model copied into the run folder), so it gets exactly the ids the model was
trained on; words outside the vocabulary become ``<unk>`` (id 1).

Texts come from the command line, or one per line from standard input when no text is given
(or the only argument is ``-``).  A text with no tokens (empty or white space only) is an
error: a message on standard error and exit status 2.

Output: one line per text, ``<predicted class><TAB><class>=<probability> ...<TAB><text>``;
with ``--json``, one JSON object per line (``text``, ``predicted``, ``probabilities``,
``token_ids``, ``unknown_tokens``).

Example::

    python -m rnnmodels.predict --model_dir runs/agnews \\
        "Chad asks the IMF for a loan to pay for refugees from Darfur"
    echo "Stocks fall as oil climbs" | python -m rnnmodels.predict --model_dir runs/agnews --json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

import numpy as np

MODEL_FILES = {"advanced": "model.keras", "baseline": "baseline.keras"}


class PredictionError(ValueError):
    """Bad input to prediction (no text, a text without tokens, an incomplete run folder)."""


def load_tokenizer(model_dir: str):
    """The run's metadata and the encoder the Beam job used.

    Args:
        model_dir: run folder written by ``python -m rnnmodels.train``.

    Returns:
        ``(metadata, encoder)``.
    """
    from tfrecords.metadata import read_metadata
    from tfrecords.tokenizer import encoder_from_metadata

    if not os.path.isfile(os.path.join(model_dir, "metadata.json")):
        raise PredictionError(f"{model_dir}: not a run folder of python -m rnnmodels.train (it has no metadata.json)")
    metadata = read_metadata(model_dir)
    return metadata, encoder_from_metadata(metadata, model_dir)


def load_model(model_dir: str, model: str = "advanced"):
    """Loads ``model.keras`` ("advanced") or ``baseline.keras`` ("baseline") with ``safe_mode=True``."""
    import keras

    import rnnmodels  # noqa: F401  (importing the package registers the custom layers for loading)

    if model not in MODEL_FILES:
        raise PredictionError(f"model must be one of {sorted(MODEL_FILES)}, got {model!r}")
    path = os.path.join(model_dir, MODEL_FILES[model])
    if not os.path.isfile(path):
        raise PredictionError(f"{path} not found: is {model_dir} a run folder of python -m rnnmodels.train?")
    return keras.models.load_model(path, safe_mode=True, compile=False)


def encode_texts(encoder, texts: Sequence[str], sources: Sequence[str] | None = None) -> list[list[int]]:
    """Token ids of each text; raises :class:`PredictionError` for a text with no tokens.

    Args:
        encoder: from :func:`tfrecords.tokenizer.encoder_from_metadata`.
        texts: raw texts.
        sources: how to name each text in an error (e.g. "argument 2", "stdin line 5").

    Returns:
        One list of int ids per text (unknown words -> ``<unk>``).
    """
    if not texts:
        raise PredictionError("no input text: give texts as arguments, or one per line on standard input")
    ids = encoder.encode_py(list(texts))
    for i, row in enumerate(ids):
        if not row:
            where = sources[i] if sources else f"text {i + 1}"
            raise PredictionError(f"{where}: the text has no tokens ({texts[i]!r}); nothing to classify")
    return [[int(t) for t in row] for row in ids]


def predict_ids(model, token_ids: Sequence[Sequence[int]], batch_size: int = 128) -> np.ndarray:
    """Class probabilities for lists of token ids, zero-padded per batch.

    Args:
        model: Keras classifier over int token ids ``(B, T)``.
        token_ids: one list of ids per text.
        batch_size: texts per forward pass.

    Returns:
        float32 ``[N, num_classes]``.
    """
    outputs = []
    for start in range(0, len(token_ids), batch_size):
        chunk = token_ids[start:start + batch_size]
        padded = np.zeros((len(chunk), max(len(r) for r in chunk)), dtype=np.int32)
        for i, row in enumerate(chunk):
            padded[i, : len(row)] = row
        outputs.append(np.asarray(model.predict_on_batch(padded), dtype=np.float32))
    return np.concatenate(outputs)


def predict_texts(model, metadata: dict, encoder, texts: Sequence[str], sources: Sequence[str] | None = None) -> list[dict]:
    """Predicted class and class probabilities of raw texts.

    Args:
        model: from :func:`load_model`.
        metadata, encoder: from :func:`load_tokenizer`.
        texts: raw texts.
        sources: names of the texts for error messages.

    Returns:
        One dict per text: ``text``, ``predicted`` (class name), ``probabilities``
        (``{class name: probability}``), ``token_ids``, ``unknown_tokens``.
    """
    from tfrecords.tokenizer import UNK_ID

    class_names = list(metadata["class_names"])
    ids = encode_texts(encoder, texts, sources)
    probs = predict_ids(model, ids)
    if probs.shape[1] != len(class_names):
        raise PredictionError(f"the model outputs {probs.shape[1]} classes but metadata.json names {len(class_names)}")
    results = []
    for text, row, p in zip(texts, ids, probs):
        results.append({
            "text": text,
            "predicted": class_names[int(p.argmax())],
            "probabilities": {name: float(p[k]) for k, name in enumerate(class_names)},
            "token_ids": row,
            "unknown_tokens": sum(1 for t in row if t == UNK_ID),
        })
    return results


def format_result(result: dict) -> str:
    """One tab-separated line: predicted class, probabilities, text."""
    probs = " ".join(f"{name}={p:.4f}" for name, p in result["probabilities"].items())
    return f"{result['predicted']}\t{probs}\t{result['text']}"


def _read_inputs(args_texts: Sequence[str], stdin) -> tuple[list[str], list[str]]:
    if args_texts and list(args_texts) != ["-"]:
        if "-" in args_texts:
            raise PredictionError("'-' (read standard input) cannot be mixed with texts given as arguments")
        return list(args_texts), [f"argument {i + 1}" for i in range(len(args_texts))]
    lines = stdin.read().splitlines()
    # A trailing blank line (e.g. "text\n\n") is still a blank text and is reported as such.
    return lines, [f"standard input line {i + 1}" for i in range(len(lines))]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rnnmodels.predict",
        description="Classify news texts with a trained run of python -m rnnmodels.train. Texts come from the "
                    "arguments, or one per line from standard input when none is given (or the only one is '-'). "
                    "Prints the predicted class and the probability of every class.",
    )
    parser.add_argument("texts", nargs="*", help="texts to classify; none or '-' reads one text per line from stdin")
    parser.add_argument("--model_dir", required=True,
                        help="run folder (holds model.keras, baseline.keras, metadata.json and the vocabulary)")
    parser.add_argument("--model", choices=sorted(MODEL_FILES), default="advanced",
                        help="which model to use: advanced (model.keras, default) or baseline (baseline.keras)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per text (text, predicted, probabilities, token_ids, unknown_tokens)")
    return parser


def main(argv: Sequence[str] | None = None, stdin=None, stdout=None, stderr=None) -> int:
    """Command-line entry point; returns the exit status (0 ok, 2 bad input)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        texts, sources = _read_inputs(args.texts, stdin)
        if not texts:
            raise PredictionError("no input text: give texts as arguments, or one per line on standard input")
        metadata, encoder = load_tokenizer(args.model_dir)
        encode_texts(encoder, texts, sources)  # reject empty texts before loading the model
        model = load_model(args.model_dir, args.model)
        results = predict_texts(model, metadata, encoder, texts, sources)
    except (ValueError, OSError) as e:  # PredictionError, bad metadata or vocabulary, missing files
        print(f"error: {e}", file=stderr)
        return 2
    for result in results:
        print(json.dumps(result) if args.json else format_result(result), file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

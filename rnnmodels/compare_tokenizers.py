"""GloVe words vs BPEmb subwords: the same advanced network trained on the same rows, compared.

::

    python -m rnnmodels.compare_tokenizers --input_dir ../shared/data/ag_news \\
        --train_file train_partial.csv --output_dir runs/compare \\
        --bpemb_model ../shared/data/bpemb/en/en.wiki.bpe.vs1000.model \\
        --bpemb_vectors ../shared/data/bpemb/en/en.wiki.bpe.vs1000.d25.w2v.bin

runs the main job (:mod:`rnnmodels.train`) twice with the same flags, once with
``--tokenizer glove`` into ``OUTPUT_DIR/glove`` and once with ``--tokenizer bpemb`` (and the
``--bpemb_*`` flags) into ``OUTPUT_DIR/bpemb``.  Both Beam jobs split the rows by the same
hash of each CSV line, so both variants train, select and test on the same rows; the
comparison checks this by the record ids.  Without ``--bpemb_*`` flags the BPEmb files come
through the ``bpemb`` package (``--bpemb_lang en --bpemb_vs 10000 --bpemb_dim 50``: its cache,
downloading what is missing; offline that fails unless the files are cached).

Then it writes ``OUTPUT_DIR/comparison.json`` and ``OUTPUT_DIR/comparison.md`` with, per
variant: test accuracy and macro F1 of the advanced model (from the run's ``metrics.json``),
the unknown-token rate on the test split (share of ids that are ``<unk>``, counted in the
records), sequence length statistics (mean, p50, p95, max) of the train and test records,
the padding efficiency of one epoch of bucketed training batches
(:func:`tfrecords.bucketing.padding_efficiency` over the ``input_fn`` batches the training
used), parameter counts, and training time per epoch (from the run's ``history.json``).
The text only restates these numbers.

Each run resumes like the main job: running the same command again reuses finished
trainings, so the comparison can be rewritten without retraining.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time

import numpy as np

from rnnmodels.run_config import add_bpemb_arguments, bpemb_options

VARIANTS = ("glove", "bpemb")
LABELS = {"glove": "GloVe", "bpemb": "BPEmb"}
JSON_FILE = "comparison.json"
MD_FILE = "comparison.md"
_OWNED = ("--tokenizer", "--data_dir", "--output_dir")


def log(message: str) -> None:
    print(f"[rnnmodels.compare_tokenizers] {message}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    """This command's own flags; every other flag goes to both runs of ``python -m rnnmodels.train``."""
    p = argparse.ArgumentParser(
        prog="python -m rnnmodels.compare_tokenizers",
        allow_abbrev=False,
        description="Train the advanced classifier twice on the same rows, on GloVe word ids (--tokenizer glove) "
        "and on BPEmb subword ids (--tokenizer bpemb), with python -m rnnmodels.train, and write comparison.json "
        "and comparison.md to --output_dir. Any flag not listed here (--input_dir, --train_file, --epochs, "
        "--hidden_units, --batch_size, ...) is passed to both runs.",
    )
    p.add_argument("--output_dir", required=True,
                   help="comparison folder: glove/ and bpemb/ (the two run folders), comparison.json, comparison.md")
    p.add_argument("--glove", default=None,
                   help="GloVe/word2vec text file for the GloVe variant only (default: the packaged GloVe 6B 50d)")
    add_bpemb_arguments(p, "BPEmb variant (passed to its run only; default: the bpemb package, en, vs 10000, dim 50)")
    return p


def variant_argv(variant: str, args: argparse.Namespace, passthrough: list[str]) -> list[str]:
    """The ``rnnmodels.train`` arguments of one variant.

    Args:
        variant: ``"glove"`` or ``"bpemb"``.
        args: this command's flags.
        passthrough: the flags for both runs.

    Returns:
        The argument list (``--output_dir OUTPUT_DIR/<variant> --tokenizer <variant>`` + flags).
    """
    argv = list(passthrough) + ["--output_dir", os.path.join(args.output_dir, variant), "--tokenizer", variant]
    if variant == "glove" and args.glove:
        argv += ["--glove", args.glove]
    if variant == "bpemb":
        for name, value in bpemb_options(args).items():
            argv += [f"--{name}"] if value is True else [f"--{name}", str(value)]
    return argv


def read_split_records(data_dir: str, split: str, batch_size: int = 2048) -> dict:
    """Ids, lengths and ``<unk>`` counts of one split's records.

    Returns:
        ``{"ids": set of record ids, "lengths": int array, "tokens": n, "unk": n}``.
    """
    import tensorflow as tf

    from tfrecords.input_fn import list_shards
    from tfrecords.schema import parse_text_examples
    from tfrecords.tokenizer import UNK_ID

    ids, lengths, unk = set(), [], 0
    for serialized in tf.data.TFRecordDataset(list_shards(data_dir, split)).batch(batch_size):
        parsed = parse_text_examples(serialized)
        ids.update(x.decode("utf-8") for x in parsed["id"].numpy())
        row_lengths = parsed["token_ids"].row_lengths().numpy()
        lengths.append(row_lengths)
        unk += int(np.count_nonzero(parsed["token_ids"].flat_values.numpy() == UNK_ID))
    lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    return {"ids": ids, "lengths": lengths, "tokens": int(lengths.sum()), "unk": unk}


def length_stats(lengths: np.ndarray) -> dict:
    """Mean, nearest-rank p50 and p95, and max of sequence lengths."""
    ordered = np.sort(np.asarray(lengths))
    n = len(ordered)

    def rank(p):
        return int(ordered[max(1, int(np.ceil(p / 100 * n))) - 1])

    return {"count": n, "mean": float(ordered.mean()), "p50": rank(50), "p95": rank(95), "max": int(ordered[-1])}


def bucketed_padding(data_dir: str, batch_size: int, boundaries, seed: int) -> dict:
    """Padding of one epoch of the training batches ``input_fn`` makes (bucketed, padded per batch).

    Returns:
        ``{"efficiency", "real_tokens", "padded_tokens", "batches", "batch_size", "bucket_boundaries"}``.
    """
    from tfrecords.bucketing import padding_efficiency
    from tfrecords.input_fn import input_fn

    ds = input_fn(data_dir, "train", batch_size, shuffle=True, seed=seed, bucket_boundaries=list(boundaries))
    batch_lengths = [np.count_nonzero(x.numpy(), axis=1).tolist() for x, _ in ds]
    return {
        "efficiency": padding_efficiency(batch_lengths),
        "real_tokens": int(sum(sum(b) for b in batch_lengths)),
        "padded_tokens": int(sum(len(b) * max(b) for b in batch_lengths)),
        "batches": len(batch_lengths),
        "batch_size": batch_size,
        "bucket_boundaries": list(boundaries),
    }


def summarize_variant(run_dir: str, metrics: dict, *, batch_size: int, seed: int) -> tuple[dict, dict]:
    """The comparison figures of one finished run, and its records' ids per split.

    Args:
        run_dir: the run folder of ``python -m rnnmodels.train``.
        metrics: its ``metrics.json``.
        batch_size, seed: the training batch size and seed (for the padding pass).

    Returns:
        ``(figures, {split: set of record ids})``.
    """
    from tfrecords.metadata import read_metadata

    data_dir = metrics["data"]["data_dir"]
    meta = read_metadata(data_dir)
    records = {s: read_split_records(data_dir, s) for s in ("train", "valid", "test")}
    advanced = metrics["models"]["advanced"]
    with open(os.path.join(run_dir, "history.json"), encoding="utf-8") as f:
        history = json.load(f)["advanced"]
    epoch_seconds = [s for s in history.get("seconds", []) if isinstance(s, (int, float))]
    emb = meta["embedding"]
    test = records["test"]
    figures = {
        "run_dir": os.path.abspath(run_dir),
        "data_dir": os.path.abspath(data_dir),
        "tokenizer": {
            "kind": meta["tokenizer"]["kind"],
            "vocab_size": meta["vocab_size"],
            "model_file": (meta["tokenizer"].get("extra") or {}).get("model_file"),
        },
        "embedding": {
            "source": emb.get("source"),
            "dim": emb.get("dim"),
            "shape": emb.get("shape"),
            "pretrained": emb.get("pretrained", True),
            "trained_from_random": emb.get("trained_from_random", False),
        },
        "test_accuracy": advanced["test_accuracy"],
        "test_macro_f1": advanced["test_macro_f1"],
        "unk_rate_test": test["unk"] / test["tokens"] if test["tokens"] else 0.0,
        "unk_tokens_test": test["unk"],
        "tokens_test": test["tokens"],
        "length_stats": {"train": length_stats(records["train"]["lengths"]), "test": length_stats(test["lengths"])},
        "padding_train": bucketed_padding(data_dir, batch_size, metrics["data"]["bucket_boundaries"], seed),
        "params": {
            "total": advanced["params"],
            "embedding": int(np.prod(emb["shape"])) if emb.get("shape") else None,
        },
        "training": {
            "epochs_run": advanced["training"].get("epochs_run"),
            # metrics.json counts epochs from 0 (Keras' epoch index); here from 1, as Keras prints them.
            "best_epoch_number": None if advanced["training"].get("best_epoch") is None
            else advanced["training"]["best_epoch"] + 1,
            "seconds_per_epoch": float(np.mean(epoch_seconds)) if epoch_seconds else None,
            "epoch_seconds": epoch_seconds,
            "step_time_median_s": advanced["training"].get("step_time_median_s"),
            "examples_per_second": advanced["training"].get("examples_per_second"),
            "steps_per_epoch": advanced["training"].get("steps_per_epoch"),
        },
        "baseline": {k: (metrics["models"].get("baseline") or {}).get(k) for k in ("test_accuracy", "test_macro_f1")},
        "splits": {s: len(records[s]["ids"]) for s in records},
    }
    return figures, {s: records[s]["ids"] for s in records}


def same_rows(ids: dict) -> dict:
    """Per split: record counts of both variants and whether their record ids are identical."""
    out = {}
    for split in ("train", "valid", "test"):
        a, b = ids["glove"][split], ids["bpemb"][split]
        out[split] = {"glove": len(a), "bpemb": len(b), "identical": a == b, "only_glove": len(a - b), "only_bpemb": len(b - a)}
    return out


def _ratio(b, g):
    return b / g if g else None


def differences(v: dict) -> dict:
    """BPEmb minus GloVe (points for rates) and BPEmb / GloVe (for sizes and times)."""
    g, b = v["glove"], v["bpemb"]
    return {
        "test_accuracy_points": 100 * (b["test_accuracy"] - g["test_accuracy"]),
        "test_macro_f1_points": 100 * (b["test_macro_f1"] - g["test_macro_f1"]),
        "unk_rate_test_points": 100 * (b["unk_rate_test"] - g["unk_rate_test"]),
        "mean_train_length_ratio": _ratio(b["length_stats"]["train"]["mean"], g["length_stats"]["train"]["mean"]),
        "padding_efficiency_points": 100 * (b["padding_train"]["efficiency"] - g["padding_train"]["efficiency"]),
        "padded_tokens_ratio": _ratio(b["padding_train"]["padded_tokens"], g["padding_train"]["padded_tokens"]),
        "params_ratio": _ratio(b["params"]["total"], g["params"]["total"]),
        "seconds_per_epoch_ratio": _ratio(b["training"]["seconds_per_epoch"], g["training"]["seconds_per_epoch"]),
    }


def _f(x, fmt=".4f"):
    return "n/a" if x is None else format(x, fmt)


def _pct(x, digits=2):
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def render_markdown(comparison: dict) -> str:
    """``comparison.md``: what was run, a table of the figures, and sentences restating them."""
    v, d, rows = comparison["variants"], comparison["differences"], comparison["same_rows"]
    g, b = v["glove"], v["bpemb"]
    lines = ["# GloVe words vs BPEmb subwords (advanced classifier)", "", "## What was run", ""]
    for name in VARIANTS:
        lines.append(f"- {LABELS[name]}: `{comparison['commands'][name]}`")
    s = comparison["settings"]
    lines.append(f"- training settings (both): {', '.join(f'{k}={val}' for k, val in s.items())}")
    for name in VARIANTS:
        x = v[name]
        init = ("pretrained vectors" if x["embedding"]["pretrained"] else "random initialisation (no vectors), trained")
        lines.append(f"- {LABELS[name]} ids: {x['tokenizer']['kind']} tokenizer, {x['tokenizer']['vocab_size']:,} ids; "
                     f"embedding {x['embedding']['shape'][0]:,} x {x['embedding']['dim']} from {x['embedding']['source']} ({init})")
    lines.append("- rows: " + "; ".join(
        f"{split} {r['glove']:,} (GloVe) / {r['bpemb']:,} (BPEmb), ids {'identical' if r['identical'] else 'differ'}"
        for split, r in rows.items()))
    lines.append(f"- machine: {comparison['machine']}; finished {comparison['finished']}")
    lines += ["", "## Figures", "", "| | GloVe | BPEmb | BPEmb - GloVe |", "|---|---|---|---|"]

    def row(label, gv, bv, diff):
        lines.append(f"| {label} | {gv} | {bv} | {diff} |")

    row("test accuracy", _f(g["test_accuracy"]), _f(b["test_accuracy"]), f"{d['test_accuracy_points']:+.2f} points")
    row("test macro F1", _f(g["test_macro_f1"]), _f(b["test_macro_f1"]), f"{d['test_macro_f1_points']:+.2f} points")
    row("unknown-token rate, test", _pct(g["unk_rate_test"]), _pct(b["unk_rate_test"]), f"{d['unk_rate_test_points']:+.2f} points")
    for split in ("train", "test"):
        for key in ("mean", "p50", "p95", "max"):
            gv, bv = g["length_stats"][split][key], b["length_stats"][split][key]
            fmt = ".1f" if key == "mean" else "d"
            row(f"sequence length {key}, {split}", format(gv, fmt), format(bv, fmt), f"x{bv / gv:.2f}")
    row("padding efficiency, bucketed train batches", _pct(g["padding_train"]["efficiency"], 1),
        _pct(b["padding_train"]["efficiency"], 1), f"{d['padding_efficiency_points']:+.1f} points")
    row("padded tokens per train epoch", f"{g['padding_train']['padded_tokens']:,}", f"{b['padding_train']['padded_tokens']:,}",
        f"x{_f(d['padded_tokens_ratio'], '.2f')}")
    row("parameters, total", f"{g['params']['total']:,}", f"{b['params']['total']:,}", f"x{_f(d['params_ratio'], '.2f')}")
    row("parameters, embedding", f"{g['params']['embedding']:,}", f"{b['params']['embedding']:,}",
        f"x{b['params']['embedding'] / g['params']['embedding']:.2f}")
    row("training seconds per epoch (mean)", _f(g["training"]["seconds_per_epoch"], ".1f"),
        _f(b["training"]["seconds_per_epoch"], ".1f"), f"x{_f(d['seconds_per_epoch_ratio'], '.2f')}")
    row("epochs run (epoch kept)", f"{g['training']['epochs_run']} ({g['training']['best_epoch_number']})",
        f"{b['training']['epochs_run']} ({b['training']['best_epoch_number']})", "")

    lines += ["", "## What the numbers show", ""]
    lines.append(f"- BPEmb test accuracy {_f(b['test_accuracy'])} vs GloVe {_f(g['test_accuracy'])} "
                 f"(difference {d['test_accuracy_points']:+.2f} points); macro F1 {_f(b['test_macro_f1'])} vs "
                 f"{_f(g['test_macro_f1'])} ({d['test_macro_f1_points']:+.2f} points).")
    lines.append(f"- Unknown tokens on the test split: {_pct(g['unk_rate_test'])} of GloVe word ids "
                 f"({g['unk_tokens_test']:,} of {g['tokens_test']:,}) vs {_pct(b['unk_rate_test'])} of BPEmb subword ids "
                 f"({b['unk_tokens_test']:,} of {b['tokens_test']:,}).")
    lines.append(f"- Training sequences are {_f(d['mean_train_length_ratio'], '.2f')} times as long with BPEmb "
                 f"(mean {b['length_stats']['train']['mean']:.1f} vs {g['length_stats']['train']['mean']:.1f} ids; "
                 f"p95 {b['length_stats']['train']['p95']} vs {g['length_stats']['train']['p95']}).")
    lines.append(f"- Bucketed training batches are {_pct(b['padding_train']['efficiency'], 1)} real tokens with BPEmb vs "
                 f"{_pct(g['padding_train']['efficiency'], 1)} with GloVe; one epoch pads to "
                 f"{b['padding_train']['padded_tokens']:,} vs {g['padding_train']['padded_tokens']:,} token slots.")
    lines.append(f"- Parameters: {b['params']['total']:,} (BPEmb) vs {g['params']['total']:,} (GloVe), of which the "
                 f"embedding {b['params']['embedding']:,} vs {g['params']['embedding']:,}.")
    lines.append(f"- Training took {_f(b['training']['seconds_per_epoch'], '.1f')} s per epoch with BPEmb vs "
                 f"{_f(g['training']['seconds_per_epoch'], '.1f')} s with GloVe "
                 f"(x{_f(d['seconds_per_epoch_ratio'], '.2f')}).")
    if not all(r["identical"] for r in rows.values()):
        lines.append("- The two variants' splits do not hold identical rows: " + "; ".join(
            f"{split}: {r['only_glove']} only in GloVe, {r['only_bpemb']} only in BPEmb"
            for split, r in rows.items() if not r["identical"]) + ".")
    return "\n".join(lines) + "\n"


def _settings(train_args) -> dict:
    keys = ("implementation", "hidden_units", "num_layers", "dense_units", "dropout", "learning_rate", "lr_schedule", "epochs",
            "batch_size", "max_train_examples", "monitor", "patience", "seed", "train_file", "test_file",
            "valid_fraction", "valid_size", "vocab_size")
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in ((k, getattr(train_args, k)) for k in keys)}


def run(argv=None) -> dict:
    """Runs both variants and writes the comparison; returns the contents of ``comparison.json``.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).
    """
    from rnnmodels import train
    from rnnmodels.run_config import parse_args

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, passthrough = parser.parse_known_args(argv)
    owned = [a for a in passthrough if a.split("=")[0] in _OWNED]
    if owned:
        parser.error(f"{', '.join(owned)}: set by this command for each variant (glove/, bpemb/ in --output_dir)")
    os.makedirs(args.output_dir, exist_ok=True)
    started = time.perf_counter()
    figures, ids, commands = {}, {}, {}
    settings = None
    for variant in VARIANTS:
        vargv = variant_argv(variant, args, passthrough)
        train_args, _ = parse_args(vargv)
        settings = settings or _settings(train_args)
        commands[variant] = "python -m rnnmodels.train " + " ".join(shlex.quote(a) for a in vargv)
        log(f"{variant}: {commands[variant]}")
        t0 = time.perf_counter()
        metrics = train.run(vargv)
        log(f"{variant}: run finished in {time.perf_counter() - t0:.0f} s; measuring its data")
        figures[variant], ids[variant] = summarize_variant(
            train_args.output_dir, metrics, batch_size=train_args.batch_size, seed=train_args.seed)
    comparison = {
        "command": "python -m rnnmodels.compare_tokenizers " + " ".join(shlex.quote(a) for a in argv),
        "commands": commands,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": time.perf_counter() - started,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_implementation()} {platform.python_version()}",
        "settings": settings,
        "same_rows": same_rows(ids),
        "variants": figures,
        "differences": differences(figures),
    }
    with open(os.path.join(args.output_dir, JSON_FILE), "w", encoding="utf-8") as f:
        json.dump(comparison, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.output_dir, MD_FILE), "w", encoding="utf-8") as f:
        f.write(render_markdown(comparison))
    log(f"wrote {os.path.join(args.output_dir, MD_FILE)} and {JSON_FILE}")
    return comparison


def main(argv=None) -> int:
    """Command-line entry point."""
    try:
        run(argv)
    except (FileNotFoundError, RuntimeError) as e:
        print(f"rnnmodels.compare_tokenizers: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

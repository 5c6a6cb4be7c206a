"""``report.md`` for a training run, written from the measured numbers in ``metrics.json``.

The report states the data and models used, the table of test results, per-class scores,
training cost, the learning-curve and confusion-matrix figures, and test examples on which
the two models disagree (the baseline wrong and the advanced model right, and the reverse).
Nothing in it is typed by hand: every figure comes from the ``metrics`` dict.
"""
from __future__ import annotations

import os
from typing import Sequence


def disagreements(
    first: dict, second: dict, class_names: Sequence[str], *, limit: int = 5
) -> list[dict]:
    """Test examples that ``first`` gets wrong and ``second`` gets right.

    Examples are matched by id (so the two prediction runs may come in different orders),
    and the ``limit`` with the largest margin, ``second``'s probability of the true class
    minus ``first``'s, come first (ties broken by id).

    Args:
        first, second: outputs of :func:`rnnmodels.evaluate.predict_dataset` (``ids``,
            ``texts``, ``labels``, ``probs``, ``predictions``) over the same examples.
        class_names: class names by index.
        limit: the most examples to return.

    Returns:
        A list of dicts ``{"id", "text", "true", "first_pred", "first_prob",
        "second_pred", "second_prob"}`` (class names; probabilities of the predicted class).
    """
    index = {example_id: i for i, example_id in enumerate(second["ids"])}
    if len(index) != len(second["ids"]) or len(set(first["ids"])) != len(first["ids"]):
        raise ValueError("example ids must be unique to match predictions")
    missing = [example_id for example_id in first["ids"] if example_id not in index]
    if missing:
        raise ValueError(f"{len(missing)} examples (e.g. {missing[0]!r}) were predicted by one model only")
    rows = []
    for i, example_id in enumerate(first["ids"]):
        j = index[example_id]
        label = int(first["labels"][i])
        if int(second["labels"][j]) != label:
            raise ValueError(f"example {example_id!r} has label {label} in one run and {int(second['labels'][j])} in the other")
        first_pred, second_pred = int(first["predictions"][i]), int(second["predictions"][j])
        if first_pred != label and second_pred == label:
            margin = float(second["probs"][j][label]) - float(first["probs"][i][label])
            rows.append((-margin, example_id, i, j))
    rows.sort()
    out = []
    for _, example_id, i, j in rows[:limit]:
        first_pred, second_pred = int(first["predictions"][i]), int(second["predictions"][j])
        out.append({
            "id": example_id,
            "text": first["texts"][i],
            "true": class_names[int(first["labels"][i])],
            "first_pred": class_names[first_pred],
            "first_prob": float(first["probs"][i][first_pred]),
            "second_pred": class_names[second_pred],
            "second_prob": float(second["probs"][j][second_pred]),
        })
    return out


def count_agreement(first: dict, second: dict) -> dict:
    """How many examples both / only one / neither of two prediction runs get right."""
    index = {example_id: j for j, example_id in enumerate(second["ids"])}
    counts = {"both_right": 0, "only_first_right": 0, "only_second_right": 0, "both_wrong": 0}
    for i, example_id in enumerate(first["ids"]):
        j = index[example_id]
        a = int(first["predictions"][i]) == int(first["labels"][i])
        b = int(second["predictions"][j]) == int(second["labels"][j])
        key = "both_right" if a and b else "only_first_right" if a else "only_second_right" if b else "both_wrong"
        counts[key] += 1
    return counts


def _pct(x) -> str:
    return "n/a" if x is None else f"{100.0 * float(x):.2f}%"


def _num(x, fmt: str = "{:,.0f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _cell(text: str, max_chars: int = 300) -> str:
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text.replace("|", "\\|")


def render_report(metrics: dict, *, examples: dict | None = None, figures: dict | None = None) -> str:
    """The Markdown text of the report.

    Args:
        metrics: the run's ``metrics.json`` content (``run``, ``data``, and one entry per model
            under ``models``, each with ``test``, ``training``, ``config``, ``params``).
        examples: ``{"baseline_wrong_advanced_right": [...], "advanced_wrong_baseline_right": [...],
            "agreement": {...}}`` (lists from :func:`disagreements`, counts from
            :func:`count_agreement`).
        figures: ``{caption: relative PNG path}``.

    Returns:
        Markdown text.
    """
    run, data, models = metrics["run"], metrics["data"], metrics["models"]
    lines = ["# AG News topic classification: run report", ""]
    lines += [
        f"Command: `{run['command']}`",
        "",
        f"Finished {run.get('finished', 'n/a')}; wall time {_num(run.get('wall_seconds'), '{:,.0f}')} s "
        f"on {run.get('machine', 'this machine')}.",
        "",
        "## Data",
        "",
        f"- Beam job output: `{data['data_dir']}`"
        + (" (reused: inputs and options matched)" if data.get("reused") else " (written by this run)"),
    ]
    for name, info in sorted((data.get("inputs") or {}).items()):
        lines.append(f"- input `{name}`: {_num(info.get('bytes'))} bytes, sha256 `{info.get('sha256', 'n/a')}`")
    splits = data.get("splits", {})
    lines.append(
        "- examples: " + ", ".join(f"{split} {_num(splits[split])}" for split in ("train", "valid", "test") if split in splits)
        + (f" (training capped at {_num(data['train_examples_used'])} per epoch)" if data.get("train_examples_used") else "")
    )
    lines.append(f"- classes: {', '.join(data['class_names'])}")
    tok = data.get("tokenizer", {})
    lines.append(f"- tokenizer: {tok.get('kind', 'n/a')} (normalizer {tok.get('normalizer', 'n/a')}); "
                 f"vocabulary {_num(data.get('vocab_size'))} ids including `<pad>` and `<unk>`")
    emb = data.get("embedding") or {}
    if emb:
        coverage = emb.get("coverage")
        cov = _pct(coverage) if isinstance(coverage, (int, float)) else str(coverage)
        lines.append(f"- embedding: {emb.get('source', 'n/a')}, {emb.get('dim', 'n/a')}d, vocabulary coverage {cov}")
    lines += ["", "## Models", ""]
    for name, model in models.items():
        config = ", ".join(f"{k}={v}" for k, v in model.get("config", {}).items())
        lines.append(f"- **{name}** ({_num(model.get('params'))} parameters): {config}")
    lines += [
        "",
        "## Results on the official test set",
        "",
        "Model selection used the validation split only (the checkpoint with the lowest validation loss); "
        "the test set was used once, for this table.",
        "",
        "| model | test accuracy | test macro F1 | best val accuracy | epochs run (best) | train time | step time (median) | train examples/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, model in models.items():
        test, training = model["test"], model.get("training", {})
        lines.append(
            f"| {name} | {_pct(test['accuracy'])} | {_pct(test['macro_f1'])} | {_pct(training.get('best_val_accuracy'))} "
            f"| {_num(training.get('epochs_run'))} ({_num(None if training.get('best_epoch') is None else training['best_epoch'] + 1)}) "
            f"| {_num(training.get('train_seconds'), '{:,.0f}')} s | {_num(training.get('step_time_median_s'), '{:.3f}')} s "
            f"| {_num(training.get('examples_per_second'), '{:,.0f}')} |"
        )
    class_names = data["class_names"]
    lines += ["", "Per-class F1 on the test set:", "", "| model | " + " | ".join(class_names) + " |",
              "|---|" + "---|" * len(class_names)]
    for name, model in models.items():
        per_class = model["test"]["per_class"]
        lines.append(f"| {name} | " + " | ".join(_pct(per_class[c]["f1"]) for c in class_names) + " |")
    if figures:
        lines += ["", "## Figures", ""]
        for caption, rel in figures.items():
            lines.append(f"![{caption}]({rel})")
            lines.append("")
    if examples:
        agreement = examples.get("agreement")
        lines += ["", "## Where the models disagree", ""]
        if agreement:
            lines.append(
                f"Of {_num(sum(agreement.values()))} test examples: both right {_num(agreement['both_right'])}, "
                f"only the advanced model right {_num(agreement['only_first_right'])}, "
                f"only the baseline right {_num(agreement['only_second_right'])}, both wrong {_num(agreement['both_wrong'])}."
            )
            lines.append("")
        for key, heading, wrong, right in (
            ("baseline_wrong_advanced_right", "Baseline wrong, advanced model right", "baseline", "advanced"),
            ("advanced_wrong_baseline_right", "Advanced model wrong, baseline right", "advanced", "baseline"),
        ):
            rows = examples.get(key, [])
            lines += [f"### {heading}", ""]
            if not rows:
                lines += ["(none)", ""]
                continue
            lines += [f"| id | true | {wrong} (prob) | {right} (prob) | text |", "|---|---|---|---|---|"]
            for r in rows:
                lines.append(
                    f"| {_cell(r['id'])} | {r['true']} | {r['first_pred']} ({r['first_prob']:.2f}) "
                    f"| {r['second_pred']} ({r['second_prob']:.2f}) | {_cell(r['text'])} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_report(path: str, metrics: dict, *, examples: dict | None = None, figures: dict | None = None) -> str:
    """Writes :func:`render_report`'s Markdown to ``path``; returns ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_report(metrics, examples=examples, figures=figures))
    return path


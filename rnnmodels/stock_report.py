"""``report.md`` of a stock run: the models against the baselines, in words and numbers."""
from __future__ import annotations

from typing import Mapping

PREDICTOR_NAMES = {
    "classifier": "LSTM direction classifier",
    "always_up": "always up",
    "train_majority": "majority class of the training period",
    "last_move": "last move (previous day's label)",
    "regressor_sign": "sign of the LSTM regressor (predicted close > previous close)",
}


def _yes(flag: bool) -> str:
    return "**Yes.**" if flag else "**No.**"


def render_report(metrics: Mapping) -> str:
    """Markdown text answering, with the numbers of ``metrics``, whether the regressor beats
    persistence and whether direction prediction beats a coin.

    Args:
        metrics: the ``metrics.json`` content written by ``rnnmodels.train_stocks``.

    Returns:
        The report text.
    """
    data, reg, direc = metrics["data"], metrics["regression"], metrics["direction"]
    model, pers = reg["model"], reg["persistence"]
    clf = direc["predictors"]["classifier"]
    lines = [
        f"# Stock forecasts: {', '.join(data['tickers'])}",
        "",
        f"Test days {data['test_dates'][0]} .. {data['test_dates'][1]} ({reg['n']} ticker-days); "
        f"windows of {data['window_size']} trading days; test history: `{data['test_history']}`; "
        f"training windows {data['windows']['train_fit']} + {data['windows']['valid']} for early stopping "
        f"(dates from {data['valid_from']}).",
        "Prices are in dollars, turned back from the [0, 1] scaling with each ticker's training-period scaler.",
        "",
        "## Does the regressor beat \"tomorrow equals today\"?",
        "",
        f"{_yes(reg['beats_persistence'])} Test RMSE ${model['rmse']:.3f} for the LSTM against ${pers['rmse']:.3f} "
        f"for persistence (ratio {reg['rmse_ratio']:.3f}; below 1 means the model is better); "
        f"MAE ${model['mae']:.3f} against ${pers['mae']:.3f} (ratio {reg['mae_ratio']:.3f}).",
        "",
        "| ticker | days | LSTM RMSE | persistence RMSE | ratio | LSTM MAE | persistence MAE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t, m in model["per_ticker"].items():
        p = pers["per_ticker"][t]
        lines.append(f"| {t} | {m['n']} | ${m['rmse']:.3f} | ${p['rmse']:.3f} | {m['rmse'] / p['rmse']:.3f} | "
                     f"${m['mae']:.3f} | ${p['mae']:.3f} |")
    lines.append(f"| all | {reg['n']} | ${model['rmse']:.3f} | ${pers['rmse']:.3f} | {reg['rmse_ratio']:.3f} | "
                 f"${model['mae']:.3f} | ${pers['mae']:.3f} |")
    lines += [
        "",
        "## Does direction prediction beat a coin?",
        "",
        f"{_yes(direc['classifier_beats_coin'])} The classifier is right on {clf['correct']} of {clf['n']} test days "
        f"(accuracy {clf['accuracy']:.3f}, F1 {clf['f1']:.3f}); the one-sided exact binomial p-value against a fair "
        f"coin (0.5) is {clf['p_value_vs_coin']:.4g}, and against the rate of the training-majority baseline "
        f"({direc['majority_rate']:.3f}) it is {clf['p_value_vs_majority_rate']:.4g}"
        f" ({'significant' if direc['classifier_beats_majority'] else 'not significant'} at 0.05).",
        f"Up days: {direc['test_up_rate']:.3f} of the test period, {direc['train_up_rate']:.3f} of the training period "
        f"(majority class {'up' if direc['train_majority_class'] == 1 else 'down'}).",
        "",
        "| predictor | accuracy | F1 | precision | recall | predicts up | p vs coin | p vs majority rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in direc["predictors"].items():
        lines.append(
            f"| {PREDICTOR_NAMES.get(name, name)} | {s['accuracy']:.3f} | {s['f1']:.3f} | {s['precision']:.3f} | "
            f"{s['recall']:.3f} | {s['predicted_up_rate']:.3f} | {s['p_value_vs_coin']:.4g} | "
            f"{s['p_value_vs_majority_rate']:.4g} |"
        )
    lines += [
        "",
        "p-values: P(X >= correct) for X ~ Binomial(n, rate), rate 0.5 or the majority baseline's test accuracy. "
        "The test treats days as independent and the majority rate as known, so read it as a rough guide.",
        "",
        "## Training",
        "",
        "| model | epochs run | kept epoch | monitor | seconds/epoch | seconds |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for name, r in metrics["training"].items():
        lines.append(f"| {name} | {r['epochs_run']} | {r['best_epoch']} | {r['monitor']} | {r['seconds_per_epoch']:.2f} | "
                     f"{r['seconds']:.1f} |")
    files = metrics.get("files", {})
    plots = files.get("plots", {})
    if plots:
        lines += ["", "## Figures", ""]
        for t, name in plots.get("test_prices", {}).items():
            lines.append(f"![{t} test prices]({name})")
        if plots.get("training_curves"):
            lines.append(f"![training curves]({plots['training_curves']})")
    lines.append("")
    return "\n".join(lines)


def write_report(metrics: Mapping, path: str) -> str:
    """Writes :func:`render_report` to ``path``; returns ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_report(metrics))
    return path

"""AG News end to end: Beam job -> train -> evaluate -> report, in one command.

::

    python -m rnnmodels.train --input_dir ../shared/data/ag_news --train_file train_partial.csv \\
        --output_dir runs/agnews

``--tokenizer bpemb`` (with the ``--bpemb_*`` flags) trains on BPEmb subword ids and vectors
instead of GloVe word ids (``--tokenizer glove``, the default).

Steps:

1. the Beam job (``python -m pipelines.agnews``, a subprocess) writes TFRecords, ``vocab.txt``,
   ``embedding.npy`` and ``metadata.json`` to ``--data_dir`` (default ``OUTPUT_DIR/data``),
   unless an earlier output there was made from the same inputs and options
   (:mod:`rnnmodels.preprocess`);
2. the advanced classifier (:func:`rnnmodels.create_advanced_rnn`, embedding initialised from
   the job's ``embedding.npy``) trains on ``input_fn`` batches of the ``train`` split; the
   ``valid`` split alone chooses the checkpoint kept (``ModelCheckpoint`` on ``--monitor``,
   best weights restored) and stops training on a plateau (``EarlyStopping``);
3. it is evaluated once on the official ``test`` split;
4. the same for the bag-of-words baseline (:func:`rnnmodels.create_bow_model`);
5. ``metrics.json``, ``history.json``, PNG plots and ``report.md`` are written.

Run folder (``--output_dir``): ``model.keras``, ``baseline.keras``, ``metadata.json`` and the
tokenizer files it names (``vocab.txt``), ``history.json``, ``metrics.json``, ``report.md``,
``history_<model>.png``, ``confusion_<model>.png``, ``logs/<model>/`` (TensorBoard),
``checkpoints/<model>/`` (``BackupAndRestore`` state, best weights, per-epoch history,
settings), ``data/`` (the Beam job's output, unless ``--data_dir`` points elsewhere).

Resuming: run the same command again.  Training continues from the last finished epoch of
an interrupted ``fit``; a model whose training finished is not retrained; ``--restart``
discards the checkpoints.  Checkpoints made with other settings are refused with a message.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shlex
import shutil
import sys
import time
import warnings

import numpy as np

from rnnmodels import evaluate, plots, report
from rnnmodels.preprocess import ensure_tfrecords
from rnnmodels.run_config import parse_args
from rnnmodels.training_callbacks import (
    EpochHistoryFile,
    InterruptAfterEpoch,
    ResumableEarlyStopping,
    StepTimer,
    best_epoch,
    series_from_entries,
    tensorboard_callback,
)

MODEL_FILES = {"advanced": "model.keras", "baseline": "baseline.keras"}


def log(message: str) -> None:
    print(f"[rnnmodels.train] {message}", flush=True)


def _write_json(path: str, data) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def _read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def tokenizer_files(metadata: dict, data_dir: str) -> list[str]:
    """Files inside ``data_dir`` that the tokenizer config names (vocabulary, subword model).

    Args:
        metadata: the Beam job's metadata.
        data_dir: its output folder.

    Returns:
        Relative file names, e.g. ``["vocab.txt"]``.
    """
    config = metadata.get("tokenizer") or {}
    names = [config.get("vocab_file")] + [v for v in (config.get("extra") or {}).values() if isinstance(v, str)]
    found = []
    for name in names:
        if name and name not in found and os.path.isfile(os.path.join(data_dir, name)):
            found.append(name)
    if config.get("vocab_file") and config["vocab_file"] not in found:
        raise FileNotFoundError(f"{os.path.join(data_dir, config['vocab_file'])}: named by metadata.json but missing")
    return found


def copy_run_files(metadata: dict, data_dir: str, output_dir: str) -> list[str]:
    """Copies ``metadata.json`` and the tokenizer files into the run folder (for predict)."""
    copied = []
    for name in ["metadata.json"] + tokenizer_files(metadata, data_dir):
        dest = os.path.join(output_dir, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(data_dir, name), dest)
        copied.append(name)
    return copied


def advanced_learning_rate(args, steps_per_epoch: int):
    """``--learning_rate``, or with ``--lr_schedule cosine`` a cosine decay from it to a tenth of it
    over ``--epochs`` epochs (driven by the optimizer's step count, so a resumed run continues it)."""
    import keras

    if args.lr_schedule == "constant":
        return args.learning_rate
    return keras.optimizers.schedules.CosineDecay(args.learning_rate, decay_steps=args.epochs * steps_per_epoch, alpha=0.1)


def build_model(name: str, args, embedding: np.ndarray, num_classes: int, *, steps_per_epoch: int):
    """The advanced classifier or the baseline, compiled, with the run's settings."""
    import keras

    from rnnmodels import create_advanced_rnn, create_bow_model

    keras.utils.set_random_seed(args.seed)
    if name == "advanced":
        return create_advanced_rnn(
            embedding, num_classes, implementation=args.implementation, hidden_units=args.hidden_units,
            num_layers=args.num_layers, dense_units=tuple(args.dense_units), dropout=args.dropout,
            learning_rate=advanced_learning_rate(args, steps_per_epoch),
        )
    return create_bow_model(embedding, num_classes, hidden_units=args.baseline_hidden_units,
                            dropout=args.dropout, learning_rate=args.learning_rate)


def model_settings(name: str, args) -> dict:
    """The settings that define a model's training (checkpoints made with others are refused)."""
    common = {"batch_size": args.batch_size, "max_train_examples": args.max_train_examples, "seed": args.seed,
              "monitor": args.monitor, "patience": args.patience, "learning_rate": args.learning_rate,
              "dropout": args.dropout}
    if name == "advanced":
        return {"model": "create_advanced_rnn", "implementation": args.implementation, "lr_schedule": args.lr_schedule,
                "hidden_units": args.hidden_units, "num_layers": args.num_layers,
                "dense_units": list(args.dense_units), "epochs": args.epochs, **common}
    return {"model": "create_bow_model", "hidden_units": args.baseline_hidden_units,
            "epochs": args.baseline_epochs, **common}


def _data_fingerprint(metadata: dict) -> dict:
    return {"inputs": {k: v.get("sha256") for k, v in (metadata.get("inputs") or {}).items()},
            "splits": metadata.get("splits"), "vocab_size": metadata.get("vocab_size"),
            "tokenizer": (metadata.get("tokenizer") or {}).get("kind"),
            "created": metadata.get("created")}


def load_best_weights(model, path: str) -> None:
    """Loads a ModelCheckpoint weights file (its optimizer state, not needed here, is skipped quietly)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)


def fit_or_resume(name: str, model_fn, *, settings: dict, epochs: int, train_ds, valid_ds, steps_per_epoch,
                  examples_per_step: float, run_dir: str, monitor: str, patience: int,
                  interrupt_after_epoch: int | None = None, extra_callbacks=()):
    """Trains one model with resumable checkpoints, or loads it when its training finished.

    Args:
        name: "advanced" or "baseline" (names the checkpoint and log folders).
        model_fn: builds the compiled model.
        settings: what defines this training; stored with the checkpoints and compared on resume.
        epochs: most epochs.
        train_ds, valid_ds: ``input_fn`` datasets.
        steps_per_epoch: steps per epoch when ``train_ds`` repeats, else None.
        examples_per_step: mean training examples per step (for examples/s).
        run_dir: the run folder.
        monitor, patience: model selection and early stopping on the validation split.
        interrupt_after_epoch: test hook, raise after this epoch.
        extra_callbacks: more Keras callbacks (e.g. in tests).

    Returns:
        ``(model with the best weights, training summary dict, per-epoch history entries)``.
    """
    import keras

    ckpt_dir = os.path.join(run_dir, "checkpoints", name)
    os.makedirs(ckpt_dir, exist_ok=True)
    settings_path = os.path.join(ckpt_dir, "settings.json")
    done_path = os.path.join(ckpt_dir, "done.json")
    best_path = os.path.join(ckpt_dir, "best.weights.h5")
    history_path = os.path.join(ckpt_dir, "history.json")
    if os.path.exists(settings_path):
        previous = _read_json(settings_path)
        if previous != settings:
            diff = {k: (previous.get(k), settings.get(k)) for k in set(previous) | set(settings) if previous.get(k) != settings.get(k)}
            raise SystemExit(
                f"{ckpt_dir} holds checkpoints made with other settings {diff} (before, now); "
                "pass --restart to discard them, or use another --output_dir"
            )
    else:
        _write_json(settings_path, settings)

    model = model_fn()
    mode = "min" if monitor.endswith("loss") else "max"
    if os.path.exists(done_path) and os.path.exists(best_path):
        log(f"{name}: training already finished ({done_path}); loading its best weights")
        load_best_weights(model, best_path)
        return model, _read_json(done_path), EpochHistoryFile.read(history_path)

    history = EpochHistoryFile(history_path)
    prior_best = best_epoch(history.entries, monitor, mode) if os.path.exists(best_path) else None
    timer = StepTimer()
    callbacks = [
        timer,
        keras.callbacks.ModelCheckpoint(
            best_path, monitor=monitor, mode=mode, save_best_only=True, save_weights_only=True,
            initial_value_threshold=None if prior_best is None else prior_best[monitor],
        ),
        history,
        ResumableEarlyStopping(history, monitor=monitor, mode=mode, patience=patience, verbose=1),
        keras.callbacks.BackupAndRestore(os.path.join(ckpt_dir, "backup")),
        *extra_callbacks,
    ]
    tensorboard = tensorboard_callback(os.path.join(run_dir, "logs", name), log=log)
    if tensorboard is not None:
        callbacks.insert(4, tensorboard)
    if interrupt_after_epoch is not None:
        callbacks.append(InterruptAfterEpoch(interrupt_after_epoch))
    log(f"{name}: training up to {epochs} epochs ({model.count_params():,} parameters)")
    start = time.perf_counter()
    model.fit(train_ds, validation_data=valid_ds, epochs=epochs, steps_per_epoch=steps_per_epoch,
              callbacks=callbacks, verbose="auto")
    fit_seconds = time.perf_counter() - start
    if not os.path.exists(best_path):
        raise RuntimeError(f"{name}: no checkpoint was written ({monitor} never had a finite value)")
    load_best_weights(model, best_path)
    best = best_epoch(history.entries, monitor, mode)
    summary = {
        "epochs_run": len(history.entries),
        "resumed_at_epoch": history.resumed_at if history.resumed_at else None,
        "stopped_early": len(history.entries) < epochs,
        "best_epoch": None if best is None else best["epoch"],
        "best_val_loss": None if best is None else best.get("val_loss"),
        "best_val_accuracy": None if best is None else best.get("val_accuracy"),
        "train_seconds": float(sum(e.get("seconds", 0.0) for e in history.entries)),
        "fit_seconds_this_session": fit_seconds,
        **timer.summary(examples_per_step),
    }
    _write_json(done_path, summary)
    return model, summary, history.entries


def run(argv=None, *, extra_callbacks=()) -> dict:
    """Runs the whole job; returns the contents of ``metrics.json``.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).
        extra_callbacks: Keras callbacks added to both trainings (tests).
    """
    import keras

    from rnnmodels import count_parameters
    from tfrecords.bucketing import suggest_bucket_boundaries
    from tfrecords.input_fn import input_fn, split_length_histogram
    from tfrecords.metadata import read_metadata

    started = time.perf_counter()
    args, beam_args = parse_args(argv)
    command = "python -m rnnmodels.train " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    run_dir = args.output_dir
    os.makedirs(run_dir, exist_ok=True)

    # 1. Beam job (or its earlier output).
    prep = ensure_tfrecords(args, beam_args, log=log)
    data_dir = args.data_dir
    metadata = read_metadata(data_dir)
    empty = [split for split in ("train", "valid", "test") if not int(metadata["splits"].get(split) or 0)]
    if empty:
        raise RuntimeError(
            f"{data_dir}: the {'/'.join(empty)} split holds no examples ({metadata['splits']}); training needs "
            "train rows, model selection valid rows (raise --valid_fraction or --valid_size) and evaluation test rows")
    class_names = list(metadata["class_names"])
    num_classes = int(metadata["num_classes"])
    embedding = np.load(os.path.join(data_dir, metadata["embedding"]["file"]))
    copied = copy_run_files(metadata, data_dir, run_dir)
    log(f"data: {metadata['splits']} from {data_dir}; embedding {embedding.shape}; copied {copied} to {run_dir}")

    if args.restart:
        for name in MODEL_FILES:
            shutil.rmtree(os.path.join(run_dir, "checkpoints", name), ignore_errors=True)
            shutil.rmtree(os.path.join(run_dir, "logs", name), ignore_errors=True)

    # Batches: bucket boundaries suited to this batch size, from the training length histogram.
    histogram = split_length_histogram(metadata, "train")
    boundaries = (suggest_bucket_boundaries(histogram, args.batch_size) if histogram
                  else list(metadata["bucket_boundaries"]))
    n_train = int(metadata["splits"]["train"])
    capped = args.max_train_examples is not None and args.max_train_examples < n_train
    train_ds = input_fn(data_dir, "train", args.batch_size, seed=args.seed, repeat=capped, bucket_boundaries=boundaries)
    valid_ds = input_fn(data_dir, "valid", args.batch_size, bucket_boundaries=boundaries)
    if capped:
        steps_per_epoch = math.ceil(args.max_train_examples / args.batch_size)
        examples_per_epoch = args.max_train_examples
    else:
        steps_per_epoch = None
        examples_per_epoch = n_train
    batches_per_epoch = steps_per_epoch or int(train_ds.cardinality())
    examples_per_step = examples_per_epoch / batches_per_epoch

    # 2-4. Train (or resume, or load) each model, then evaluate it once on the test split.
    results, histories, predictions = {}, {}, {}
    for name in MODEL_FILES:
        settings = {**model_settings(name, args), "data": _data_fingerprint(metadata)}
        model, training, entries = fit_or_resume(
            name, lambda name=name: build_model(name, args, embedding, num_classes, steps_per_epoch=batches_per_epoch),
            settings=settings, epochs=args.epochs if name == "advanced" else args.baseline_epochs,
            train_ds=train_ds, valid_ds=valid_ds, steps_per_epoch=steps_per_epoch,
            examples_per_step=examples_per_step, run_dir=run_dir, monitor=args.monitor, patience=args.patience,
            interrupt_after_epoch=args.interrupt_after_epoch if name == "advanced" else None,
            extra_callbacks=extra_callbacks,
        )
        model.save(os.path.join(run_dir, MODEL_FILES[name]))
        test_ds = input_fn(data_dir, "test", args.batch_size, shuffle=False, include_fields=("id", "text"),
                           bucket_boundaries=boundaries)
        t0 = time.perf_counter()
        preds = evaluate.predict_dataset(model, test_ds, total_batches=int(test_ds.cardinality()), desc=f"test {name}")
        eval_seconds = time.perf_counter() - t0
        test_metrics = evaluate.classification_metrics(
            evaluate.confusion_matrix(preds["labels"], preds["predictions"], num_classes), class_names)
        log(f"{name}: test accuracy {test_metrics['accuracy']:.4f}, macro F1 {test_metrics['macro_f1']:.4f}")
        predictions[name] = preds
        histories[name] = series_from_entries(entries)
        results[name] = {
            "test_accuracy": test_metrics["accuracy"],
            "test_macro_f1": test_metrics["macro_f1"],
            "test": test_metrics,
            "training": {**training, "examples_per_epoch": examples_per_epoch, "steps_per_epoch": batches_per_epoch},
            "eval_seconds": eval_seconds,
            "params": count_parameters(model)["total"],
            "config": {k: v for k, v in model_settings(name, args).items() if k not in ("monitor", "patience")},
            "file": MODEL_FILES[name],
        }
        plots.plot_history(histories[name], os.path.join(run_dir, f"history_{name}.png"),
                           title=f"{name}: loss and accuracy per epoch")
        plots.plot_confusion_matrix(test_metrics["confusion_matrix"], class_names,
                                    os.path.join(run_dir, f"confusion_{name}.png"), title=f"{name}: test set")
        keras.backend.clear_session(free_memory=True)

    # 5. history.json, metrics.json, report.md.
    _write_json(os.path.join(run_dir, "history.json"), histories)
    metrics = {
        "run": {
            "command": command,
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - started,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_implementation()} {platform.python_version()}",
            "preprocess": {k: prep[k] for k in ("reused", "reason", "seconds")},
        },
        "data": {
            "data_dir": os.path.abspath(data_dir), "reused": prep["reused"], "splits": metadata["splits"],
            "class_names": class_names, "vocab_size": metadata["vocab_size"], "tokenizer": metadata["tokenizer"],
            "embedding": {k: metadata["embedding"].get(k) for k in ("source", "dim")} | {
                "coverage": (metadata["embedding"].get("coverage") or {}).get("vocab_share")
                if isinstance(metadata["embedding"].get("coverage"), dict) else metadata["embedding"].get("coverage")},
            "inputs": metadata.get("inputs", {}),
            "train_examples_used": examples_per_epoch if capped else None,
            "bucket_boundaries": boundaries,
        },
        "models": results,
    }
    examples = {
        "baseline_wrong_advanced_right": report.disagreements(predictions["baseline"], predictions["advanced"],
                                                              class_names, limit=args.report_examples),
        "advanced_wrong_baseline_right": report.disagreements(predictions["advanced"], predictions["baseline"],
                                                              class_names, limit=args.report_examples),
        "agreement": report.count_agreement(predictions["advanced"], predictions["baseline"]),
    }
    metrics["comparison"] = examples["agreement"]
    _write_json(os.path.join(run_dir, "metrics.json"), metrics)
    figures = {}
    for name in MODEL_FILES:
        figures[f"{name}: loss and accuracy per epoch"] = f"history_{name}.png"
        figures[f"{name}: test confusion matrix"] = f"confusion_{name}.png"
    report.write_report(os.path.join(run_dir, "report.md"), metrics, examples=examples, figures=figures)
    log(f"done in {metrics['run']['wall_seconds']:.0f} s: {run_dir}/report.md")
    return metrics


def main(argv=None) -> int:
    """Command-line entry point."""
    try:
        run(argv)
    except (FileNotFoundError, RuntimeError) as e:
        print(f"rnnmodels.train: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

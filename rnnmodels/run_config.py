"""Command-line flags of ``python -m rnnmodels.train`` and the defaults chosen for them.

Default size of the advanced model.  The original specification uses 128 hidden units,
3 recurrent layers per direction and 10 epochs.  On a 2-core CPU without a GPU (the machine
the README's command must fit; measured while other jobs shared it), one training epoch
over the 40,100 training rows of ``train_partial.csv`` takes about
:data:`MEASURED_EPOCH_SECONDS` seconds, so the specification's model would need about an
hour and a half.  The defaults (:data:`DEFAULT_HIDDEN_UNITS`, :data:`DEFAULT_NUM_LAYERS`,
:data:`DEFAULT_EPOCHS`) keep the whole command (Beam job ~1.5 min, advanced model, baseline
~1-2 min, evaluation, report) to about 20-30 minutes on such a machine: full runs took
18.6 minutes with 6 epochs and 16.1 minutes with 8 (epochs of 68-209 s, depending on the
other load), and validation loss was still falling at the last epoch of both, hence the
specification's 10 epochs at this size.  Measured with the README's command in fresh clones
(installation included), seed 0: with a constant learning rate, 18.3 minutes and test
accuracy 89.17% (kept epoch 8 of 10; validation loss jumped between epochs); with the cosine
decay now the default (``--lr_schedule``), 15.6 minutes and 90.29% (kept epoch 6, early stop
after 8).  An earlier constant-rate run with the previous tokenizer rules gave 90.50%, so
runs differ by about a point.  Pass ``--hidden_units 128 --num_layers 3`` for the
original size.
"""
from __future__ import annotations

import argparse
import os

INPUT_DIR_ENV = "AG_NEWS_DIR"

#: Seconds per training epoch (train_partial.csv, 40,100 rows, batch 128, bucketed, GloVe 50d,
#: ``--implementation cells``) on 2 shared CPU cores.  "64 units, 2 layers": mean of the 14
#: epochs of two full runs (68-209 s each, validation included).  The others: median train
#: step time on batches with the real length distribution, times the 333 steps per epoch.
MEASURED_EPOCH_SECONDS = {
    "hidden 128, 3 layers": 580,
    "hidden 64, 2 layers": 125,
    "hidden 64, 1 layer": 73,
}

DEFAULT_HIDDEN_UNITS = 64
DEFAULT_NUM_LAYERS = 2
DEFAULT_EPOCHS = 10
DEFAULT_BASELINE_EPOCHS = 15

#: ``--tokenizer`` of this job -> ``metadata["tokenizer"]["kind"]`` (and the Beam job's ``--tokenizer``).
TOKENIZER_KINDS = {"glove": "word", "bpemb": "bpemb"}

#: The Beam job's defaults for the ``--bpemb_*`` flags this job leaves unset (it passes on only
#: the flags given, so these are what an output made without them recorded).
BPEMB_JOB_DEFAULTS = {"bpemb_model": None, "bpemb_vectors": None, "bpemb_lang": "en", "bpemb_vs": 10000,
                      "bpemb_dim": 50, "bpemb_cache_dir": None, "bpemb_no_download": False}
BPEMB_FLAGS = tuple(BPEMB_JOB_DEFAULTS)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _dense_units(text: str) -> tuple[int, ...]:
    try:
        units = tuple(int(u) for u in text.split(",") if u.strip())
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 64,32, got {text!r}") from e
    if any(u < 1 for u in units):
        raise argparse.ArgumentTypeError(f"dense layer widths must be >= 1, got {text!r}")
    return units


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def add_bpemb_arguments(parser: argparse.ArgumentParser, title: str):
    """Adds the ``--bpemb_*`` flags, passed to the Beam job only when given (default None).

    Args:
        parser: the parser.
        title: the argument group's title.

    Returns:
        The argument group.
    """
    b = parser.add_argument_group(title)
    b.add_argument("--bpemb_model", default=None,
                   help="BPEmb SentencePiece .model file (local files instead of the bpemb package)")
    b.add_argument("--bpemb_vectors", default=None,
                   help="its vectors (word2vec .bin or text); without them the embedding is initialised randomly and trained")
    b.add_argument("--bpemb_lang", default=None, help="BPEmb language for the bpemb package (Beam job default: en)")
    b.add_argument("--bpemb_vs", type=_positive_int, default=None,
                   help="BPEmb vocabulary size for the bpemb package (Beam job default: 10000)")
    b.add_argument("--bpemb_dim", type=_positive_int, default=None,
                   help="vector dimension for the bpemb package, or of the random embedding of a model without "
                        "vectors (Beam job default: 50)")
    b.add_argument("--bpemb_cache_dir", default=None, help="bpemb package cache folder (Beam job default: ~/.cache/bpemb)")
    b.add_argument("--bpemb_no_download", action="store_true", default=None,
                   help="fail instead of downloading files missing from the bpemb cache")
    return b


def bpemb_options(args: argparse.Namespace) -> dict:
    """The ``--bpemb_*`` flags given (name -> value); the others are left to the Beam job."""
    return {name: getattr(args, name) for name in BPEMB_FLAGS if getattr(args, name, None) is not None}


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m rnnmodels.train`` (unknown flags go to the Beam job)."""
    timings = "; ".join(f"{k}: ~{v} s" for k, v in MEASURED_EPOCH_SECONDS.items())
    p = argparse.ArgumentParser(
        prog="python -m rnnmodels.train",
        allow_abbrev=False,  # unknown flags go to the Beam job; never match them to ours by prefix
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "AG News end to end: the Beam job (python -m pipelines.agnews, run as a subprocess) into TFRecords, "
            "then training the advanced bidirectional residual-LSTM classifier and the bag-of-words baseline on "
            "the train split with model selection on the valid split, evaluation on the official test set, "
            "metrics.json, plots and report.md in --output_dir. Any flag not listed here is passed to the Beam "
            "job (e.g. --runner, --direct_num_workers 2)."
        ),
        epilog=(
            "Default model size: one training epoch of the specification's model (hidden 128, 3 layers) over the "
            f"40,100 training rows takes ~{MEASURED_EPOCH_SECONDS['hidden 128, 3 layers']} s on a 2-core CPU "
            f"(per epoch on 2 shared cores, see rnnmodels/run_config.py: {timings}), so the defaults are hidden {DEFAULT_HIDDEN_UNITS}, "
            f"{DEFAULT_NUM_LAYERS} layers, {DEFAULT_EPOCHS} epochs (early stopping may end sooner), which keeps "
            "the whole command to about 20-30 minutes on such a machine. "
            "Use --hidden_units 128 --num_layers 3 for the original size.\n\n"
            "Re-running with the same --output_dir resumes: the Beam job's output is reused when its inputs "
            "(sha256) and options match, an interrupted training continues from its last finished epoch "
            "(BackupAndRestore), and finished models are not retrained (--restart to start over)."
        ),
    )
    data = p.add_argument_group("data (passed to python -m pipelines.agnews)")
    data.add_argument("--input_dir", default=os.environ.get(INPUT_DIR_ENV),
                      help=f"folder holding the AG News CSV files (default: ${INPUT_DIR_ENV}; when neither is set, "
                           "the Beam job downloads the official ag_news_csv archive, checks and caches it)")
    data.add_argument("--train_file", default="train.csv", help="training CSV inside --input_dir (default: %(default)s)")
    data.add_argument("--test_file", default="test.csv", help="test CSV inside --input_dir (default: %(default)s)")
    data.add_argument("--data_dir", default=None,
                      help="where the Beam job writes TFRecords, vocab.txt, embedding.npy, metadata.json "
                           "(default: OUTPUT_DIR/data)")
    data.add_argument("--vocab_size", type=_positive_int, default=10_000,
                      help="vocabulary words besides <pad> and <unk> (default: %(default)s)")
    valid = data.add_mutually_exclusive_group()
    valid.add_argument("--valid_fraction", type=float, default=None,
                       help="share of the training file hashed into the validation split (Beam job default: 1/12)")
    valid.add_argument("--valid_size", type=_positive_int, default=None, help="about this many validation rows")
    data.add_argument("--tokenizer", choices=sorted(TOKENIZER_KINDS), default="glove",
                      help="glove: word ids of the most frequent training words, embedding from GloVe vectors; "
                           "bpemb: BPEmb subword ids, embedding from BPEmb vectors (the --bpemb_* flags) "
                           "(default: %(default)s)")
    data.add_argument("--glove", default=None,
                      help="GloVe/word2vec text file, e.g. glove.6B.300d.txt (default: the packaged GloVe 6B 50d)")
    data.add_argument("--force_preprocess", action="store_true",
                      help="re-run the Beam job even when --data_dir holds outputs made from the same inputs and options")

    add_bpemb_arguments(p, "BPEmb subwords (with --tokenizer bpemb; passed to the Beam job)")

    model = p.add_argument_group("advanced model")
    model.add_argument("--implementation", choices=("cells", "fused"), default="cells",
                       help="cells: RNN(ResidualLSTMCell), the reference; fused: keras.layers.LSTM + projection "
                            "(cuDNN on a GPU) (default: %(default)s)")
    model.add_argument("--hidden_units", type=_positive_int, default=DEFAULT_HIDDEN_UNITS,
                       help="units per recurrent layer (default: %(default)s; specification: 128)")
    model.add_argument("--num_layers", type=_positive_int, default=DEFAULT_NUM_LAYERS,
                       help="recurrent layers per direction (default: %(default)s; specification: 3)")
    model.add_argument("--dense_units", type=_dense_units, default=(64, 32),
                       help="hidden dense layer widths, comma-separated (default: 64,32)")
    model.add_argument("--dropout", type=_rate, default=0.4, help="dropout after each dense layer (default: %(default)s)")
    model.add_argument("--learning_rate", type=float, default=1e-3, help="RMSprop learning rate (default: %(default)s)")
    model.add_argument("--lr_schedule", choices=("cosine", "constant"), default="cosine",
                       help="cosine: the learning rate decays from --learning_rate to a tenth of it over --epochs "
                            "(smoother last epochs, so the checkpoint kept is less a matter of luck); constant: "
                            "--learning_rate throughout (default: %(default)s)")
    model.add_argument("--epochs", type=_positive_int, default=DEFAULT_EPOCHS,
                       help="most training epochs (default: %(default)s; specification: 10)")

    base = p.add_argument_group("bag-of-words baseline")
    base.add_argument("--baseline_hidden_units", type=_positive_int, default=64,
                      help="width of the baseline's hidden layer (default: %(default)s)")
    base.add_argument("--baseline_epochs", type=_positive_int, default=DEFAULT_BASELINE_EPOCHS,
                      help="most baseline epochs (default: %(default)s; an epoch takes seconds)")

    train = p.add_argument_group("training (both models)")
    train.add_argument("--batch_size", type=_positive_int, default=128, help="batch size (default: %(default)s)")
    train.add_argument("--max_train_examples", type=_positive_int, default=None,
                       help="train on about this many examples per epoch: ceil(N / batch_size) steps, successive "
                            "epochs taking the next batches of the shuffled, repeated train split (default: the "
                            "whole split each epoch)")
    train.add_argument("--monitor", choices=("val_loss", "val_accuracy"), default="val_loss",
                       help="validation metric for keeping the best checkpoint and early stopping (default: %(default)s)")
    train.add_argument("--patience", type=_positive_int, default=2,
                       help="epochs without improvement of --monitor before stopping (default: %(default)s)")
    train.add_argument("--seed", type=int, default=0, help="seed of weights initialisation and shuffling (default: %(default)s)")
    train.add_argument("--restart", action="store_true",
                       help="discard checkpoints in OUTPUT_DIR/checkpoints and train both models from scratch")
    train.add_argument("--interrupt_after_epoch", type=int, default=None, help=argparse.SUPPRESS)  # test hook

    out = p.add_argument_group("output")
    out.add_argument("--output_dir", required=True,
                     help="run folder: model.keras, baseline.keras, metadata.json, vocab.txt, history.json, "
                          "metrics.json, report.md, *.png, logs/ (TensorBoard), checkpoints/, data/")
    out.add_argument("--report_examples", type=int, default=5,
                     help="disagreement examples per direction in report.md (default: %(default)s)")
    return p


def parse_args(argv=None) -> tuple[argparse.Namespace, list[str]]:
    """``(own flags, flags passed on to the Beam job)``; fills in ``data_dir``."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    if args.valid_fraction is not None and not 0.0 < args.valid_fraction < 1.0:
        parser.error(f"--valid_fraction must be in (0, 1), got {args.valid_fraction}")
    if args.tokenizer == "glove":
        given = [f"--{name}" for name in bpemb_options(args)]
        if given:
            parser.error(f"{', '.join(given)}: BPEmb flags need --tokenizer bpemb")
    elif args.glove:
        parser.error("--glove is for --tokenizer glove; with --tokenizer bpemb the vectors come from the --bpemb_* flags")
    if args.data_dir is None:
        args.data_dir = os.path.join(args.output_dir, "data")
    return args, beam_args

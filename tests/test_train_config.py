"""Flags of python -m rnnmodels.train, and the files copied into a run folder."""
import json
import os

import pytest

from rnnmodels import run_config
from rnnmodels.run_config import build_parser, parse_args
from rnnmodels.train import copy_run_files, model_settings, tokenizer_files


def test_defaults_and_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(run_config.INPUT_DIR_ENV, raising=False)
    args, beam_args = parse_args(["--output_dir", str(tmp_path)])
    assert args.input_dir is None  # the Beam job downloads the official files
    assert args.data_dir == os.path.join(str(tmp_path), "data")
    assert (args.hidden_units, args.num_layers, args.epochs) == (
        run_config.DEFAULT_HIDDEN_UNITS, run_config.DEFAULT_NUM_LAYERS, run_config.DEFAULT_EPOCHS)
    assert args.batch_size == 128 and args.dense_units == (64, 32) and args.implementation == "cells"
    assert beam_args == []


def test_input_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(run_config.INPUT_DIR_ENV, "/data/ag")
    args, _ = parse_args(["--output_dir", str(tmp_path)])
    assert args.input_dir == "/data/ag"
    args, _ = parse_args(["--output_dir", str(tmp_path), "--input_dir", "/other"])
    assert args.input_dir == "/other"


def test_unknown_flags_go_to_the_beam_job(tmp_path):
    args, beam_args = parse_args(["--output_dir", str(tmp_path), "--runner", "DirectRunner",
                                  "--direct_num_workers=2", "--epochs", "3"])
    assert beam_args == ["--runner", "DirectRunner", "--direct_num_workers=2"]
    assert args.epochs == 3
    # No prefix matching: --input would otherwise be taken for --input_dir.
    args, beam_args = parse_args(["--output_dir", str(tmp_path), "--input", "x"])
    assert beam_args == ["--input", "x"]


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--dense_units", "64,x"], ["--dropout", "1.5"],
                                  ["--valid_fraction", "0.3", "--valid_size", "10"], ["--valid_fraction", "1.5"],
                                  ["--implementation", "cudnn"]])
def test_bad_flags_are_rejected(argv, tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--output_dir", str(tmp_path)] + argv)
    assert "error" in capsys.readouterr().err


def test_help_states_the_measured_default_choice():
    text = build_parser().format_help()
    assert f"hidden {run_config.DEFAULT_HIDDEN_UNITS}" in text
    assert f"{run_config.DEFAULT_EPOCHS} epochs" in text
    for label, seconds in run_config.MEASURED_EPOCH_SECONDS.items():
        assert f"{label}: ~{seconds} s" in text
    assert "--interrupt_after_epoch" not in text  # test hook, hidden


def test_model_settings_differ_by_model(tmp_path):
    args, _ = parse_args(["--output_dir", str(tmp_path), "--hidden_units", "16", "--baseline_hidden_units", "8"])
    adv, base = model_settings("advanced", args), model_settings("baseline", args)
    assert adv["hidden_units"] == 16 and adv["model"] == "create_advanced_rnn" and adv["epochs"] == args.epochs
    assert base["hidden_units"] == 8 and base["model"] == "create_bow_model" and base["epochs"] == args.baseline_epochs
    json.dumps(adv), json.dumps(base)  # stored as JSON next to the checkpoints


def test_tokenizer_files_are_copied(tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    (data / "vocab.txt").write_text("<pad>\n<unk>\nx\n")
    (data / "metadata.json").write_text("{}")
    (data / "bpe.model").write_bytes(b"model")
    word = {"tokenizer": {"kind": "word", "vocab_file": "vocab.txt", "extra": {}}}
    assert tokenizer_files(word, str(data)) == ["vocab.txt"]
    bpe = {"tokenizer": {"kind": "bpemb", "vocab_file": None, "extra": {"model_file": "bpe.model", "id_offset": 1}}}
    assert tokenizer_files(bpe, str(data)) == ["bpe.model"]
    assert copy_run_files(word, str(data), str(run)) == ["metadata.json", "vocab.txt"]
    assert (run / "vocab.txt").read_text() == "<pad>\n<unk>\nx\n"
    (data / "vocab.txt").unlink()
    with pytest.raises(FileNotFoundError, match="vocab.txt"):
        tokenizer_files(word, str(data))


def test_empty_validation_split_is_a_clear_error(tmp_path, capsys):
    from rnnmodels import train

    folder = tmp_path / "in"
    folder.mkdir()
    rows = [f'"{i % 4 + 1}","title {i}","some words number {i}"' for i in range(12)]
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    (folder / "test.csv").write_text("\n".join(rows[:4]) + "\n")
    argv = ["--input_dir", str(folder), "--output_dir", str(tmp_path / "run"), "--valid_fraction", "0.0001",
            "--glove", str(_tiny_glove(tmp_path))]
    assert train.main(argv) == 1
    err = capsys.readouterr().err
    assert "the valid split holds no examples" in err and "--valid_fraction" in err
    assert not (tmp_path / "run" / "checkpoints").exists()


def _tiny_glove(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("title 0.1 0.2\nwords 0.3 0.4\n")
    return path


def test_learning_rate_schedule(tmp_path):
    from rnnmodels.train import advanced_learning_rate

    args, _ = parse_args(["--output_dir", str(tmp_path), "--learning_rate", "0.002", "--epochs", "4"])
    assert args.lr_schedule == "cosine"
    schedule = advanced_learning_rate(args, steps_per_epoch=10)
    assert float(schedule(0)) == pytest.approx(0.002)
    assert float(schedule(20)) == pytest.approx(0.002 * (0.1 + 0.9 * 0.5))  # half way: cos(pi/2) = 0
    assert float(schedule(40)) == pytest.approx(0.0002)
    assert float(schedule(400)) == pytest.approx(0.0002)
    constant, _ = parse_args(["--output_dir", str(tmp_path), "--lr_schedule", "constant"])
    assert advanced_learning_rate(constant, steps_per_epoch=10) == pytest.approx(1e-3)
    assert model_settings("advanced", args)["lr_schedule"] == "cosine"

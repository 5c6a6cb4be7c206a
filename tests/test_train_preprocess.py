"""Reusing the Beam job's output only when its inputs (sha256) and options match."""
import sys

import pytest

from rnnmodels.preprocess import beam_job_command, describe_inputs, ensure_tfrecords, mismatch_reason, run_beam_job
from rnnmodels.run_config import parse_args
from tfrecords.metadata import write_metadata
from tfrecords.tokenizer import TokenizerConfig

OPTIONS = dict(train_file="train.csv", test_file="test.csv", vocab_size=100, valid_fraction=None, valid_size=None,
               glove=None)


@pytest.fixture
def folders(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "train.csv").write_text('"1","a","b"\n')
    (inp / "test.csv").write_text('"2","c","d"\n')
    (inp / "classes.txt").write_text("World\nSports\n")
    inputs = describe_inputs(str(inp), "train.csv", "test.csv")
    write_metadata(str(out), {
        "dataset": "ag_news", "record_kind": "text", "splits": {"train": 5, "valid": 1, "test": 1},
        "class_names": ["World", "Sports"], "num_classes": 2, "vocab_size": 102, "pad_id": 0, "unk_id": 1,
        "tokenizer": TokenizerConfig().to_dict(), "bucket_boundaries": [], "inputs": inputs,
        "options": {**OPTIONS, "input_dir": str(inp), "output_dir": str(out), "num_shards": 4, "runner": "DirectRunner"},
    })
    return inp, out


def test_describe_inputs_hashes_the_files(folders):
    import hashlib

    inp, _ = folders
    inputs = describe_inputs(str(inp), "train.csv", "test.csv")
    assert sorted(inputs) == ["classes.txt", "test.csv", "train.csv"]
    assert inputs["train.csv"]["sha256"] == hashlib.sha256(b'"1","a","b"\n').hexdigest()
    assert inputs["train.csv"]["bytes"] == 12
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        describe_inputs(str(inp), "nope.csv", "test.csv")


def test_matching_output_is_reused(folders):
    inp, out = folders
    assert mismatch_reason(str(out), inputs=describe_inputs(str(inp), "train.csv", "test.csv"), **OPTIONS) is None
    # Downloading (no input folder): only the options can be compared.
    assert mismatch_reason(str(out), inputs=None, **OPTIONS) is None


@pytest.mark.parametrize("change, expected", [
    ({"vocab_size": 200}, "option vocab_size differs"),
    ({"valid_fraction": 0.2}, "option valid_fraction differs"),
    ({"valid_size": 10}, "option valid_size differs"),
    ({"glove": "/tmp/glove.6B.300d.txt"}, "option glove differs"),
    ({"test_file": "other.csv"}, "option test_file differs"),
    ({"tokenizer_kind": "bpemb"}, "tokenizer differs"),
])
def test_changed_options_rerun(folders, change, expected):
    _, out = folders
    assert expected in mismatch_reason(str(out), inputs=None, **{**OPTIONS, **change})


def test_changed_inputs_rerun(folders):
    inp, out = folders
    (inp / "train.csv").write_text('"1","a","changed"\n')
    reason = mismatch_reason(str(out), inputs=describe_inputs(str(inp), "train.csv", "test.csv"), **OPTIONS)
    assert "train.csv changed (sha256" in reason
    (inp / "classes.txt").unlink()
    reason = mismatch_reason(str(out), inputs=describe_inputs(str(inp), "train.csv", "test.csv"), **OPTIONS)
    assert "input files differ" in reason


def test_missing_or_foreign_output_reruns(folders, tmp_path):
    assert "no metadata.json" in mismatch_reason(str(tmp_path / "empty"), inputs=None, **OPTIONS)
    _, out = folders
    (out / "metadata.json").write_text("{not json")
    assert "unreadable metadata" in mismatch_reason(str(out), inputs=None, **OPTIONS)


def test_ensure_tfrecords_reuses_without_running(folders, tmp_path):
    inp, out = folders
    args, beam_args = parse_args(["--input_dir", str(inp), "--data_dir", str(out), "--output_dir", str(tmp_path / "run"),
                                  "--vocab_size", "100"])
    messages = []
    info = ensure_tfrecords(args, beam_args, log=messages.append)
    assert info["reused"] is True and info["seconds"] == 0.0
    assert "reusing" in messages[0]


def test_beam_job_command_passes_flags_through():
    cmd = beam_job_command(data_dir="d", input_dir="/in", train_file="t.csv", test_file="s.csv", vocab_size=5,
                           valid_fraction=0.25, glove="g.txt", extra_args=["--direct_num_workers", "2"])
    assert cmd[:3] == [sys.executable, "-m", "pipelines.agnews"]
    flags = cmd[3:]
    for pair in (["--output_dir", "d"], ["--input_dir", "/in"], ["--train_file", "t.csv"], ["--test_file", "s.csv"],
                 ["--vocab_size", "5"], ["--valid_fraction", "0.25"], ["--glove", "g.txt"], ["--direct_num_workers", "2"]):
        i = flags.index(pair[0])
        assert flags[i:i + 2] == pair
    no_input = beam_job_command(data_dir="d", input_dir=None, train_file="t.csv", test_file="s.csv", vocab_size=5)
    assert "--input_dir" not in no_input and "--valid_size" not in no_input and "--glove" not in no_input


def test_failed_beam_job_is_an_error():
    with pytest.raises(RuntimeError, match="exit status 3"):
        run_beam_job([sys.executable, "-c", "import sys; sys.exit(3)"], log=lambda m: None)

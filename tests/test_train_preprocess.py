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


def _bpemb_output(out, **recorded):
    """Rewrites the fixture's metadata as a --tokenizer bpemb output with these recorded options."""
    import json

    meta = json.loads((out / "metadata.json").read_text())
    meta["tokenizer"] = {**meta["tokenizer"], "kind": "bpemb"}
    meta["options"].update({"tokenizer": "bpemb", "bpemb_model": None, "bpemb_vectors": None, "bpemb_lang": "en",
                            "bpemb_vs": 10000, "bpemb_dim": 50, "bpemb_cache_dir": None, "bpemb_no_download": False,
                            **recorded})
    write_metadata(str(out), meta)


def test_bpemb_output_is_reused_only_with_the_same_bpemb_files(folders, tmp_path):
    _, out = folders
    model, vectors = tmp_path / "en.model", tmp_path / "en.d25.w2v.bin"
    _bpemb_output(out, bpemb_model=str(model), bpemb_vectors=str(vectors), bpemb_vs=1000)
    bpemb_opts = {**OPTIONS, "tokenizer_kind": "bpemb"}
    # --bpemb_vs was given to the job that made it, so it must be given now too.
    same = {"bpemb_model": str(model), "bpemb_vectors": str(vectors), "bpemb_vs": 1000}
    assert mismatch_reason(str(out), inputs=None, **bpemb_opts, bpemb=same) is None
    assert "option bpemb_vs differs: made with 1000, now 10000" in mismatch_reason(
        str(out), inputs=None, **bpemb_opts, bpemb={"bpemb_model": str(model), "bpemb_vectors": str(vectors)})
    assert "option bpemb_vectors differs" in mismatch_reason(
        str(out), inputs=None, **bpemb_opts, bpemb={"bpemb_model": str(model), "bpemb_vs": 1000})
    assert "option bpemb_model differs" in mismatch_reason(
        str(out), inputs=None, **bpemb_opts, bpemb={**same, "bpemb_model": str(tmp_path / "other.model")})
    # The word tokenizer never reuses a BPEmb output.
    assert "tokenizer differs" in mismatch_reason(str(out), inputs=None, **OPTIONS)


def test_bpemb_package_defaults_match_an_output_made_without_flags(folders):
    _, out = folders
    _bpemb_output(out)
    assert mismatch_reason(str(out), inputs=None, **OPTIONS, tokenizer_kind="bpemb", bpemb={}) is None
    assert "option bpemb_dim differs: made with 50, now 100" in mismatch_reason(
        str(out), inputs=None, **OPTIONS, tokenizer_kind="bpemb", bpemb={"bpemb_dim": 100})


def test_run_config_bpemb_defaults_are_the_beam_jobs():
    from pipelines.agnews import build_parser
    from rnnmodels.run_config import BPEMB_JOB_DEFAULTS

    beam = build_parser().parse_args(["--output_dir", "x"])
    assert {name: getattr(beam, name) for name in BPEMB_JOB_DEFAULTS} == BPEMB_JOB_DEFAULTS


def test_tokenizer_flags_reach_the_beam_job(tmp_path):
    args, beam_args = parse_args(["--output_dir", str(tmp_path), "--tokenizer", "bpemb", "--bpemb_model", "m.model",
                                  "--bpemb_dim", "25", "--bpemb_no_download", "--direct_num_workers", "2"])
    from rnnmodels.run_config import TOKENIZER_KINDS, bpemb_options

    cmd = beam_job_command(data_dir="d", input_dir=None, train_file="t.csv", test_file="s.csv", vocab_size=5,
                           tokenizer_kind=TOKENIZER_KINDS[args.tokenizer], bpemb=bpemb_options(args),
                           extra_args=beam_args)
    flags = cmd[3:]
    for pair in (["--tokenizer", "bpemb"], ["--bpemb_model", "m.model"], ["--bpemb_dim", "25"],
                 ["--bpemb_no_download", "--direct_num_workers"]):
        i = flags.index(pair[0])
        assert flags[i:i + 2] == pair
    assert "--bpemb_vs" not in flags and "--bpemb_lang" not in flags
    glove_args, _ = parse_args(["--output_dir", str(tmp_path)])
    assert glove_args.tokenizer == "glove" and bpemb_options(glove_args) == {}
    plain = beam_job_command(data_dir="d", input_dir=None, train_file="t.csv", test_file="s.csv", vocab_size=5)
    assert plain[plain.index("--tokenizer") + 1] == "word"


@pytest.mark.parametrize("argv, message", [
    (["--bpemb_model", "m.model"], "BPEmb flags need --tokenizer bpemb"),
    (["--tokenizer", "bpemb", "--glove", "g.txt"], "--glove is for --tokenizer glove"),
    (["--tokenizer", "words"], "invalid choice"),
])
def test_tokenizer_flag_errors(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--output_dir", str(tmp_path), *argv])
    assert message in capsys.readouterr().err


def test_output_made_with_other_normalizer_rules_reruns(folders):
    import json

    _, out = folders
    meta = json.loads((out / "metadata.json").read_text())
    meta["tokenizer"]["normalizer"] = "agnews-v0"
    write_metadata(str(out), meta)
    assert "text normalizer rules differ: made with 'agnews-v0'" in mismatch_reason(str(out), inputs=None, **OPTIONS)


def test_changed_glove_file_reruns(folders, tmp_path):
    import hashlib
    import json

    _, out = folders
    vectors = tmp_path / "glove.txt"
    vectors.write_text("oil 1 2\n")
    meta = json.loads((out / "metadata.json").read_text())
    meta["options"]["glove"] = str(vectors)
    meta["embedding"] = {"source": str(vectors), "sha256": hashlib.sha256(vectors.read_bytes()).hexdigest()}
    write_metadata(str(out), meta)
    options = {**OPTIONS, "glove": str(vectors)}
    assert mismatch_reason(str(out), inputs=None, **options) is None
    vectors.write_text("oil 1 2\ngas 3 4\n")
    assert "glove.txt changed (sha256" in mismatch_reason(str(out), inputs=None, **options)


def test_beam_job_flags_passed_through_must_match(folders):
    import json

    _, out = folders
    meta = json.loads((out / "metadata.json").read_text())
    meta["options"].update({"num_shards": 2, "eval_num_shards": 1, "given": ["input_dir", "num_shards", "output_dir"]})
    write_metadata(str(out), meta)
    reason = lambda *extra: mismatch_reason(str(out), inputs=None, **OPTIONS, extra_args=list(extra))  # noqa: E731
    assert reason("--num_shards", "2") is None
    assert reason("--num_shards=2", "--direct_num_workers", "2", "--runner", "DirectRunner") is None
    assert "--num_shards differs: made with 2, now '8'" in reason("--num_shards", "8")
    assert "--num_shards differs: made with 2, now '(default)'" in reason()
    assert "--eval_num_shards differs: made with '(default)', now '3'" in reason("--num_shards", "2", "--eval_num_shards", "3")
    # An output that does not record its given flags is reused only when nothing is passed through.
    del meta["options"]["given"]
    write_metadata(str(out), meta)
    assert reason() is None
    assert "does not record which flags" in reason("--num_shards", "2")

"""BPEmbEncoder against the real BPEmb English models and the `bpemb` package itself.

The reference ids come from ``bpemb.BPEmb.encode_ids`` (the package's own preprocessing and its
SentencePiece processor), built offline from a temporary cache folder that holds the real model
files in the layout the package expects (``<cache>/en/en.wiki.bpe.vs<vs>.model``).  No network.
"""
from __future__ import annotations

import csv
import json
import pickle
import re
import shutil

import numpy as np
import pytest
import sentencepiece
import tensorflow as tf

from tfrecords.bpemb_tokenizer import BPEmbEncoder, bpemb_preprocess
from tfrecords.tokenizer import NORMALIZER_VERSION, PAD_ID, UNK_ID, TokenizerConfig, encoder_from_metadata

HANDCRAFTED = [
    "Hello, World!",
    "Apple Q3 2004 revenue rose 12.5% to $8,250,000 (AP)",
    "IBM's CEO said: \"We won't\" -- 1,000 jobs; 2nd-quarter U.S. figures.",
    "  Multiple   spaces\tand tabs  ",
    "ÜBER Straße café naïve ΣΟΦΙΑ İstanbul",
    "Arabic-Indic digits ٢٠٠٤ and fullwidth ２００４",
    "",
    "!!!",
    "漢字 mixed with English",
]


@pytest.fixture(scope="module")
def bpemb_dir(real_data_dir):
    return real_data_dir / "bpemb" / "en"


@pytest.fixture(scope="module")
def agnews_texts(real_data_dir):
    """50 real AG News test rows, title and description as they are in the file."""
    texts = []
    with open(real_data_dir / "ag_news" / "test.csv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            texts.append(row[1] + " " + row[2])
            if len(texts) == 50:
                break
    return texts


@pytest.fixture(scope="module")
def reference(bpemb_dir, tmp_path_factory):
    """vs -> bpemb.BPEmb built from a pre-populated cache folder (no download)."""
    import bpemb

    cache = tmp_path_factory.mktemp("bpemb_cache")
    (cache / "en").mkdir()
    for name in ("en.wiki.bpe.vs1000.model", "en.wiki.bpe.vs1000.d25.w2v.bin", "en.wiki.bpe.vs10000.model"):
        shutil.copy(bpemb_dir / name, cache / "en" / name)
    return {
        1000: bpemb.BPEmb(lang="en", vs=1000, dim=25, cache_dir=cache, vs_fallback=False),
        # No vs10000 vectors exist offline: the package loads just the segmentation model.
        10000: bpemb.BPEmb(lang="en", vs=10000, cache_dir=cache, vs_fallback=False, segmentation_only=True),
    }


def _model(bpemb_dir, vs):
    return (bpemb_dir / f"en.wiki.bpe.vs{vs}.model").read_bytes()


@pytest.mark.parametrize("vs", [1000, 10000])
def test_ids_equal_bpemb_package(bpemb_dir, reference, agnews_texts, vs):
    texts = agnews_texts + HANDCRAFTED
    enc = BPEmbEncoder(_model(bpemb_dir, vs), repair_artifacts=False)
    expected = reference[vs].encode_ids(texts)
    got = enc.to_bpemb_ids(enc.encode_py(texts))
    for text, g, e in zip(texts, got, expected):
        assert g == e, text
    # The preprocessing matters on these texts: raw segmentation would differ.
    raw = reference[vs].spm.EncodeAsIds(texts)
    assert sum(r != e for r, e in zip(raw, expected)) > 20


def test_repair_artifacts_then_bpemb(bpemb_dir, reference):
    enc = BPEmbEncoder(_model(bpemb_dir, 10000))  # repair_artifacts=True (the default)
    raw = "Oil hits #36;50 a barrel, quot;record quot; high\\says traders &lt;b&gt;today&lt;/b&gt;"
    # Each artefact replaced, tags dropped, white space collapsed (the space before "quot;" stays).
    repaired = 'Oil hits $50 a barrel, "record " high says traders today'
    got = enc.to_bpemb_ids(enc.encode_py([raw]))[0]
    assert got == reference[10000].encode_ids(repaired)
    assert got != reference[10000].encode_ids(raw)


def test_preprocess_matches_python(bpemb_dir):
    import bpemb

    texts = HANDCRAFTED + ["ǅemal ΣΑΣ 0123456789", "Ⅻ ² ³ ½ are not decimal digits"]
    got = [s.decode("utf-8") for s in bpemb_preprocess(texts).numpy()]
    assert got == [bpemb.BPEmb.preprocess(t) for t in texts]


def test_ids_are_shifted_and_never_pad(bpemb_dir, agnews_texts):
    proto = _model(bpemb_dir, 10000)
    enc = BPEmbEncoder(proto, repair_artifacts=False)
    sp = sentencepiece.SentencePieceProcessor(model_proto=proto)
    ids = enc.encode_py(agnews_texts)
    flat = np.concatenate([np.asarray(row) for row in ids])
    assert flat.min() >= 1 and flat.max() < enc.vocab_size
    assert not (flat == PAD_ID).any()
    preprocessed = [re.sub(r"\d", "0", t.lower()) for t in agnews_texts]  # BPEmb's rule, written out
    assert [[i + 1 for i in row] for row in sp.encode(preprocessed)] == ids
    assert enc.to_bpemb_ids(ids) == sp.encode(preprocessed)
    assert enc.from_bpemb_ids(enc.to_bpemb_ids(ids)) == ids
    ragged = enc.encode(tf.constant(agnews_texts[:3]))
    assert ragged.dtype == tf.int64
    assert enc.to_bpemb_ids(ragged).to_list() == sp.encode(preprocessed[:3])


def test_unknown_piece_maps_to_unk_id(bpemb_dir):
    proto = _model(bpemb_dir, 1000)
    sp = sentencepiece.SentencePieceProcessor(model_proto=proto)
    assert sp.unk_id() == 0 and sp.id_to_piece(0) == "<unk>"
    assert 0 in sp.encode("漢")
    enc = BPEmbEncoder(proto)
    assert UNK_ID in enc.encode_py(["漢"])[0]
    assert enc.config("m.model").extra["unk_id"] == UNK_ID == 1


def test_to_bpemb_ids_rejects_pad_and_out_of_range(bpemb_dir):
    enc = BPEmbEncoder(_model(bpemb_dir, 1000))
    with pytest.raises(ValueError, match="<pad>"):
        enc.to_bpemb_ids([[5, 0]])
    with pytest.raises(ValueError, match="outside"):
        enc.to_bpemb_ids([[enc.vocab_size]])
    with pytest.raises(ValueError, match="outside"):
        enc.from_bpemb_ids([1000])


def test_digits_map_to_zero(bpemb_dir):
    enc = BPEmbEncoder(_model(bpemb_dir, 10000))
    a, b, c, d = enc.encode_py(["Revenue in 2004", "revenue in 0000", "Revenue in 1999", "revenue in ٢٠٠٤"])
    assert a == b == c == d
    without = BPEmbEncoder(_model(bpemb_dir, 10000), digits_to_zero=False)
    assert without.encode_py(["in 2004"]) != without.encode_py(["in 0000"])


def test_vocab_size_and_pieces(bpemb_dir):
    for vs in (1000, 10000):
        proto = _model(bpemb_dir, vs)
        sp = sentencepiece.SentencePieceProcessor(model_proto=proto)
        enc = BPEmbEncoder(proto)
        assert enc.num_pieces == vs and enc.vocab_size == vs + 1
        assert enc.pieces == [sp.id_to_piece(i) for i in range(vs)]


def test_decode_round_trip(bpemb_dir, reference, agnews_texts):
    enc = BPEmbEncoder(_model(bpemb_dir, 10000), repair_artifacts=False)
    ids = enc.encode_py(agnews_texts[:10])
    ref = reference[10000]
    # bpemb 0.3.6's BPEmb.decode_ids maps over a flat id list with sentencepiece 0.2 (it returns
    # one piece per id), so the reference decodes with the package's SentencePiece processor.
    assert enc.decode_py(ids) == [ref.spm.DecodeIds(ref.encode_ids(t)) for t in agnews_texts[:10]]
    assert enc.decode_py(ids)[0].startswith("fears for t n pension")
    padded = tf.constant([ids[0] + [0, 0, 0], ids[1][:2] + [0] * (len(ids[0]) + 1)], tf.int64)
    decoded = [s.decode("utf-8") for s in enc.decode_ids(padded).numpy()]
    assert decoded == [ref.spm.DecodeIds(ref.encode_ids(agnews_texts[0])), ref.spm.DecodeIds(ref.encode_ids(agnews_texts[1])[:2])]


def test_encode_inside_tf_data_and_tf_function(bpemb_dir, agnews_texts):
    enc = BPEmbEncoder(_model(bpemb_dir, 10000))
    eager = enc.encode_py(agnews_texts[:8])
    ds = tf.data.Dataset.from_tensor_slices(agnews_texts[:8]).batch(3).map(enc.encode)
    from_ds = [row for batch in ds for row in batch.to_list()]
    assert from_ds == eager
    fn = tf.function(lambda t: enc.encode(t).to_tensor(), input_signature=[tf.TensorSpec([None], tf.string)])
    dense = fn(tf.constant(agnews_texts[:2])).numpy()
    assert dense[0][: len(eager[0])].tolist() == eager[0]
    assert dense[1][: len(eager[1])].tolist() == eager[1]
    assert (dense[1][len(eager[1]):] == PAD_ID).all()


def test_encoder_from_metadata_round_trip(bpemb_dir, tmp_path, agnews_texts):
    proto = _model(bpemb_dir, 1000)
    enc = BPEmbEncoder(proto, lang="en", dim=25)
    name = "en.wiki.bpe.vs1000.model"
    (tmp_path / name).write_bytes(proto)
    config = enc.config(name)
    assert config.kind == "bpemb" and config.vocab_file is None and config.normalizer == NORMALIZER_VERSION
    assert config.extra["model_file"] == name and config.extra["id_offset"] == 1
    assert config.extra["digits_to_zero"] is True and config.extra["repair_artifacts"] is True
    assert config.extra["bpemb"] == {"lang": "en", "vs": 1000, "dim": 25}
    metadata = json.loads(json.dumps({"tokenizer": config.to_dict()}))
    rebuilt = encoder_from_metadata(metadata, str(tmp_path))
    assert isinstance(rebuilt, BPEmbEncoder)
    assert rebuilt.config(name) == config
    assert rebuilt.encode_py(agnews_texts) == enc.encode_py(agnews_texts)

    off = BPEmbEncoder(proto, repair_artifacts=False)
    off_config = json.loads(json.dumps(off.config(name).to_dict()))
    assert off_config["normalizer"] == "none" and off_config["extra"]["repair_artifacts"] is False
    assert encoder_from_metadata({"tokenizer": off_config}, str(tmp_path)).encode_py(["#36;5"]) == off.encode_py(["#36;5"])


def test_from_config_errors(bpemb_dir, tmp_path):
    enc = BPEmbEncoder(_model(bpemb_dir, 1000))
    config = enc.config("m.model")
    with pytest.raises(FileNotFoundError, match="m.model"):
        BPEmbEncoder.from_config(config, str(tmp_path))
    (tmp_path / "m.model").write_bytes(_model(bpemb_dir, 10000))  # a different model under the same name
    with pytest.raises(ValueError, match="sha256"):
        BPEmbEncoder.from_config(config.to_dict(), str(tmp_path))
    with pytest.raises(ValueError, match="kind"):
        BPEmbEncoder.from_config(TokenizerConfig(kind="word"), str(tmp_path))
    stale = TokenizerConfig(**{**config.to_dict(), "normalizer": "agnews-v0"})
    with pytest.raises(ValueError, match="agnews-v0"):
        BPEmbEncoder.from_config(stale, str(tmp_path))
    with pytest.raises(ValueError, match="bare file name"):
        enc.config("sub/m.model")


def test_constructor_validation(bpemb_dir):
    with pytest.raises(ValueError, match="<pad>"):
        BPEmbEncoder(_model(bpemb_dir, 1000), id_offset=0)
    with pytest.raises(ValueError, match="id_offset=1"):
        BPEmbEncoder(_model(bpemb_dir, 1000), id_offset=2)
    with pytest.raises(ValueError, match="SentencePiece"):
        BPEmbEncoder(b"not a model")


def test_pickle_round_trip(bpemb_dir, agnews_texts):
    enc = BPEmbEncoder(_model(bpemb_dir, 1000), lang="en", dim=25)
    clone = pickle.loads(pickle.dumps(enc))
    assert clone.encode_py(agnews_texts[:5]) == enc.encode_py(agnews_texts[:5])
    assert clone.config("x.model") == enc.config("x.model")

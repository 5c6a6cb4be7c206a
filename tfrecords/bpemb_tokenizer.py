"""BPEmb subword tokenization (``kind="bpemb"``), in-graph, with ``<pad>`` kept at id 0.

BPEmb (Heinzerling & Strube, 2018) ships SentencePiece BPE models trained on Wikipedia text
that was lower-cased and had every digit replaced by ``0``; the ``bpemb`` package applies the
same preprocessing before segmenting (``BPEmb.preprocess``: ``re.sub(r"\\d", "0", text.lower())``).
:class:`BPEmbEncoder` does the same with TensorFlow string ops and
``tensorflow_text.SentencepieceTokenizer``, so it runs eagerly, inside ``tf.data`` and in a
serving graph, and gives exactly the ids of ``bpemb.BPEmb.encode_ids`` -- shifted by
``id_offset``.

Pipeline for one raw text:

1. (``repair_artifacts=True``) :func:`tfrecords.tokenizer.normalize_text` with
   ``lowercase=False``: AG News escape artefacts repaired (``#36;`` -> ``$``, ``quot;`` -> ``"``,
   ...), white space collapsed and stripped.
2. BPEmb preprocessing (:func:`bpemb_preprocess`): Unicode lower-casing (``tf.strings.lower``
   with ``encoding="utf-8"``, which matches Python's ``str.lower``), then every Unicode decimal
   digit (``\\p{Nd}``, what Python's ``\\d`` matches) -> ``0``.
3. SentencePiece segmentation into BPEmb piece ids ``k`` (``<unk>`` = 0, ``<s>`` = 1, ...).
4. Id shift: ``k -> k + id_offset``.  BPEmb has no padding piece and uses id 0 for ``<unk>``,
   but this project reserves 0 for ``<pad>`` (``mask_zero=True`` embeddings), so with the
   default ``id_offset=1`` BPEmb's ``<unk>`` becomes :data:`tfrecords.tokenizer.UNK_ID` (1) and
   row ``k + 1`` of the embedding matrix holds BPEmb's vector ``k`` (row 0 = zeros).

The mapping is recorded in ``metadata.json`` through :meth:`BPEmbEncoder.config`
(``TokenizerConfig(kind="bpemb", extra={"model_file", "id_offset", ...})``), and
:meth:`BPEmbEncoder.from_config` (called by :func:`tfrecords.tokenizer.encoder_from_metadata`)
rebuilds the identical encoder from the model file the Beam job copied into the data folder.

Example:

>>> enc = BPEmbEncoder(open("en.wiki.bpe.vs10000.model", "rb").read())  # doctest: +SKIP
>>> enc.encode_py(["Hello, World 2004!"])  # doctest: +SKIP
[[909, 1419, 9935, 502, 53, 9961]]
>>> enc.to_bpemb_ids(_)  # doctest: +SKIP
[[908, 1418, 9934, 501, 52, 9960]]
>>> enc.decode_py(enc.encode_py(["Hello, World 2004!"]))  # doctest: +SKIP
['hello, world 0000!']
"""
from __future__ import annotations

import hashlib
import os
from typing import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from tfrecords.tokenizer import NORMALIZER_VERSION, PAD_ID, UNK_ID, TokenizerConfig, normalize_text

KIND = "bpemb"
DEFAULT_ID_OFFSET = 1
BPEMB_UNK_PIECE = "<unk>"
NO_NORMALIZER = "none"  # TokenizerConfig.normalizer when the AG News repair is switched off


def bpemb_preprocess(texts, *, lowercase: bool = True, digits_to_zero: bool = True) -> tf.Tensor:
    """BPEmb's own preprocessing (``bpemb.BPEmb.preprocess``) with TensorFlow string ops.

    Args:
        texts: string tensor (any shape) or something convertible to one; UTF-8.
        lowercase: Unicode lower-casing, as Python's ``str.lower``.
        digits_to_zero: replace every Unicode decimal digit (category Nd) with ``"0"``.

    Returns:
        A string tensor of the same shape.
    """
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    if digits_to_zero:
        texts = tf.strings.regex_replace(texts, r"\p{Nd}", "0")
    return texts


class BPEmbEncoder:
    """Raw text -> int64 BPEmb subword ids shifted by ``id_offset`` (0 stays free for ``<pad>``).

    Args:
        model_proto: the serialized SentencePiece model (the bytes of a BPEmb ``.model`` file).
        id_offset: added to every BPEmb piece id.  Must be >= 1 (id 0 is ``<pad>``) and must map
            the model's ``<unk>`` piece to :data:`tfrecords.tokenizer.UNK_ID`; for BPEmb models
            (``<unk>`` = piece 0) that means 1.
        lowercase: BPEmb preprocessing: lower-case before segmenting.
        digits_to_zero: BPEmb preprocessing: map every digit to ``0``.
        repair_artifacts: first repair AG News escape artefacts and collapse white space with
            :func:`tfrecords.tokenizer.normalize_text` (``lowercase=False``).  Turn it off to get
            exactly ``bpemb.BPEmb.encode_ids`` (shifted) on arbitrary text.
        lang: BPEmb language code of the model (recorded in the config only), e.g. ``"en"``.
        dim: dimension of the BPEmb vectors used with this model, or of the randomly initialised
            embedding when there are none (recorded in the config only).

    Raises:
        ValueError: the bytes are not a SentencePiece model, the model has no ``<unk>`` piece, or
            ``id_offset`` breaks the ``<pad>``/``<unk>`` convention.
    """

    def __init__(
        self,
        model_proto: bytes,
        *,
        id_offset: int = DEFAULT_ID_OFFSET,
        lowercase: bool = True,
        digits_to_zero: bool = True,
        repair_artifacts: bool = True,
        lang: str | None = None,
        dim: int | None = None,
    ):
        if not isinstance(model_proto, (bytes, bytearray)) or not model_proto:
            raise ValueError("model_proto must be the non-empty bytes of a SentencePiece .model file")
        self.model_proto = bytes(model_proto)
        self.id_offset = int(id_offset)
        self.lowercase = bool(lowercase)
        self.digits_to_zero = bool(digits_to_zero)
        self.repair_artifacts = bool(repair_artifacts)
        self.lang = lang
        self.dim = None if dim is None else int(dim)
        self._build()

    def _build(self) -> None:
        try:
            self._tokenizer = tf_text.SentencepieceTokenizer(model=self.model_proto, out_type=tf.int32)
            num_pieces = int(self._tokenizer.vocab_size())
        except (tf.errors.InvalidArgumentError, tf.errors.InternalError) as e:
            raise ValueError(f"not a SentencePiece model: {e.message.strip()}") from None
        self._num_pieces = num_pieces
        unk = int(self._tokenizer.string_to_id(BPEMB_UNK_PIECE))
        if self._tokenizer.id_to_string(unk).numpy().decode("utf-8") != BPEMB_UNK_PIECE:
            raise ValueError(f"the SentencePiece model has no {BPEMB_UNK_PIECE!r} piece")
        if self.id_offset < 1:
            raise ValueError(f"id_offset must be >= 1 so that id {PAD_ID} stays <pad>; got {self.id_offset}")
        if unk + self.id_offset != UNK_ID:
            raise ValueError(
                f"id_offset {self.id_offset} maps the model's {BPEMB_UNK_PIECE} (piece {unk}) to "
                f"{unk + self.id_offset}, but the project's <unk> id is {UNK_ID}; use id_offset={UNK_ID - unk}"
            )
        self._bpemb_unk_id = unk

    # Pickling (Beam ships DoFns holding an encoder to workers): the TF resource is rebuilt.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_tokenizer", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build()

    @property
    def num_pieces(self) -> int:
        """Number of pieces in the BPEmb model (BPEmb's ``vs``)."""
        return self._num_pieces

    @property
    def vocab_size(self) -> int:
        """Size of the id space: pieces + ``id_offset`` (ids ``0 .. vocab_size - 1``)."""
        return self._num_pieces + self.id_offset

    @property
    def pieces(self) -> list[str]:
        """The model's pieces in BPEmb id order (piece ``k`` has encoder id ``k + id_offset``)."""
        strings = self._tokenizer.id_to_string(tf.range(self._num_pieces, dtype=tf.int32)).numpy()
        return [s.decode("utf-8") for s in strings]

    @property
    def model_sha256(self) -> str:
        return hashlib.sha256(self.model_proto).hexdigest()

    def preprocess(self, texts) -> tf.Tensor:
        """Raw texts -> the strings SentencePiece segments (repair, then BPEmb preprocessing).

        Args:
            texts: string tensor (any shape).

        Returns:
            A string tensor of the same shape.
        """
        texts = tf.convert_to_tensor(texts, dtype=tf.string)
        if self.repair_artifacts:
            texts = normalize_text(texts, lowercase=False)
        return bpemb_preprocess(texts, lowercase=self.lowercase, digits_to_zero=self.digits_to_zero)

    def encode(self, texts) -> tf.RaggedTensor:
        """1-D string tensor of raw texts -> ragged int64 ids ``[batch, (pieces)]``, never 0.

        Graph-safe: usable in ``tf.data.Dataset.map`` and inside a ``tf.function``.

        Args:
            texts: 1-D string tensor (or list of str).

        Returns:
            ``tf.RaggedTensor`` of int64 ids in ``[id_offset, vocab_size)``.
        """
        pieces = self._tokenizer.tokenize(self.preprocess(texts))
        return tf.ragged.map_flat_values(lambda ids: tf.cast(ids, tf.int64) + self.id_offset, pieces)

    def encode_py(self, texts: Sequence[str]) -> list[list[int]]:
        """Python convenience wrapper: list of raw strings -> list of id lists."""
        if not len(texts):
            return []
        return self.encode(tf.constant(list(texts), tf.string)).to_list()

    def from_bpemb_ids(self, ids):
        """BPEmb/SentencePiece piece ids -> encoder ids (adds ``id_offset``).

        Args:
            ids: nested Python lists of ints, a NumPy array, a ``tf.Tensor`` or ``tf.RaggedTensor``.

        Returns:
            The same structure with every id shifted.
        """
        return self._shift(ids, self.id_offset, valid=(0, self._num_pieces), what="BPEmb piece id")

    def to_bpemb_ids(self, ids):
        """Encoder ids -> BPEmb/SentencePiece piece ids (subtracts ``id_offset``).

        Args:
            ids: nested Python lists of ints, a NumPy array, a ``tf.Tensor`` or ``tf.RaggedTensor``
                of encoder ids; ``<pad>`` (0) is not a piece, remove padding first.

        Returns:
            The same structure with every id shifted back.

        Raises:
            ValueError: an id is ``<pad>`` or outside ``[id_offset, vocab_size)``.
        """
        return self._shift(ids, -self.id_offset, valid=(self.id_offset, self.vocab_size), what="encoder id")

    def _shift(self, ids, delta: int, valid: tuple[int, int], what: str):
        lo, hi = valid
        if isinstance(ids, tf.RaggedTensor):
            flat = ids.flat_values.numpy()
            self._check_range(flat, lo, hi, what)
            return ids.with_flat_values(ids.flat_values + tf.cast(delta, ids.flat_values.dtype))
        if isinstance(ids, tf.Tensor):
            self._check_range(ids.numpy(), lo, hi, what)
            return ids + tf.cast(delta, ids.dtype)
        if isinstance(ids, np.ndarray):
            self._check_range(ids, lo, hi, what)
            return ids + delta
        if isinstance(ids, (list, tuple)):
            return [self._shift(x, delta, valid, what) for x in ids]
        if isinstance(ids, (int, np.integer)):
            self._check_range(np.asarray(ids), lo, hi, what)
            return int(ids) + delta
        raise TypeError(f"cannot shift ids of type {type(ids).__name__}")

    @staticmethod
    def _check_range(values: np.ndarray, lo: int, hi: int, what: str) -> None:
        bad = values[(values < lo) | (values >= hi)]
        if bad.size:
            hint = f" ({PAD_ID} is <pad>: strip padding first)" if PAD_ID in bad and what == "encoder id" else ""
            raise ValueError(f"{what} {int(bad.flat[0])} outside [{lo}, {hi}){hint}")

    def decode_ids(self, ids) -> tf.Tensor:
        """Encoder ids -> preprocessed text (lower-cased, digits as ``0``), one string per row.

        ``<pad>`` ids (0) are dropped, so a zero-padded dense batch decodes too.

        Args:
            ids: ``tf.RaggedTensor`` / ``tf.Tensor`` ``[batch, (time)]`` or nested lists of ints.

        Returns:
            1-D string tensor ``[batch]``.
        """
        if not isinstance(ids, tf.RaggedTensor):
            ids = tf.ragged.constant(ids, dtype=tf.int64) if isinstance(ids, (list, tuple)) else tf.RaggedTensor.from_tensor(ids)
        ids = tf.ragged.boolean_mask(ids, tf.not_equal(ids, PAD_ID))
        pieces = self.to_bpemb_ids(ids)
        return self._tokenizer.detokenize(tf.cast(pieces, tf.int32))

    def decode_py(self, ids: Sequence[Sequence[int]]) -> list[str]:
        """Python convenience wrapper around :meth:`decode_ids`."""
        if not len(ids):
            return []
        return [s.decode("utf-8") for s in self.decode_ids([list(row) for row in ids]).numpy()]

    def config(self, model_file_name: str) -> TokenizerConfig:
        """The ``metadata["tokenizer"]`` entry describing this encoder.

        Args:
            model_file_name: the model's file name inside the data folder (the Beam job writes
                :attr:`model_proto` there under this name).

        Returns:
            ``TokenizerConfig(kind="bpemb", vocab_file=None, extra={...})`` with ``extra`` keys
            ``model_file``, ``model_sha256``, ``id_offset``, ``num_pieces``, ``vocab_size``,
            ``pad_id``, ``unk_id``, ``digits_to_zero``, ``repair_artifacts`` and
            ``bpemb`` (``{"lang", "vs", "dim"}``).
        """
        if not model_file_name or os.path.basename(model_file_name) != model_file_name:
            raise ValueError(f"model_file_name must be a bare file name inside the data folder, got {model_file_name!r}")
        return TokenizerConfig(
            kind=KIND,
            normalizer=NORMALIZER_VERSION if self.repair_artifacts else NO_NORMALIZER,
            lowercase=self.lowercase,
            vocab_file=None,
            extra={
                "model_file": model_file_name,
                "model_sha256": self.model_sha256,
                "id_offset": self.id_offset,
                "num_pieces": self._num_pieces,
                "vocab_size": self.vocab_size,
                "pad_id": PAD_ID,
                "unk_id": self._bpemb_unk_id + self.id_offset,
                "digits_to_zero": self.digits_to_zero,
                "repair_artifacts": self.repair_artifacts,
                "bpemb": {"lang": self.lang, "vs": self._num_pieces, "dim": self.dim},
            },
        )

    @classmethod
    def from_config(cls, config: TokenizerConfig | dict, data_dir: str) -> "BPEmbEncoder":
        """Rebuilds the encoder a Beam job recorded, from its config and the copied model file.

        Args:
            config: a ``TokenizerConfig`` (or its dict) with ``kind == "bpemb"``.
            data_dir: the folder holding ``extra["model_file"]`` (local or GCS).

        Returns:
            A :class:`BPEmbEncoder` giving the same ids as at record-writing time.

        Raises:
            ValueError: wrong kind, missing keys, a model file whose sha256 or piece count differs
                from the recorded one, or a normalizer version this code does not implement.
            FileNotFoundError: the model file is missing.
        """
        if isinstance(config, dict):
            config = TokenizerConfig.from_dict(config)
        if config.kind != KIND:
            raise ValueError(f"tokenizer kind is {config.kind!r}, not {KIND!r}")
        extra = dict(config.extra)
        missing = [k for k in ("model_file", "id_offset") if k not in extra]
        if missing:
            raise ValueError(f"bpemb tokenizer config lacks extra keys {missing}")
        repair = bool(extra.get("repair_artifacts", True))
        if repair and config.normalizer != NORMALIZER_VERSION:
            raise ValueError(
                f"records were normalized with rules {config.normalizer!r}; this code implements {NORMALIZER_VERSION!r}"
            )
        path = os.path.join(data_dir, extra["model_file"])
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"{path}: BPEmb model named in the tokenizer config is missing")
        with tf.io.gfile.GFile(path, "rb") as f:
            proto = f.read()
        recorded = extra.get("model_sha256")
        if recorded and hashlib.sha256(proto).hexdigest() != recorded:
            raise ValueError(f"{path}: sha256 differs from the one recorded in the tokenizer config")
        bpemb_info = extra.get("bpemb") or {}
        try:
            encoder = cls(
                proto,
                id_offset=int(extra["id_offset"]),
                lowercase=config.lowercase,
                digits_to_zero=bool(extra.get("digits_to_zero", True)),
                repair_artifacts=repair,
                lang=bpemb_info.get("lang"),
                dim=bpemb_info.get("dim"),
            )
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        if "num_pieces" in extra and encoder.num_pieces != int(extra["num_pieces"]):
            raise ValueError(f"{path}: model has {encoder.num_pieces} pieces, config records {extra['num_pieces']}")
        return encoder

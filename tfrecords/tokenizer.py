"""Text normalization and tokenization, defined once for the whole project.

The Beam job (``pipelines``) and prediction (``rnnmodels.predict``) both tokenize with
the functions here, so a sentence typed at prediction time gets exactly the ids the
model was trained on.  Everything is built from TensorFlow / tensorflow-text ops, so it
also runs inside a ``tf.data`` pipeline or a serving graph.

Word tokenizer (``kind="word"``, used with GloVe vocabularies):

1. :func:`normalize_text` repairs AG News's escape artefacts (``#36;`` -> ``$``,
   ``quot;`` -> ``"``, ``#39;`` -> ``'``, ``&lt;b&gt;``-style entities and HTML tags,
   backslash line-break markers) and lower-cases (Unicode case folding).
2. :func:`split_words` splits on white space and keeps every punctuation mark or
   symbol as a token of its own; the clitics ``'s`` and ``n't`` are kept whole, as in
   the tokenization GloVe was trained on.

Example:

>>> split_words(normalize_text(["Oil #36;50 a barrel, Reuters quot;says quot;"])).to_list()
[[b'oil', b'$', b'50', b'a', b'barrel', b',', b'reuters', b'"', b'says', b'"']]
"""
from __future__ import annotations

import dataclasses
import os
from typing import Iterable, Sequence

import tensorflow as tf
import tensorflow_text as tf_text

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
PAD_ID = 0
UNK_ID = 1

#: Changes whenever the rules below change: records made with other rules are not reused or
#: predicted on (``agnews-v2``: more HTML tags, hex and more named references, ``<TICKER>``).
NORMALIZER_VERSION = "agnews-v2"

# (RE2 pattern, replacement), applied in order.  Numeric character references first,
# then named entities (AG News often lost the leading "&": "quot;" for "&quot;").
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (r"\\", " "),  # backslash line-break markers ("a second\team")
    (r"&?#0*36;", "$"),
    (r"&?#0*(?:39|145|146|8216|8217);", "'"),
    (r"&?#0*(?:147|148|8220|8221);", '"'),
    (r"&?#0*(?:150|151|8211|8212);", " - "),
    (r"&?#0*38;", "&"),
    (r"&?#[xX]0*27;", "'"),
    (r"&?#[xX]0*22;", '"'),
    (r"&?#[0-9]+;|&#[xX][0-9a-fA-F]+;", " "),  # any other numeric reference
    (r"&lt;", "<"),
    (r"&gt;", ">"),
    (r"(?:&|\b)quot;", '"'),
    (r"(?:&|\b)(?:rsquo|lsquo|apos);", "'"),
    (r"(?:&|\b)(?:ldquo|rdquo);", '"'),
    (r"(?:&|\b)hellip;", "..."),
    (r"(?:&|\b)(?:nbsp|shy);", " "),
    (r"(?:&|\b)(?:mdash|ndash);", " - "),
    (r"(?:&|\b)eacute;", "\u00e9"),
    (r"(?:&|\b)pound;", "\u00a3"),
    (r"(?:&|\b)euro;", "\u20ac"),
    (r"&(?:lt|gt);|\b(?:lt|gt);", " "),
    (r"(?:&|\b)amp;", "&"),
    # HTML tags made visible by the entity repair above: <b>, </strong>, <br/>, <a href=...>, <img src=... />
    (r"(?i)</?(?:a|b|i|u|p|br|hr|em|strong|font|span|div|img|cite|nobr|sup|sub|small|big|center|li|ul|ol"
     r"|table|tr|td|th|h[1-6]|q|abbr|code|pre|tt|blockquote|iframe|script)(?:\s[^<>]*)?/?>", " "),
    # Reuters' ticker markup "<MSFT.O>": keep the ticker, drop the brackets.
    (r"<([A-Za-z0-9][A-Za-z0-9.=^]*)>", " \\1 "),
)

# Clitics kept whole; any other punctuation mark or symbol is a token on its own.
_KEEP_DELIMS = r"'s\b|n't\b|[\pP\pS]"
_SPLIT_DELIMS = r"\s+|" + _KEEP_DELIMS


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """What `metadata.json` records about tokenization (``metadata["tokenizer"]``).

    Args:
        kind: ``"word"`` (normalize + split words, vocabulary lookup) or ``"bpemb"``
            (BPEmb sentencepiece subwords).
        normalizer: version tag of :func:`normalize_text`'s rules.
        lowercase: whether text is lower-cased (always true for the shipped kinds).
        vocab_file: vocabulary file name inside the data folder (``kind="word"``).
        extra: kind-specific settings (e.g. the BPEmb model file and id offset).
    """

    kind: str = "word"
    normalizer: str = NORMALIZER_VERSION
    lowercase: bool = True
    vocab_file: str | None = "vocab.txt"
    extra: dict = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TokenizerConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown tokenizer config keys {sorted(unknown)}")
        return cls(**d)


def normalize_text(texts, lowercase: bool = True) -> tf.Tensor:
    """Repairs AG News escape artefacts, collapses white space, and lower-cases.

    Args:
        texts: string tensor (any shape) or something convertible to one.
        lowercase: apply Unicode case folding.

    Returns:
        A string tensor of the same shape.
    """
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    for pattern, rewrite in _REPLACEMENTS:
        texts = tf.strings.regex_replace(texts, pattern, rewrite)
    if lowercase:
        texts = tf_text.case_fold_utf8(texts)
    texts = tf.strings.regex_replace(texts, r"\s+", " ")
    return tf.strings.strip(texts)


def split_words(texts) -> tf.RaggedTensor:
    """Splits normalized text into word and punctuation tokens.

    Args:
        texts: 1-D string tensor (already normalized).

    Returns:
        A ``tf.RaggedTensor`` of shape ``[batch, (tokens)]`` and dtype string.
    """
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    return tf_text.regex_split(texts, _SPLIT_DELIMS, _KEEP_DELIMS)


def tokenize(texts, lowercase: bool = True) -> tf.RaggedTensor:
    """normalize_text + split_words for a 1-D batch of raw strings."""
    return split_words(normalize_text(texts, lowercase=lowercase))


def tokenize_py(texts: Sequence[str], lowercase: bool = True) -> list[list[str]]:
    """Python convenience wrapper: list of raw strings -> list of token lists."""
    if not len(texts):
        return []
    ragged = tokenize(tf.constant(list(texts), dtype=tf.string), lowercase=lowercase)
    return [[t.decode("utf-8") for t in row] for row in ragged.to_list()]


def read_vocab(path: str) -> list[str]:
    """Reads a vocabulary file (one token per line, line number = id)."""
    with tf.io.gfile.GFile(path, "r") as f:
        tokens = f.read().split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    if len(tokens) < 2 or tokens[PAD_ID] != PAD_TOKEN or tokens[UNK_ID] != UNK_TOKEN:
        raise ValueError(f"{path}: a vocabulary must start with {PAD_TOKEN!r} (id 0) and {UNK_TOKEN!r} (id 1)")
    return tokens


def write_vocab(path: str, tokens: Iterable[str]) -> None:
    """Writes a vocabulary file; ``tokens`` must start with <pad>, <unk>."""
    tokens = list(tokens)
    if tokens[:2] != [PAD_TOKEN, UNK_TOKEN]:
        raise ValueError("a vocabulary must start with <pad>, <unk>")
    bad = [t for t in tokens if not t or any(c.isspace() for c in t)]
    if bad:
        raise ValueError(f"vocabulary tokens must be non-empty and contain no white space: {bad[:5]}")
    with tf.io.gfile.GFile(path, "w") as f:
        f.write("\n".join(tokens) + "\n")


class WordEncoder:
    """Raw text -> int64 token ids with a fixed vocabulary (unknown words -> ``<unk>``).

    Args:
        vocab: the vocabulary, ``vocab[0] == "<pad>"``, ``vocab[1] == "<unk>"``.
        lowercase: passed to :func:`normalize_text`.

    Example:

    >>> enc = WordEncoder(["<pad>", "<unk>", "oil", "$"])
    >>> enc.encode_py(["Oil at #36;50"])
    [[2, 1, 3, 1]]
    """

    def __init__(self, vocab: Sequence[str], lowercase: bool = True):
        self.vocab = list(vocab)
        if self.vocab[:2] != [PAD_TOKEN, UNK_TOKEN]:
            raise ValueError("a vocabulary must start with <pad>, <unk>")
        self.lowercase = lowercase
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant(self.vocab, tf.string), tf.range(len(self.vocab), dtype=tf.int64)
        )
        self._table = tf.lookup.StaticHashTable(init, default_value=UNK_ID)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, texts) -> tf.RaggedTensor:
        """1-D string tensor of raw texts -> ragged int64 ids ``[batch, (tokens)]``."""
        tokens = tokenize(texts, lowercase=self.lowercase)
        return tf.ragged.map_flat_values(self._table.lookup, tokens)

    def encode_py(self, texts: Sequence[str]) -> list[list[int]]:
        if not len(texts):
            return []
        return self.encode(tf.constant(list(texts), tf.string)).to_list()


def encoder_from_metadata(metadata: dict, data_dir: str):
    """Builds the encoder that the Beam job used, from ``metadata.json`` and its files.

    Args:
        metadata: the parsed ``metadata.json``.
        data_dir: the folder holding the files it names (vocabulary, BPEmb model).

    Returns:
        An object with ``encode(texts) -> tf.RaggedTensor`` and ``encode_py(list) -> list``.
    """
    config = TokenizerConfig.from_dict(metadata["tokenizer"])
    if config.kind == "word":
        if config.normalizer != NORMALIZER_VERSION:
            raise ValueError(f"records were normalized with rules {config.normalizer!r}; this code implements "
                             f"{NORMALIZER_VERSION!r}: run the Beam job again")
        return WordEncoder(read_vocab(os.path.join(data_dir, config.vocab_file)), lowercase=config.lowercase)
    if config.kind == "bpemb":
        from tfrecords import bpemb_tokenizer  # added by the BPEmb variant

        return bpemb_tokenizer.BPEmbEncoder.from_config(config, data_dir)
    raise ValueError(f"unknown tokenizer kind {config.kind!r} in metadata")

"""tfrecords.tokenizer: AG News escape repair, word splitting, vocabularies, WordEncoder."""
from __future__ import annotations

import pytest
import tensorflow as tf

from tfrecords.tokenizer import (PAD_ID, UNK_ID, TokenizerConfig, WordEncoder, encoder_from_metadata, normalize_text,
                                 read_vocab, split_words, tokenize, tokenize_py, write_vocab)


@pytest.mark.parametrize("raw,tokens", [
    # Escape artefacts of the AG News CSV.
    ("Oil #36;50 a barrel", ["oil", "$", "50", "a", "barrel"]),
    ("&#36;5 bn", ["$", "5", "bn"]),
    ("He said quot;hi quot;", ["he", "said", '"', "hi", '"']),
    ("&quot;Quoted&quot;", ['"', "quoted", '"']),
    ("It#39;s Bush#39;s plan", ["it", "'s", "bush", "'s", "plan"]),
    ("a&#8217;b", ["a", "'", "b"]),
    ("#151; dash", ["-", "dash"]),
    ("AT&amp;T and AT amp;T", ["at", "&", "t", "and", "at", "&", "t"]),
    ("Fish &amp; Chips", ["fish", "&", "chips"]),
    ("&lt;strong&gt;Bold&lt;/strong&gt; text", ["bold", "text"]),
    ("&lt;b&gt;x&lt;/b&gt; &lt;br/&gt;y", ["x", "y"]),
    ('&lt;a href="http://x.com/y"&gt;link&lt;/a&gt;', ["link"]),
    ("Line one\\second line", ["line", "one", "second", "line"]),
    # Less common markup of the real files: more tags, hex and named references, Reuters tickers.
    ('IBM &lt;img src="http://ad.doubleclick.net/ad/x;sz=1x1" width="1"/&gt; &lt;cite&gt;Reg&lt;/cite&gt;',
     ["ibm", "reg"]),
    ("&lt;nobr&gt;Mid-East&lt;/nobr&gt; &lt;SUP&gt;2&lt;/SUP&gt;", ["mid", "-", "east", "2"]),
    ("Microsoft Corp. &lt;MSFT.O&gt; rose", ["microsoft", "corp", ".", "msft", ".", "o", "rose"]),
    ("&#x27;hi&#x27; &#x2014; there", ["'", "hi", "'", "there"]),
    ("war mdash; peace pound;5 &euro;3", ["war", "-", "peace", "£", "5", "€", "3"]),
    ("a < b > c", ["a", "<", "b", ">", "c"]),
    # Punctuation and symbols are tokens of their own.
    ("Hello, world! (test) e-mail 5%", ["hello", ",", "world", "!", "(", "test", ")", "e", "-", "mail", "5", "%"]),
    ("Q&A: why?", ["q", "&", "a", ":", "why", "?"]),
    # Clitics 's and n't stay whole.
    ("don't can't isn't", ["do", "n't", "ca", "n't", "is", "n't"]),
    ("the dog's bone", ["the", "dog", "'s", "bone"]),
    ("rock'n'roll", ["rock", "'", "n", "'", "roll"]),
    # White space and case.
    ("  A\tB\nC  ", ["a", "b", "c"]),
    ("", []),
    ("   ", []),
    # Unicode: case folding, non-Latin scripts, symbols.
    ("ÇAFÉ Naïve STRASSE straße", ["çafé", "naïve", "strasse", "strasse"]),
    ("日本語 テキスト", ["日本語", "テキスト"]),
    ("emoji 🙂 ok", ["emoji", "🙂", "ok"]),
])
def test_tokenize(raw, tokens):
    assert tokenize_py([raw]) == [tokens]


def test_normalize_text_keeps_shape_and_case_option():
    out = normalize_text(tf.constant([["Oil #36;5", "  x  "]]))
    assert out.shape == (1, 2)
    assert [s.decode() for s in out.numpy()[0]] == ["oil $5", "x"]
    assert normalize_text(["Oil quot;A quot;"], lowercase=False).numpy()[0].decode() == 'Oil "A "'
    assert tokenize_py(["Oil AND Gas"], lowercase=False) == [["Oil", "AND", "Gas"]]


def test_batch_tokenize_is_ragged_and_row_aligned():
    texts = ["a b", "", "c, d e"]
    ragged = tokenize(texts)
    assert isinstance(ragged, tf.RaggedTensor)
    assert ragged.row_lengths().numpy().tolist() == [2, 0, 4]
    assert split_words(tf.constant(["x.y"])).to_list() == [[b"x", b".", b"y"]]
    assert tokenize_py([]) == []


def test_very_long_text():
    sentence = "Oil #36;50 a barrel, quot;said quot; Reuters. "  # 11 tokens
    text = sentence * 2200  # about 100k characters
    assert len(text) > 100_000
    tokens = tokenize_py([text])[0]
    assert len(tokens) == 11 * 2200
    assert tokens[:11] == ["oil", "$", "50", "a", "barrel", ",", '"', "said", '"', "reuters", "."]


def test_vocab_round_trip_and_errors(tmp_path):
    path = str(tmp_path / "vocab.txt")
    tokens = ["<pad>", "<unk>", "the", "$", "n't", "çafé"]
    write_vocab(path, tokens)
    assert read_vocab(path) == tokens
    with pytest.raises(ValueError, match="must start with <pad>, <unk>"):
        write_vocab(path, ["<unk>", "<pad>", "a"])
    with pytest.raises(ValueError, match="no white space"):
        write_vocab(path, ["<pad>", "<unk>", "new york"])
    with pytest.raises(ValueError, match="non-empty"):
        write_vocab(path, ["<pad>", "<unk>", ""])
    bad = tmp_path / "bad.txt"
    bad.write_text("the\n<pad>\n<unk>\n")
    with pytest.raises(ValueError, match=rf"{bad}: a vocabulary must start with '<pad>'"):
        read_vocab(str(bad))
    with pytest.raises(tf.errors.NotFoundError):
        read_vocab(str(tmp_path / "missing.txt"))


def test_word_encoder_maps_unknown_words_to_unk():
    encoder = WordEncoder(["<pad>", "<unk>", "oil", "$", "prices", "'s"])
    assert PAD_ID == 0 and UNK_ID == 1
    assert encoder.vocab_size == 6
    assert encoder.encode_py(["Oil prices: #36;50", "", "OPEC's zzz"]) == [[2, 4, 1, 3, 1], [], [1, 5, 1]]
    ids = encoder.encode(tf.constant(["oil oil"]))
    assert ids.dtype == tf.int64 and ids.to_list() == [[2, 2]]
    assert encoder.encode_py([]) == []
    with pytest.raises(ValueError, match="<pad>, <unk>"):
        WordEncoder(["oil", "<pad>", "<unk>"])


def test_encoder_from_metadata_and_config(tmp_path):
    write_vocab(str(tmp_path / "words.txt"), ["<pad>", "<unk>", "gas"])
    config = TokenizerConfig(vocab_file="words.txt")
    assert TokenizerConfig.from_dict(config.to_dict()) == config
    encoder = encoder_from_metadata({"tokenizer": config.to_dict()}, str(tmp_path))
    assert encoder.encode_py(["Gas, oil"]) == [[2, 1, 1]]
    with pytest.raises(ValueError, match=r"unknown tokenizer config keys \['colour'\]"):
        TokenizerConfig.from_dict({"kind": "word", "colour": "red"})
    with pytest.raises(ValueError, match="unknown tokenizer kind 'chars'"):
        encoder_from_metadata({"tokenizer": {"kind": "chars"}}, str(tmp_path))
    old_rules = {**config.to_dict(), "normalizer": "agnews-v0"}
    with pytest.raises(ValueError, match=r"normalized with rules 'agnews-v0'; this code implements 'agnews-v"):
        encoder_from_metadata({"tokenizer": old_rules}, str(tmp_path))

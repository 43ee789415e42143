import gzip

import numpy as np
import pytest

from rnnlm_cli.corpus import read_text, read_training_text
from rnnlm_cli.errors import InputError


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_tokens_newline_is_sentence_end(tmp_path):
    path = write(tmp_path, "t.txt", b"a b a\n\nc\ta  b\r\n")
    vocab, corpus = read_training_text(path, 10)
    words = [vocab.words[i] for i in corpus.tokens]
    assert words == ["a", "b", "a", "</s>", "</s>", "c", "a", "b", "</s>"]
    assert corpus.tokens.dtype == np.int32
    assert corpus.sentences == 3
    assert vocab.words[0] == "</s>" and vocab.words[1] == "a"


def test_missing_final_newline_keeps_last_sentence(tmp_path):
    vocab, corpus = read_training_text(write(tmp_path, "t.txt", b"x y\nz"), 10)
    assert [vocab.words[i] for i in corpus.tokens] == ["x", "y", "</s>", "z", "</s>"]


def test_oov_is_minus_one_and_counted(tmp_path):
    vocab, _ = read_training_text(write(tmp_path, "t.txt", b"a b\n"), 10)
    corpus = read_text(write(tmp_path, "v.txt", b"a q b\nr\n"), vocab)
    assert list(corpus.tokens) == [vocab.index["a"], -1, vocab.index["b"], 0, -1, 0]
    assert corpus.oov_count == 2 and corpus.word_count == 4


def test_gzip_input(tmp_path):
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(b"a b\n"))
    vocab, corpus = read_training_text(str(path), 10)
    assert corpus.tokens.size == 3


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"a \xff b\n", "invalid UTF-8"),
    (b"\n\n", "no words"),
])
def test_bad_training_input(tmp_path, data, message):
    with pytest.raises(InputError, match=message):
        read_training_text(write(tmp_path, "t.txt", data), 10)


def test_invalid_utf8_names_the_line(tmp_path):
    with pytest.raises(InputError, match=r"t.txt:3:"):
        read_training_text(write(tmp_path, "t.txt", b"a\nb\nc \xc3\x28\n"), 10)


def test_only_unknown_words_is_an_error(tmp_path):
    vocab, _ = read_training_text(write(tmp_path, "t.txt", b"a b\n"), 10)
    with pytest.raises(InputError, match="none of the 3 words"):
        read_text(write(tmp_path, "v.txt", b"x y\nz\n"), vocab)


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_training_text(str(tmp_path / "nope.txt"), 10)
    with pytest.raises(InputError, match="directory"):
        read_training_text(str(tmp_path), 10)


def test_lines_are_split_correctly_across_read_chunks(tmp_path, monkeypatch):
    from rnnlm_cli import textio
    monkeypatch.setattr(textio, "CHUNK_BYTES", 7)
    path = write(tmp_path, "t.txt", "one two\nthree\n\nfour five six\nseven".encode())
    lines = list(textio.text_lines(path))
    assert lines == [(1, "one two"), (2, "three"), (3, ""), (4, "four five six"), (5, "seven")]
    bad = write(tmp_path, "b.txt", b"ok\nfine line\nbad \xff here\n")
    with pytest.raises(InputError, match=r"b.txt:3: invalid UTF-8 at byte 5"):
        list(textio.text_lines(bad))


def test_the_text_encoding_is_a_parameter_not_process_state(tmp_path):
    """Two encodings in one process, in either order: a caller's choice never leaks
    into another caller's reading."""
    from rnnlm_cli.textio import TextEncoding
    path = write(tmp_path, "l.txt", "café au lait\nnaïve\n".encode("latin-1"))
    latin1 = TextEncoding.named("latin-1")
    for _ in range(2):
        vocab, corpus = read_training_text(path, 2, encoding=latin1)
        assert "café" in vocab.words and corpus.sentences == 2
        with pytest.raises(InputError, match="invalid UTF-8"):
            read_training_text(path, 2)
    assert read_text(path, vocab, encoding=latin1).oov_count == 0

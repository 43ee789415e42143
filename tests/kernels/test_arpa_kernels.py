import numpy as np
import pytest

from rnnlm_cli.kernels.arpa import (CHAIN_SEED, combine, format_g7, scan_section,
                                    word_hash_of, write_ngram_lines)


def formatted(value):
    out = np.empty(64, np.uint8)
    end = format_g7(value, out, 0)
    return None if end < 0 else out[:end].tobytes().decode()


@pytest.mark.parametrize("value", [0.0, -0.5, -1.0, -99.0, 1e-5, -1.25e-7, 123.456, -0.30103,
                                   2.0 ** -11, 1234567.0, 12345678.0, 1e-4, 9.9999995,
                                   -0.0009765625])
def test_format_g7_matches_printf_on_edge_cases(value):
    value = float(np.float32(value))
    text = formatted(value)
    if value == 2.0 ** -11:       # 0.00048828125: an exact tie at the 7th digit, declined
        assert text is None
    else:
        assert text == "%.7g" % value


def test_format_g7_matches_printf_on_random_float32():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.uniform(-12, 0, 20000), -10 ** rng.uniform(-9, 2, 20000)])
    values = values.astype(np.float32).astype(np.float64)
    texts = [formatted(value) for value in values]
    assert sum(text is None for text in texts) < 0.001 * values.size
    for value, text in zip(values, texts):
        assert text is None or text == "%.7g" % value


def test_lines_ask_for_the_values_they_cannot_format_and_resume():
    """Row 1 holds a near-tie (2^-11): the kernel stops there, and resumes with it."""
    tie = 2.0 ** -11
    probs, bows = np.array([-0.5, tie, -1.0]), np.array([-0.25, -0.125, tie])
    has_bow = np.array([True, False, True])
    words = np.array([[0], [1], [0]], np.int64)
    pool, starts = np.frombuffer(b"ab", np.uint8), np.array([0, 1, 2], np.int64)
    out = np.empty(200, np.uint8)
    none = (np.zeros(0), np.frombuffer(b" ", np.uint8), np.zeros(1, np.int64))
    pos, row = write_ngram_lines(out, 0, 0, probs, bows, has_bow, words, pool, starts, *none)
    assert row == 1 and out[:pos].tobytes() == b"-0.5\ta\t-0.25\n"
    text = ("%.7g" % tie).encode()
    pool_of_ties = (np.array([tie]), np.frombuffer(text, np.uint8),
                    np.array([0, len(text)], np.int64))
    pos, row = write_ngram_lines(out, pos, row, probs, bows, has_bow, words, pool, starts,
                                 *pool_of_ties)
    assert row == -1
    assert out[:pos].tobytes().decode() == ("-0.5\ta\t-0.25\n%.7g\tb\n-1\ta\t%.7g\n"
                                            % (tie, tie))


def test_scan_section_hash_chain_links_prefixes():
    text = b"-0.5\ta b\t-0.1\n\n-0.25 b  c\n"
    buf = np.frombuffer(text, dtype=np.uint8)
    n = 3
    probs, bows = np.empty(n), np.empty(n)
    exact = np.empty(n, np.int64)
    ctx, word, full = (np.empty(n, np.uint64) for _ in range(3))
    line, offset = np.empty(n, np.int64), np.empty(n, np.int64)
    rows, status, _ = scan_section(buf, 0, len(text), 2, 10, probs, bows, exact, ctx, word,
                                   full, line, offset)
    assert (rows, status) == (2, 0)
    assert list(probs[:2]) == [-0.5, -0.25] and bows[0] == -0.1 and np.isnan(bows[1])
    assert list(line[:2]) == [10, 12]
    h = {w: word_hash_of(np.frombuffer(w.encode(), np.uint8)) for w in "abc"}
    assert ctx[0] == combine(CHAIN_SEED, h["a"])                # the prefix "a"
    assert full[0] == combine(combine(CHAIN_SEED, h["a"]), h["b"])
    assert word[1] == h["c"] and ctx[1] == combine(CHAIN_SEED, h["b"])


def test_scan_section_reports_the_bad_line():
    text = b"-0.5 a b\n-0.1 a\n"
    buf = np.frombuffer(text, dtype=np.uint8)
    arrays = [np.empty(2) for _ in range(2)] + [np.empty(2, np.int64)] + \
        [np.empty(2, np.uint64) for _ in range(3)] + [np.empty(2, np.int64) for _ in range(2)]
    rows, status, bad = scan_section(buf, 0, len(text), 2, 1, *arrays)
    assert status != 0 and bad == 2 and rows == 1

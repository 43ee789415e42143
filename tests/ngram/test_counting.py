import gzip
from collections import Counter

import numpy as np
import pytest

import naive
from conftest import shared_path
from rnnlm_cli.kernels.ngram import count_sorted_runs
from rnnlm_cli.ngram.adjust import continuation_counts
from rnnlm_cli.ngram.counts import count_text, read_counts, write_counts
from rnnlm_cli.ngram.vocab import NgramVocab

TEXT = "a b a c\nb a b\n\n## a comment\na c\n<s> c a </s>\n"


def as_dict(counts):
    words = counts.vocab.words
    result = {}
    for k in range(1, counts.order + 1):
        table = counts.tables[k - 1]
        for row, ids in enumerate(counts.words_of(k).tolist()):
            if table.count[row] > 0:
                result[tuple(words[i] for i in ids)] = int(table.count[row])
    return result


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    return str(path)


def test_counts_match_naive_counter(text_file):
    counts = count_text(text_file, NgramVocab(), 3)
    sentences = [["a", "b", "a", "c"], ["b", "a", "b"], ["a", "c"], ["c", "a"]]
    expected = {}
    for counter in naive.count_ngrams(sentences, 3):
        expected.update(counter)
    assert as_dict(counts) == expected


def test_count_sorted_runs_matches_numpy_unique():
    keys = np.sort(np.random.default_rng(0).integers(0, 50, 1000))
    unique, counts, run_of = count_sorted_runs(keys)
    ref_unique, ref_inverse, ref_counts = np.unique(keys, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(unique, ref_unique)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(run_of, ref_inverse)


def test_suffix_and_parent_links(text_file):
    counts = count_text(text_file, NgramVocab(), 3)
    for k in (2, 3):
        words, lower = counts.words_of(k), counts.words_of(k - 1)
        table = counts.tables[k - 1]
        np.testing.assert_array_equal(lower[table.parent], words[:, :-1])
        np.testing.assert_array_equal(lower[table.suffix], words[:, 1:])


def test_closed_vocabulary_maps_to_unk(tmp_path, text_file):
    vocab_file = tmp_path / "v.txt"
    vocab_file.write_text("a\nb\n")
    vocab = NgramVocab()
    vocab.read_vocab_file(str(vocab_file))
    counts = as_dict(count_text(text_file, vocab, 2))
    assert counts[("<unk>",)] == 3 and ("c",) not in counts   # c occurs 3 times


def test_write_and_read_round_trip(tmp_path, text_file):
    counts = count_text(text_file, NgramVocab(), 3)
    path = tmp_path / "c.txt"
    with open(path, "w") as handle:
        write_counts(counts, handle)
    lines = path.read_text().splitlines()
    assert lines[0] == "</s>\t4"        # depth first, byte order: </s> < <s> < a
    again = read_counts(str(path), NgramVocab(), 3)
    assert as_dict(again) == as_dict(counts)


def test_counts_equal_srilm_reference():
    counts = count_text(shared_path("data", "swb-example", "train.txt"), NgramVocab(), 3)
    import io
    buffer = io.StringIO()
    write_counts(counts, buffer)
    with gzip.open(shared_path("reference", "srilm", "train.3counts.gz"), "rt") as f:
        reference = f.read().splitlines()
    assert Counter(buffer.getvalue().splitlines()) == Counter(reference)


def test_continuation_counts_on_hand_made_counts(text_file):
    counts = count_text(text_file, NgramVocab(), 3)
    continuation_counts(counts, 2)
    c = as_dict(counts)
    # bigram "b a": preceded by <s> (line 2) and a (line 1: a b a) -> 2 distinct words
    assert c[("b", "a")] == 2
    # n-grams starting with <s> keep their raw counts
    assert c[("<s>", "a")] == 2
    # the highest order is untouched
    assert c[("a", "b", "a")] == 1

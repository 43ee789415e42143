import gzip

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.corpus import read_training_text
from rnnlm_cli.vocab import Vocabulary, assign_classes, rnnlm_sort_order


def selection_sort_like_rnnlm(counts):
    """rnnlm's O(V^2) selection sort, literally."""
    items = list(range(len(counts)))
    for a in range(1, len(items)):
        best = a
        for b in range(a + 1, len(items)):
            if counts[items[b]] > counts[items[best]]:
                best = b
        items[a], items[best] = items[best], items[a]
    return items


def test_sort_ties_follow_rnnlm_swaps():
    counts = np.array([9, 5, 3, 3, 5])  # A5 B3 C3 D5 after </s>
    assert list(rnnlm_sort_order(counts)) == [0, 1, 4, 3, 2]  # A D C B


@pytest.mark.parametrize("seed", range(5))
def test_sort_matches_literal_selection_sort(seed):
    counts = np.random.default_rng(seed).integers(1, 6, 200)
    assert list(rnnlm_sort_order(counts)) == selection_sort_like_rnnlm(counts)


def test_classes_are_contiguous_and_capped():
    """Worked by hand from rnnlm's rule: sqrt shares of the counts over S = 31.5406 give
    cumulative 0.317 0.541 0.765 0.866 0.937 0.968 1.0; a class advances at most once per
    word and never past C-1."""
    counts = np.array([100, 50, 50, 10, 5, 1, 1])
    classes = assign_classes(counts, 100)
    assert list(classes) == [0, 1, 2, 3, 4, 5, 6]          # 100 asked, one per word at most
    assert list(assign_classes(counts, 3)) == [0, 0, 1, 2, 2, 2, 2]   # bounds 1/3, 2/3
    vocab = Vocabulary(["</s>", "a", "b", "c", "d", "e", "f"], counts, classes)
    assert vocab.n_classes == classes.max() + 1 <= len(counts)


def test_old_and_new_rules():
    counts = np.array([60, 30, 10])
    # old: shares .6 .3 .1 -> the first word passes 1/2 and the class advances after it
    assert list(assign_classes(counts, 2, old_rule=True)) == [0, 1, 1]
    # new: sqrt shares .473 .334 .193 -> the boundary is passed by the second word
    assert list(assign_classes(counts, 2)) == [0, 0, 1]


def test_vocabulary_and_classes_match_rnnlm_reference_model():
    vocab, corpus = read_training_text(shared_path("data", "swb-example", "train.txt"), 100)
    with gzip.open(shared_path("reference", "rnnlm-0.4b", "rnnme-h15.txt.gz"), "rt") as f:
        lines = f.read().split("\n")
    start = lines.index("Vocabulary:") + 1
    reference = [line.split("\t") for line in lines[start:start + len(vocab)]]
    assert [r[2] for r in reference] == vocab.words
    assert [int(r[1]) for r in reference] == list(vocab.counts)
    assert [int(r[3]) for r in reference] == list(vocab.word_class)
    assert corpus.tokens.size == 81350  # '# of training words' in the reference model

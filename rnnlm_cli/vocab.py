"""Vocabulary and output classes, following rnnlm 0.4b exactly.

Index 0 is always ``</s>``.  The other words are ordered by descending count
with rnnlm's in-place selection sort, whose tie order is *not* first
occurrence; we reproduce it in O(V log V) so that models trained here and by
rnnlm on the same text get the same word indices and classes.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

SENTENCE_END = "</s>"


def rnnlm_sort_order(counts: np.ndarray) -> np.ndarray:
    """Permutation that rnnlm's selection sort applies to positions 1..V-1.

    For a = 1..V-1 it swaps position a with the *first* position m >= a that
    holds the largest remaining count.  Returns ``order`` with
    ``sorted_items = items[order]``; ``order[0] == 0``.
    """
    size = len(counts)
    item_at = list(range(size))
    positions: dict[int, list[int]] = {}
    for pos in range(1, size):
        positions.setdefault(int(counts[pos]), []).append(pos)
    for heap in positions.values():
        heapq.heapify(heap)
    remaining = sorted(positions, reverse=True)
    for a in range(1, size):
        while not positions[remaining[0]]:
            remaining.pop(0)
        top = remaining[0]
        m = heapq.heappop(positions[top])
        if m != a:
            displaced_count = int(counts[item_at[a]])
            # Position a is the smallest occupied position, so it heads its heap.
            heap = positions[displaced_count]
            heapq.heapreplace(heap, m)
            item_at[a], item_at[m] = item_at[m], item_at[a]
    return np.asarray(item_at, dtype=np.int64)


def assign_classes(counts: np.ndarray, n_classes: int, old_rule: bool = False) -> np.ndarray:
    """rnnlm's frequency binning of sorted words into classes (int32 per word).

    New rule: each word adds sqrt(count/T)/sum_j sqrt(count_j/T) to a running
    share; old rule (-old-classes) adds count/T.  A word belongs to the current
    class, then the class advances if the share passed the class boundary.
    """
    total = float(np.sum(counts))
    if old_rule:
        shares = [float(c) / total for c in counts]
    else:
        roots = [math.sqrt(float(c) / total) for c in counts]
        norm = 0.0
        for r in roots:
            norm += r
        shares = [r / norm for r in roots]
    classes = np.empty(len(counts), dtype=np.int32)
    running = 0.0
    current = 0
    for i, share in enumerate(shares):
        running = min(running + share, 1.0)
        classes[i] = current
        if running > (current + 1) / n_classes and current < n_classes - 1:
            current += 1
    return classes


def class_boundaries(word_class: np.ndarray, n_classes=None) -> np.ndarray:
    """class_start (C+1,) int32 for contiguous classes 0..C-1.

    C is max class + 1 unless given: rnnlm's own models may end in empty classes,
    which still take part in the class softmax.
    """
    filled = int(word_class.max()) + 1
    n_classes = filled if n_classes is None else max(int(n_classes), filled)
    sizes = np.bincount(word_class, minlength=n_classes)
    if np.any(np.diff(word_class) < 0) or np.any(sizes[:filled] == 0):
        raise ValueError("classes must be contiguous, non-empty index ranges")
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)


@dataclass
class Vocabulary:
    """Words in model index order with their training counts and classes."""

    words: list[str]
    counts: np.ndarray
    word_class: np.ndarray
    n_classes_stored: int = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not self.words or self.words[0] != SENTENCE_END:
            raise ValueError("the vocabulary must start with </s>")
        self.counts = np.asarray(self.counts, dtype=np.int64)
        self.word_class = np.asarray(self.word_class, dtype=np.int32)
        self.class_start = class_boundaries(self.word_class, self.n_classes_stored)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def n_classes(self) -> int:
        return len(self.class_start) - 1

    @property
    def index(self) -> dict[str, int]:
        if not self._index:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    @classmethod
    def from_counts(cls, words: list[str], counts, n_classes: int, old_rule: bool = False):
        """Sort first-occurrence words/counts like rnnlm and assign classes.

        ``words[0]`` must be ``</s>``.  More classes than words would leave
        empty classes that still take probability mass, so the class count is
        capped at the number of classes the rule actually fills.
        """
        counts = np.asarray(counts, dtype=np.int64)
        order = rnnlm_sort_order(counts)
        sorted_words = [words[i] for i in order]
        sorted_counts = counts[order]
        word_class = assign_classes(sorted_counts, n_classes, old_rule)
        return cls(sorted_words, sorted_counts, word_class), order

"""Which partition holds which n-gram rows (partition.py says why the layout works).

The word ranks (byte order of the words) are cut into ranges of about equal load
(rows each word brings as the word before the predicted one, or as a context's
last word); a range is one partition.  A heavy word, one whose rows alone would
overflow a partition (the most frequent word holds about a tenth of all rows),
gets a range of its own that is cut again, by the rank of the word before it:
its n-gram w1..wk (k >= 3) with w(k-1) the heavy word is predicted in the
sub-partition of w(k-2), and a context ending in it in that of its second-to-last
word.  Each sub-partition then holds whole contexts with all their children and
suffixes; only the heavy word's bigrams are needed by all of them (as the lower
order), so they are copied to every sub-partition and owned (counted, written)
by the first.  Their Kneser-Ney continuation counts come from trigrams spread
over the sub-partitions and are summed across them (partition.py).  The ARPA
order (the word before the predicted one first, then the one before it) keeps
the partitions' sections in partition order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

import numpy as np

from .vocab import NgramVocab


@dataclass
class Partitioning:
    """Ranges of word ranks, some cut again by the rank of the word before."""

    ranks: np.ndarray      # byte-order rank of every word id
    bounds: np.ndarray     # range r holds the word ranks [bounds[r], bounds[r+1])
    sub_bounds: dict = field(default_factory=dict)   # range of a heavy word -> rank bounds

    def __post_init__(self):
        self.sizes = np.ones(self.bounds.size - 1, np.int64)
        for r, cuts in self.sub_bounds.items():
            self.sizes[r] = cuts.size - 1
        self.first = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.range_of_part = np.repeat(np.arange(self.sizes.size), self.sizes)

    @classmethod
    def balanced(cls, vocab: NgramVocab, load: np.ndarray, parts: int,
                 pair_loads: dict | None = None) -> "Partitioning":
        """About ``parts`` ranges of about equal ``load`` (per word id); every word of
        ``pair_loads`` (word id -> its load by the word before it, per word id) gets a
        range of its own, cut into as many sub-partitions as its load needs."""
        ranks = vocab.byte_order_ranks()
        load = np.asarray(load, np.float64)
        share = load.sum() / parts
        by_rank = np.argsort(ranks)
        cumulative = np.cumsum(load[by_rank])
        cuts = np.searchsorted(cumulative, share * np.arange(1, parts), side="right")
        heavy = ranks[list(pair_loads or {})]
        bounds = np.unique(np.concatenate([[0], cuts, heavy, heavy + 1, [len(vocab)]]))
        sub_bounds = {}
        for word, by_word in (pair_loads or {}).items():
            pieces = ceil(load[word] / share)
            cumulative = np.cumsum(np.asarray(by_word, np.float64)[by_rank])
            if pieces < 2 or cumulative[-1] == 0:
                continue
            cut = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, pieces) / pieces,
                                  side="right")
            inner = np.unique(np.concatenate([[0], cut, [len(vocab)]]))
            if inner.size > 2:
                sub_bounds[int(np.searchsorted(bounds, ranks[word], side="right") - 1)] = inner
        return cls(ranks, bounds.astype(np.int64), sub_bounds)

    @property
    def parts(self) -> int:
        return int(self.sizes.sum())

    def is_split(self, part: int) -> bool:
        return int(self.range_of_part[part]) in self.sub_bounds

    def parts_of_range(self, part: int) -> range:
        """The partitions of the range that ``part`` belongs to (its heavy word's)."""
        r = self.range_of_part[part]
        return range(int(self.first[r]), int(self.first[r] + self.sizes[r]))

    def range_of(self, word_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.bounds, self.ranks[word_ids], side="right") - 1

    def in_range(self, part: int, word_ids: np.ndarray) -> np.ndarray:
        """Which words lie in the range of ``part`` (unigram contexts there)."""
        return self.range_of(word_ids) == self.range_of_part[part]

    def word_part(self, word_ids: np.ndarray) -> np.ndarray:
        """The partition owning each word: its unigram, the bigrams it is the context
        of, and in count files the n-grams it starts."""
        return self.first[self.range_of(word_ids)]

    def _pair_part(self, word: np.ndarray, before: np.ndarray) -> np.ndarray:
        r = self.range_of(word)
        part = self.first[r]
        for index, cuts in self.sub_bounds.items():
            at = np.flatnonzero(r == index)
            if at.size:
                part[at] += np.searchsorted(cuts, self.ranks[before[at]], side="right") - 1
        return part

    def predicted_part(self, words: np.ndarray) -> np.ndarray:
        """Where each row (order >= 2) is predicted; for the bigrams of a heavy word,
        copied to all its sub-partitions, the first of them."""
        if words.shape[1] == 2:
            return self.word_part(words[:, 0])
        return self._pair_part(words[:, -2], words[:, -3])

    def context_part(self, words: np.ndarray) -> np.ndarray:
        """Where each row (order >= 2) is a context, or -1 for rows ending in </s>,
        which are never contexts."""
        last = words[:, -1]
        return np.where(last == NgramVocab.END, -1, self._pair_part(last, words[:, -2]))

    def split(self, words: np.ndarray, counts: np.ndarray) -> list:
        """Per partition, the rows (order >= 2) predicted (or copied) or context there."""
        rows = np.arange(words.shape[0])
        predicted = self.predicted_part(words)
        copies = (self.sizes[self.range_of(words[:, 0])] if words.shape[1] == 2
                  else np.ones(rows.size, np.int64))
        starts = np.repeat(np.cumsum(copies) - copies, copies)
        held_rows = np.repeat(rows, copies)
        held_parts = np.repeat(predicted, copies) + np.arange(held_rows.size) - starts
        context = self.context_part(words)
        extra = (context >= 0) & ((context < predicted) | (context >= predicted + copies))
        held_rows = np.concatenate([held_rows, rows[extra]])
        held_parts = np.concatenate([held_parts, context[extra]])
        order = np.argsort(held_parts, kind="stable")
        cuts = np.searchsorted(held_parts[order], np.arange(self.parts + 1))
        return [(words[held_rows[order[a:b]]], counts[held_rows[order[a:b]]])
                for a, b in zip(cuts[:-1], cuts[1:])]


def heavy_words(load: np.ndarray, parts: int, order: int) -> np.ndarray:
    """Words whose load alone exceeds a partition's share (none below order 3, where
    cutting by the word before does not divide the rows)."""
    if order < 3 or parts < 2:
        return np.zeros(0, np.int64)
    return np.flatnonzero(load > load.sum() / parts)


@dataclass
class LoadJob:
    """What counting the heavy words' loads by the word before them needs."""

    store: object
    order: int
    size_v: int
    heavy: np.ndarray


def pair_loads(job: LoadJob, name: str, id_map: str | None = None):
    """The rows of run ``name`` that each heavy word brings, by the word before it (as
    the word before the predicted one, orders >= 3, and as a context's last word),
    stored as ``loads.NAME``: keys (heavy word's index * vocabulary + word before)
    and their counts, few next to the run's rows."""
    index = np.full(job.size_v, -1, np.int64)
    index[job.heavy] = np.arange(job.heavy.size)
    run = job.store.get(name)
    ids = job.store.get(id_map)["ids"] if id_map else None
    keys = []
    for k in range(2, job.order + 1):
        words = run[f"words{k}"] if ids is None else ids[run[f"words{k}"]]
        pairs = [(words[:, -1], words[:, -2])] + ([(words[:, -2], words[:, -3])] if k > 2
                                                   else [])
        for word, before in pairs:
            slot = index[word]
            mine = slot >= 0
            keys.append(slot[mine] * job.size_v + before[mine])
    keys, counts = np.unique(np.concatenate(keys), return_counts=True)
    job.store.put(f"loads.{name}", keys=keys, counts=counts)


def summed_pair_loads(job: LoadJob, names: list[str]) -> dict:
    """Heavy word id -> its load by the word before it (per word id), summed over the
    runs' ``loads.NAME`` one at a time."""
    total = np.zeros(job.heavy.size * job.size_v, np.int64)
    for name in names:
        loads = job.store.get(f"loads.{name}")
        total[loads["keys"]] += loads["counts"]
        job.store.drop(f"loads.{name}")
    return dict(zip(job.heavy.tolist(), total.reshape(job.heavy.size, job.size_v)))

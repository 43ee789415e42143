"""Wiring of the n-gram estimation stages: count -> adjust -> discount -> estimate -> model.

Options follow SRILM's ngram-count: a setting without an order suffix applies
to every order, a per-order one (``-gt3min``, ``-kndiscount2``, ``-interpolate3``)
to that order only.  The method of an order is the first of Witten-Bell,
absolute (-cdiscount), modified Kneser-Ney, original Kneser-Ney that is asked
for, else Good-Turing.  Default minimum counts drop singleton 3-grams and up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .adjust import continuation_counts
from .counts import NgramCounts
from .discount import (ConstDiscount, Discount, GoodTuring, KneserNey, ModifiedKneserNey,
                       WittenBell)
from .estimate import Estimator
from .model import BackoffModel, OrderTable

MAX_PER_ORDER = 9
DEFAULT_GTMIN = {1: 1, 2: 1}          # orders 3..9: 2; above 9: -gtmin (1)
DEFAULT_GTMAX = {1: 1}                # orders 2..9: 7; above 9: -gtmax (5)


def per_order(values: dict, order: int, default, high_default):
    """SRILM lookup: the order's own setting, else the all-orders one (key 0)."""
    if order in values:
        return values[order]
    if 0 in values:
        return values[0]
    return default if order <= MAX_PER_ORDER else high_default


@dataclass
class SmoothingConfig:
    """Per-order settings keyed by order; key 0 means "every order"."""

    gtmin: dict = field(default_factory=dict)
    gtmax: dict = field(default_factory=dict)
    wbdiscount: dict = field(default_factory=dict)
    cdiscount: dict = field(default_factory=dict)
    kndiscount: dict = field(default_factory=dict)
    ukndiscount: dict = field(default_factory=dict)
    interpolate: dict = field(default_factory=dict)
    discount_fallback: bool = False

    def min_count(self, k: int) -> int:
        return _count_limit(self.gtmin, DEFAULT_GTMIN, k, beyond=1, unlisted=2)

    def max_count(self, k: int) -> int:
        return _count_limit(self.gtmax, DEFAULT_GTMAX, k, beyond=5, unlisted=7)

    def discount_for(self, k: int) -> Discount:
        minimum = self.min_count(k)
        if per_order(self.wbdiscount, k, False, False):
            method: Discount = WittenBell(minimum)
        elif per_order(self.cdiscount, k, None, None) is not None:
            method = ConstDiscount(per_order(self.cdiscount, k, None, None), minimum)
        elif per_order(self.kndiscount, k, False, False):
            method = ModifiedKneserNey(minimum, self.discount_fallback)
        elif per_order(self.ukndiscount, k, False, False):
            method = KneserNey(minimum, self.discount_fallback)
        else:
            method = GoodTuring(minimum, self.max_count(k))
        method.interpolate = bool(self.interpolate.get(0) or self.interpolate.get(k))
        return method


def estimate_backoff_model(counts: NgramCounts, config: SmoothingConfig):
    """Run adjust, discount and estimate; return (BackoffModel, warnings)."""
    events = ~counts.vocab.nonevent_mask()
    discounts, notes = [], []
    for k in range(1, counts.order + 1):
        method = config.discount_for(k)
        if getattr(method, "uses_continuation_counts", False):
            continuation_counts(counts, k)
        table = counts.tables[k - 1]
        method.estimate(table.count, events[table.word], k)
        notes.extend(method.notes)
        discounts.append(method)
    arrays = Estimator(counts, discounts).run()
    return compact(counts, arrays), notes


def compact(counts: NgramCounts, arrays) -> BackoffModel:
    """Keep the n-grams that have probabilities, re-indexing prefixes."""
    return BackoffModel(counts.vocab, compact_tables([
        OrderTable(parent=table.parent, word=table.word, logp=est.logp, bow=est.bow,
                   node=est.node & (k < counts.order))
        for k, (table, est) in enumerate(zip(counts.tables, arrays), 1)]))


def compact_tables(tables: list[OrderTable]) -> list[OrderTable]:
    """The tables without the n-grams that have no probability (NaN), prefixes
    re-indexed; unigrams all stay (dense over word ids)."""
    kept = []
    new_index = None
    for k, table in enumerate(tables, 1):
        if k == 1:
            rows = np.arange(len(table))
            parent = table.parent
        else:
            rows = np.flatnonzero(~np.isnan(table.logp))
            parent = new_index[table.parent[rows]]
        kept.append(OrderTable(parent=parent.astype(np.int64),
                               word=table.word[rows].astype(np.int64),
                               logp=table.logp[rows], bow=table.bow[rows],
                               node=table.node[rows]))
        new_index = np.full(len(table), -1, np.int64)
        new_index[rows] = np.arange(rows.size)
    return kept


def _count_limit(given: dict, defaults: dict, k: int, beyond: int, unlisted: int) -> int:
    """-gtNmin/-gtNmax for order k: the option, else SRILM's default (orders above
    MAX_PER_ORDER take the order-0 option, or ``beyond``)."""
    if k in given:
        return given[k]
    if k > MAX_PER_ORDER:
        return given.get(0, beyond)
    return defaults.get(k, unlisted)

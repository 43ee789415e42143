"""Backoff estimation (the "interpolate/backoff" stage), as SRILM's ngram-count does it.

Input   ``NgramCounts`` (lower orders already adjusted for Kneser-Ney where used)
        and one discount per order.
Output  ``BackoffArrays`` per order, aligned with the count tables: the log10
        probability of every kept n-gram (NaN: not in the model), which n-grams
        are backoff contexts ("nodes") and their log10 backoff weights.

Per order i and context h (an (i-1)-gram; contexts ending in </s> or, for a
closed vocabulary, containing the unknown word are skipped):
  p(w|h) = d(c) c(hw) / T(h)  [+ lambda(h) p_BO(w|h') when interpolating],
  n-grams with discount 0 (below the minimum count) are dropped, and a context
  left with less than 3e-6 mass is redone without interpolation, then with
  T(h)+1 ("Doug Paul's hack").  Backoff weights follow by normalisation,
  bow(h) = (1 - sum p(w|h)) / (1 - sum p_BO(w|h')), computed right after each
  order; unigram leftover mass goes to the zero-probability words; finally
  every context gets a probability of its own (ARPA requires it).
SRILM stores log probabilities and weights as float32; so do we, at the same
points, so that written files agree to the printed 7 digits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .counts import NgramCounts
from .discount import PROB_EPSILON, Discount

F32 = np.float32


@dataclass
class BackoffArrays:
    logp: np.ndarray    # float32, NaN = no explicit probability
    node: np.ndarray    # bool: is a backoff context
    bow: np.ndarray     # float32 log10 weight (meaningful where node)
    found: np.ndarray   # float32: log10 p of the longest explicit n-gram on the backoff path
    acc: np.ndarray     # float32: backoff weights added along that path

    @classmethod
    def empty(cls, n: int):
        return cls(np.full(n, np.nan, F32), np.zeros(n, bool), np.zeros(n, F32),
                   np.full(n, -np.inf, F32), np.zeros(n, F32))

    def backoff_logp(self) -> np.ndarray:
        """log10 p_BO of every n-gram of the order, as SRILM's backoff lookup returns it."""
        return (self.found + self.acc).astype(F32)


def backoff_weights(num, den):
    """(log10 weights, contexts to scale) of contexts whose explicit probabilities
    leave ``num`` = 1 - sum P(w|h) and whose backoff distribution leaves ``den`` =
    1 - sum P_BO(w|h'), with SRILM's rules: rounding noise below PROB_EPSILON is 0;
    a context with no backoff mass left but mass of its own has its probabilities
    scaled to sum to 1 (weight 1); an improper one gets weight 0 (-inf)."""
    num = np.where((num < 0) & (num > -PROB_EPSILON), 0.0, num)
    den = np.where((den < 0) & (den > -PROB_EPSILON), 0.0, den)
    scale = (den == 0) & (num > PROB_EPSILON)
    num = np.where(scale, 0.0, num)
    improper = (num < 0) | ((den <= 0) & (num > PROB_EPSILON))
    zero = ~improper & (den <= 0) | ((num == 0) & (den == 0))
    with np.errstate(divide="ignore", invalid="ignore"):   # the difference in double
        bow = (np.log10(np.where(zero | improper, 1.0, num))
               - np.log10(np.where(zero | improper, 1.0, den))).astype(F32)
    return np.where(improper, F32(-np.inf), np.where(zero, F32(0.0), bow)), scale


def distinct(indices: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``indices`` (all in [0, size)), sorted: np.unique's
    answer in one linear pass."""
    seen = np.zeros(size, bool)
    seen[indices] = True
    return np.flatnonzero(seen)


def _log10_f32(values) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(values).astype(F32)


def _prob(logp_f32) -> np.ndarray:
    return np.power(10.0, logp_f32.astype(np.float64))


def spread_unigram_leftover(logp: np.ndarray, events: np.ndarray, least: float = 0.0):
    """Give the mass the unigrams ``logp`` (float32 log10, NaN: absent) leave below one
    to the events (mask over word ids) without a probability, or else to all events
    evenly, in place, as SRILM does after estimating; when the weights of a model are
    recomputed (after mixing), only a mass above ``least`` (PROB_EPSILON) is spread."""
    explicit = ~np.isnan(logp)
    mass = 1.0 - float(np.sum(_prob(logp[explicit])))
    if -PROB_EPSILON < mass < 0.0:
        mass = 0.0
    if mass < 0.0 or (least and mass <= least):
        return
    words = np.flatnonzero(events)
    current = logp[words]
    zero = np.isnan(current) | np.isneginf(current)
    if zero.any():
        logp[words[zero]] = _log10_f32(mass / np.count_nonzero(zero))
    else:
        logp[words] = _log10_f32(_prob(current) + mass / words.size)


class Estimator:
    def __init__(self, counts: NgramCounts, discounts: list[Discount]):
        self.counts, self.discounts = counts, discounts
        vocab = counts.vocab
        self.nonevent = vocab.nonevent_mask()
        self.vocab_size = vocab.event_count
        self.end, self.unk = vocab.END, vocab.UNK
        self.unk_closed = not vocab.unk_is_word
        self.model = [BackoffArrays.empty(len(t)) for t in counts.tables]
        self.has_unk = counts.rows_containing(self.unk)

    def run(self, fixup: bool = True) -> list[BackoffArrays]:
        """Estimate every order; ``fixup=False`` leaves out the last step, giving every
        context a probability (partitioned estimation does it across partitions)."""
        self.model[0].logp[self.counts.vocab.START] = -np.inf
        for i in range(1, self.counts.order + 1):
            self._estimate_order(i)
            self._compute_bows(i - 1)
            self._backoff_path(i)
        if fixup:
            self._fixup_contexts()
        return self.model

    # -- one order ---------------------------------------------------------
    def _contexts(self, i):
        """(context index of every i-gram, validity of each context, number of contexts)."""
        table = self.counts.tables[i - 1]
        if i == 1:
            return np.zeros(len(table), np.int64), np.ones(1, bool), 1
        lower = self.counts.tables[i - 2]
        valid = lower.word != self.end
        if self.unk_closed:
            valid &= ~self.has_unk[i - 2]
        return table.parent, valid, len(lower)

    def _estimate_order(self, i):
        table, discount = self.counts.tables[i - 1], self.discounts[i - 1]
        ctx, ctx_valid, n_ctx = self._contexts(i)
        follower = table.counted.copy() if i == 1 else table.count > 0
        follower &= ctx_valid[ctx]
        event = ~self.nonevent[table.word]
        use = follower & event & (table.count > 0)
        count = table.count.astype(np.float64)
        total = np.bincount(ctx[use], weights=count[use], minlength=n_ctx)
        observed = np.bincount(ctx[use], minlength=n_ctx).astype(np.float64)
        n2 = np.bincount(ctx[use & (table.count >= 2)], minlength=n_ctx).astype(np.float64)
        n3 = np.bincount(ctx[use & (table.count >= 3)], minlength=n_ctx).astype(np.float64)
        live = follower & (total[ctx] > 0)
        model = self.model[i - 1]
        if i == 1:   # non-event unigrams (other than the unknown word) get probability 0
            model.logp[live & ~event & (table.word != self.unk)] = -np.inf
        rows = np.flatnonzero(live & event)
        if rows.size == 0:
            return
        rows_ctx = ctx[rows]
        if i == 1:
            lower = np.full(rows.size, _prob(F32(-np.log10(self.vocab_size))))
        else:
            lower = _prob(self.model[i - 2].backoff_logp()[table.suffix[rows]])
        interpolate = np.full(n_ctx, bool(discount.interpolate))
        total_used = total.copy()
        todo = np.ones(rows.size, bool)
        prob = np.zeros(rows.size)
        keep = np.zeros(rows.size, bool)
        while True:
            sel = np.flatnonzero(todo)
            c = rows_ctx[sel]
            d = discount.discount(count[rows[sel]], total_used[c], observed[c])
            p = d * count[rows[sel]] / total_used[c]
            weight = discount.lower_order_weight(total_used[c], observed[c], n2[c], n3[c])
            p = np.where(interpolate[c], p + weight * lower[sel], p)
            prob[sel], keep[sel] = p, d != 0
            mass = np.bincount(rows_ctx[keep], weights=prob[keep], minlength=n_ctx)
            retry = (total_used > 0) & (observed < self.vocab_size) & (mass > 1.0 - PROB_EPSILON)
            retry &= np.bincount(rows_ctx[sel], minlength=n_ctx) > 0
            if discount.nodiscount() or not retry.any():
                break
            total_used = np.where(retry & ~interpolate, total_used + 1, total_used)
            interpolate &= ~retry
            todo = retry[rows_ctx]
        kept = rows[keep]
        model.logp[kept] = _log10_f32(prob[keep])
        if i > 1:
            self._mark_nodes(i - 1, distinct(ctx[kept], n_ctx), late=False)

    def _mark_nodes(self, k, contexts, late):
        """Make these k-grams (and, as SRILM's trie does, their suffixes) backoff contexts.

        Nodes appearing after their order's weights were computed keep weight 0.
        """
        while k >= 1 and contexts.size:
            model = self.model[k - 1]
            new = contexts[~model.node[contexts]]
            model.node[new] = True
            if late:
                model.bow[new] = 0.0
            late = True   # shorter orders' weights are already computed
            if k == 1:
                break
            contexts = distinct(self.counts.tables[k - 1].suffix[new],
                                len(self.counts.tables[k - 2]))
            k -= 1

    # -- backoff weights -----------------------------------------------------
    def _compute_bows(self, k):
        """Normalise the contexts of order k (k = 0: spread the unigram leftover)."""
        child_table = self.counts.tables[k]
        child = self.model[k]
        explicit = ~np.isnan(child.logp)
        if k == 0:
            spread_unigram_leftover(child.logp, ~self.nonevent)
            return
        parent = child_table.parent[explicit]
        n_parent = len(self.counts.tables[k - 1])
        numerator = 1.0 - np.bincount(parent, weights=_prob(child.logp[explicit]),
                                      minlength=n_parent)
        lower = self.model[k - 1].backoff_logp()[child_table.suffix[explicit]]
        denominator = 1.0 - np.bincount(parent, weights=_prob(lower), minlength=n_parent)
        nodes = np.flatnonzero(np.bincount(parent, minlength=n_parent) > 0)
        num, den = numerator[nodes], denominator[nodes]
        bow, scale = backoff_weights(num, den)
        if scale.any():   # no backoff mass below: scale the explicit probabilities to sum to 1
            shift = np.zeros(n_parent, F32)
            shift[nodes[scale]] = -_log10_f32(1.0 - np.where((num < 0) & (
                num > -PROB_EPSILON), 0.0, num)[scale])
            rows = np.flatnonzero(explicit)
            child.logp[rows] = (child.logp[rows] + shift[parent]).astype(F32)
        self.model[k - 1].bow[nodes] = bow

    def _backoff_path(self, i):
        model = self.model[i - 1]
        explicit = ~np.isnan(model.logp)
        if i == 1:
            model.found = np.where(explicit, model.logp, F32(-np.inf)).astype(F32)
            model.acc = np.zeros_like(model.found)
            return
        table, lower = self.counts.tables[i - 1], self.model[i - 2]
        ctx_bow = np.where(lower.node, lower.bow, F32(0.0))[table.parent]
        model.found = np.where(explicit, model.logp, lower.found[table.suffix]).astype(F32)
        model.acc = np.where(explicit, F32(0.0),
                             (lower.acc[table.suffix] + ctx_bow).astype(F32)).astype(F32)

    # -- every context needs a probability --------------------------------------
    def _fixup_contexts(self):
        """Give every context n-gram (and its prefixes) an explicit, backed-off probability."""
        for k in range(self.counts.order - 1, 0, -1):
            model = self.model[k - 1]
            missing = np.flatnonzero(model.node & np.isnan(model.logp))
            while missing.size:
                model = self.model[k - 1]
                model.logp[missing] = model.backoff_logp()[missing]
                if k == 1:
                    break
                parents = distinct(self.counts.tables[k - 1].parent[missing],
                                   len(self.counts.tables[k - 2]))
                self._mark_nodes(k - 1, parents, late=True)
                k -= 1
                missing = parents[np.isnan(self.model[k - 1].logp[parents])]

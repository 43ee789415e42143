"""Entropy-based pruning of a backoff model (Stolcke 1998), as SRILM's -prune does it.

For the n-grams of each order from the highest down to -minprune (never unigrams),
each n-gram h w with an explicit probability is weighed on its own, with every other
n-gram kept: removing it makes P(w|h) the backoff estimate bow'(h) P_BO(w|h'), where
h' drops the oldest word of h and bow'(h) is the context's weight recomputed
without it,

    bow'(h) = (num(h) + P(w|h)) / (den(h) + P_BO(w|h'))
    num(h) = 1 - sum_v P(v|h),   den(h) = 1 - sum_v P_BO(v|h')   (v: h's n-grams)

and the model's entropy grows by

    dH = -P(h) [ P(w|h) (log P_BO(w|h') + log bow'(h) - log P(w|h))
                 + num(h) (log bow'(h) - log bow(h)) ]

(log10 throughout; P(h) is the chain-rule probability of the context under the
model, its first word <s> counted as </s>).  The n-gram goes when the relative
perplexity change 10^dH - 1 is below the threshold.  An n-gram that is a backoff
node stays (a context of a kept longer n-gram, or the suffix of such a node: the
nodes of SRILM's context trie, whose weights an ARPA file writes on the n-gram's
own line); a node left with no n-grams and no longer node goes.  When an order is
done, the weights of every context are recomputed from the probabilities left,
shorter contexts first, as estimation computes them (estimate.backoff_weights);
the arithmetic follows SRILM's float32 log probabilities, so that written files
are SRILM's byte for byte (tests/ngram/test_prune.py).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from ..textio import UTF8, TextEncoding
from .discount import PROB_EPSILON
from .estimate import backoff_weights, distinct
from .model import BackoffModel, OrderTable, backoff_walk
from .pipeline import compact_tables

F32 = np.float32


def prune_file(source: str, target: str, threshold: float, min_order: int = 2,
               order: int = 0, unk: bool = False, encoding: TextEncoding = UTF8):
    """Prune the ARPA model in ``source`` (orders up to ``order``, 0: all; ``unk``: open
    vocabulary) and write it to ``target`` ('-': stdout; written atomically), as
    SRILM's ``ngram -lm SOURCE -prune T -write-lm TARGET``."""
    from ..fileio import text_output
    from .arpa import read_arpa, write_arpa
    model = prune(read_arpa(source, order, unk, encoding), threshold, min_order)
    with text_output(target, encoding) as handle:
        write_arpa(model, handle)


def prune(model: BackoffModel, threshold: float, min_order: int = 2) -> BackoffModel:
    """The model without the n-grams whose removal changes perplexity by less than
    ``threshold`` (relative), orders >= ``min_order`` (at least 2) only."""
    tables = [OrderTable(t.parent, t.word, t.logp.copy(), t.bow.copy(), t.node.copy())
              for t in model.tables]
    work = _Pruning(model, tables)
    for k in range(model.order, max(min_order, 2) - 1, -1):
        if threshold > 0 and work.prune_order(k, threshold):
            work.recompute_weights()
    return BackoffModel(model.vocab, compact_tables(tables), model.digest)


def recomputed_weights(model: BackoffModel) -> BackoffModel:
    """The model with every backoff weight recomputed from its probabilities (in place),
    as after pruning: for models whose probabilities were set otherwise (mix.py)."""
    _Pruning(model, model.tables).recompute_weights()
    return model


class _Pruning:
    def __init__(self, model: BackoffModel, tables: list[OrderTable]):
        self.model, self.tables = model, tables
        # suffix[k - 1]: index in table k - 1 of each k-gram without its oldest word
        self.suffix = [None, tables[1].word.copy() if len(tables) > 1 else None]
        for k in range(3, len(tables) + 1):      # the k-gram without its oldest word
            table = tables[k - 1]
            self.suffix.append(model.find(k - 1, self.suffix[k - 2][table.parent], table.word))

    @cached_property
    def context_logp(self) -> list:
        """log10 P(h) of every n-gram h as a context: its words' chained probabilities,
        oldest first, summed in float32, a first <s> scored as </s>."""
        vocab = self.model.vocab
        unigrams = self.tables[0].logp.copy()
        unigrams[vocab.START] = unigrams[vocab.END]
        sums = [np.where(np.isnan(unigrams), F32(0), unigrams).astype(F32)]
        for k in range(2, len(self.tables)):
            table = self.tables[k - 1]
            step = np.where(np.isnan(table.logp), F32(0), table.logp)
            sums.append((sums[-1][table.parent] + step).astype(F32))
        return sums

    def backoff_logp(self, length: int, context: np.ndarray, word: np.ndarray) -> np.ndarray:
        """log10 P_BO(word | context) for contexts of ``length`` words (index in that
        table; length 0: none), walked from the shortest as SRILM's lookup does."""
        chain = [context]
        for j in range(length, 1, -1):
            chain.append(np.where(chain[-1] >= 0, self.suffix[j - 1][np.maximum(chain[-1], 0)],
                                  -1))
        chain.reverse()                           # chain[j - 1]: the last j words
        return backoff_walk(self.tables, self.model.find, chain[:length], word)[0]

    def _sums(self, k: int):
        """(rows of the explicit k-grams, their contexts, P(w|h), log10 P_BO(w|h'),
        num, den per context) for the k-grams as they stand."""
        table = self.tables[k - 1]
        rows = np.flatnonzero(~np.isnan(table.logp))
        context = table.parent[rows]
        words = table.word[rows]
        if k == 2:
            lower = self.tables[0].logp[words].astype(F32)
        else:
            lower = self.backoff_logp(k - 2, self.suffix[k - 2][context], words)
        prob = np.power(10.0, table.logp[rows].astype(np.float64))
        size = len(self.tables[k - 2])
        num = 1.0 - np.bincount(context, weights=prob, minlength=size)
        den = 1.0 - np.bincount(context, weights=np.power(10.0, lower.astype(np.float64)),
                                minlength=size)
        num = np.where((num < 0) & (num > -PROB_EPSILON), 0.0, num)
        den = np.where((den < 0) & (den > -PROB_EPSILON), 0.0, den)
        return rows, context, prob, lower, num, den

    def prune_order(self, k: int, threshold: float) -> bool:
        """Remove the k-grams below the threshold; whether any went."""
        table = self.tables[k - 1]
        rows, context, prob, lower, num, den = self._sums(k)
        proper = (num >= 0) & (den > 0)       # SRILM skips contexts it cannot weigh
        n_num, n_den = num[context], den[context]
        # weights of -inf (a context with no mass left) make NaN changes: never pruned
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new_bow = (np.log10(n_num + prob) - np.log10(n_den + np.power(
                10.0, lower.astype(np.float64)))).astype(F32)
            logp = table.logp[rows]
            old_bow = self.tables[k - 2].bow[context]
            change = (lower + new_bow - logp).astype(F32)
            delta = (-np.power(10.0, self.context_logp[k - 2][context].astype(np.float64))
                     * (prob * change + n_num * (new_bow - old_bow).astype(F32))).astype(F32)
            perplexity_change = np.power(10.0, delta.astype(np.float64)) - 1.0
        pruned = proper[context] & (perplexity_change < threshold) & ~table.node[rows]
        table.logp[rows[pruned]] = np.nan
        self._drop_unused_contexts(k)
        return bool(pruned.any())

    def _drop_unused_contexts(self, k: int):
        """A context of the k-grams stays a backoff node (its weight written) while it
        has k-grams left or is the suffix of a longer node: the nodes of SRILM's
        context trie, which keeps the n-gram of every node it holds."""
        table, contexts = self.tables[k - 1], self.tables[k - 2]
        alive = np.zeros(len(contexts), bool)
        alive[table.parent[~np.isnan(table.logp)]] = True
        if table.node.any():
            alive[self.suffix[k - 1][table.node]] = True
        contexts.node &= alive

    def recompute_weights(self):
        """Every context's backoff weight from the probabilities left, shorter first (a
        node without n-grams of its own: weight 1, as SRILM's recomputation leaves it)."""
        for k in range(2, len(self.tables) + 1):
            _, context, _, _, num, den = self._sums(k)
            nodes = distinct(context, len(self.tables[k - 2]))
            bow, _ = backoff_weights(num[nodes], den[nodes])
            contexts = self.tables[k - 2]
            contexts.bow[contexts.node] = 0.0
            contexts.bow[nodes] = bow

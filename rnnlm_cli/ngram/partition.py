"""Backoff estimation in partitions: one at a time in bounded memory (``-memory``) or
on many machines (``-dask``), with output identical to the in-memory estimate.

Partition p owns a range of word ranks (byte order of the words).  An n-gram
w1..wk (k >= 2) is *predicted* in the partition of w(k-1), the word before the
predicted one, and is a *context* in the partition of wk.  Everything the
estimate of a predicted n-gram reads is then in its partition: its siblings
(same context), its suffixes w2..wk (same word before the predicted one), the
backoff weight of its context (whose children are all predicted there) and the
continuation counts from the (k+1)-grams a w1..wk.  So each partition runs the
ordinary ``Estimator`` over its predicted and context rows; a context whose own
prefix is elsewhere points at a *sink* row (all ``</s>``, never a valid context),
which keeps the wrong numbers of such rows away from the predicted ones.

Global are only the unigrams and the statistics summed over partitions: the
unigram continuation counts and each order's counts-of-counts (the discounts).
Two things cross partitions after the estimate, in one round per order from the
highest down: the backoff weight of an n-gram (computed where it is a context)
joins its probability (computed where it is predicted), and SRILM's rule that
every context has a probability of its own, which can make that context's
prefix a context too.  ARPA sections list n-grams by the word before the
predicted one first, so the partitions' sections are concatenated in order.

Stages read and write a ``Store``; ``run(function, arguments)`` maps a stage over
the partitions (a loop, or Dask).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .adjust import continuation_counts
from .arpa import ARPA_END, ArpaText, arpa_header
from .counts import NgramCounts, OrderTable, _unigram_table
from .discount import counts_of_counts
from .estimate import F32, Estimator
from .model import BackoffModel, OrderTable as ModelTable
from .partitioning import Partitioning
from .rows import find_rows, row_keys, sum_duplicate_rows
from .runners import sequential
from .vocab import NgramVocab


@dataclass
class PartitionJob:
    """What every stage of one partitioned estimate shares."""

    vocab: NgramVocab
    order: int
    partitioning: Partitioning
    config: object          # pipeline.SmoothingConfig
    store: object           # rows.Store
    keep_model: bool = False   # keep the model's arrays instead of section text (pruning)
    sizes: list = field(default_factory=list)   # n-grams written per order (after estimating)

    def __post_init__(self):
        self.text = ArpaText(self.vocab, self.partitioning.ranks)


class PartitionCounts(NgramCounts):
    """Count tables of one partition, with the true words of every row (prefix links
    of context-only rows may point at the sink)."""

    def __init__(self, vocab, tables, words, predicted, context):
        super().__init__(vocab, tables)
        self.words, self.predicted, self.context = words, predicted, context

    def words_of(self, k: int) -> np.ndarray:
        return self.words[k - 1]

    def rows_containing(self, word: int) -> list:
        return [(w == word).any(axis=1) for w in self.words]


def rows_name(part: int) -> str:
    return f"rows{part}"


def build_partition(job: PartitionJob, part: int, unigram_counts, counted) -> PartitionCounts:
    """The partition's tables from its merged rows (``rows_name(part)`` in the store)."""
    size_v = len(job.vocab)
    rows = job.store.get(rows_name(part))
    end = job.vocab.END
    tables = [_unigram_table(unigram_counts.copy(), counted)]
    words = [np.arange(size_v, dtype=np.int32)[:, None]]
    in_range = job.partitioning.in_range(part, np.arange(size_v))
    predicted, context = [np.ones(size_v, bool)], [in_range]
    lower_keys, sink = None, end
    for k in range(2, job.order + 1):
        w = rows[f"words{k}"]
        if k == 2:
            parent, suffix = w[:, 0].astype(np.int64), w[:, 1].astype(np.int64)
        else:
            parent = find_rows(lower_keys, row_keys(w[:, :-1]))
            parent[parent < 0] = sink
            suffix = find_rows(lower_keys, row_keys(w[:, 1:]))
            if np.any(suffix < 0):
                raise RuntimeError(f"partition {part}: a {k}-gram's suffix is missing")
        n = w.shape[0]
        tables.append(OrderTable(parent=np.append(parent, sink),
                                 word=np.append(w[:, -1], end).astype(np.int32),
                                 count=np.append(rows[f"counts{k}"], 0).astype(np.int64),
                                 suffix=np.append(suffix, sink)))
        words.append(np.concatenate([w, np.full((1, k), end, np.int32)]))
        predicted.append(np.append(job.partitioning.predicted_part(w) == part, False))
        context.append(np.append(job.partitioning.context_part(w) == part, False))
        lower_keys, sink = row_keys(w), n
    return PartitionCounts(job.vocab, tables, words, predicted, context)


def adjust(job: PartitionJob, part: int, counts: PartitionCounts) -> PartitionCounts:
    """Kneser-Ney continuation counts for orders >= 2 (the unigrams' are global; a
    heavy word's bigrams' are summed over its sub-partitions)."""
    for k in range(2, job.order):
        if getattr(job.config.discount_for(k), "uses_continuation_counts", False):
            continuation_counts(counts, k)
            if k == 2 and job.partitioning.is_split(part):
                _sum_bigram_extensions(job, part, counts)
    return counts


def _extensions_name(job: PartitionJob, part: int) -> str:
    return f"extensions{job.partitioning.range_of_part[part]}"


def _sum_bigram_extensions(job: PartitionJob, part: int, counts: PartitionCounts):
    """A heavy word's bigrams w y get as continuation count the distinct words before
    them summed over its sub-partitions (``merge_rows`` counts each one's share)."""
    words = counts.words_of(2)
    heavy = job.partitioning.in_range(part, words[:, 0])
    if job.vocab.nonevent_mask()[words[heavy, 0]].any():
        return   # n-grams starting with <s> keep their raw counts
    extended = job.store.get(_extensions_name(job, part))["counts"]
    table = counts.tables[1]
    table.count = np.where(heavy, extended[words[:, 1]], table.count)


def load_partition(job: PartitionJob, part: int) -> PartitionCounts:
    unigrams = job.store.get("unigrams")
    return build_partition(job, part, unigrams["counts"], unigrams["counted"])


def partition_statistics(job: PartitionJob, part: int) -> dict:
    """What the global discounts need from this partition: its share of the unigrams'
    continuation counts (distinct words before each word, from the raw bigram
    counts; ``before{part}`` in the store) and, returned, per order >= 2 the
    counts-of-counts of its predicted n-grams."""
    counts = load_partition(job, part)
    size_v = len(job.vocab)
    before = np.zeros(size_v, np.int64)
    if job.order > 1:
        bigrams = counts.tables[1]
        seen = counts.predicted[1] & (bigrams.count > 0)
        before = np.bincount(bigrams.word[seen], minlength=size_v)
    job.store.put(f"before{part}", counts=before)
    result = {}
    adjust(job, part, counts)
    events = ~job.vocab.nonevent_mask()
    for k in range(2, job.order + 1):
        table, mine = counts.tables[k - 1], counts.predicted[k - 1]
        needed = job.config.discount_for(k).counts_of_counts_needed()
        result[k] = counts_of_counts(table.count[mine], events[table.word[mine]], needed)
    return result


def global_discounts(job: PartitionJob, statistics: list[dict]):
    """Unigram counts (continuation counts where Kneser-Ney) and every order's
    discount, from the partitions' statistics; (discounts, warnings)."""
    unigrams = job.store.get("unigrams")
    nonevent = job.vocab.nonevent_mask()
    count = unigrams["counts"]
    method = job.config.discount_for(1)
    if job.order > 1 and getattr(method, "uses_continuation_counts", False):
        before = np.zeros_like(count)
        for part in range(job.partitioning.parts):
            before += job.store.get(f"before{part}")["counts"]
            job.store.drop(f"before{part}")
        count = np.where(nonevent, count, before).astype(np.int64)
    job.store.put("unigram_adjusted", counts=count)
    method.estimate(count, ~nonevent, 1)
    discounts = [method]
    for k in range(2, job.order + 1):
        method = job.config.discount_for(k)
        method.estimate_from(np.sum([s[k] for s in statistics], axis=0), k)
        discounts.append(method)
    return discounts, [note for d in discounts for note in d.notes]


def estimate_partition(job: PartitionJob, part: int, discounts: list):
    """Estimate the partition; keep its predicted rows (probabilities and backoff
    paths) and its context rows (backoff weights) per order, and the unigrams."""
    counts = adjust(job, part, load_partition(job, part))
    counts.tables[0].count = job.store.get("unigram_adjusted")["counts"].copy()
    model = Estimator(counts, discounts).run(fixup=False)
    for k in range(1, job.order + 1):
        arrays, words = model[k - 1], counts.words[k - 1]
        if k > 1:
            mine = counts.predicted[k - 1]
            job.store.put(f"pred{part}_{k}", words=words[mine], logp=arrays.logp[mine],
                          backoff=arrays.backoff_logp()[mine])
        if k < job.order:
            mine = counts.context[k - 1]
            job.store.put(f"ctx{part}_{k}", words=words[mine], node=arrays.node[mine],
                          bow=arrays.bow[mine])
    if part == 0:
        job.store.put("unigram_model", logp=model[0].logp, backoff=model[0].backoff_logp())


def send_contexts(job: PartitionJob, part: int, k: int):
    """Post this partition's order-k backoff contexts to the partitions predicting them."""
    ctx = job.store.get(f"ctx{part}_{k}")
    nodes = np.flatnonzero(ctx["node"])
    words, bow = ctx["words"][nodes], ctx["bow"][nodes]
    dest = job.partitioning.predicted_part(words)
    for p in range(job.partitioning.parts):
        mine = dest == p
        job.store.put(f"mail{k}_{part}_{p}", words=words[mine], bow=bow[mine])


def finish_order(job: PartitionJob, part: int, k: int) -> int:
    """Join the order-k contexts posted to this partition with its predicted n-grams,
    give each context without a probability its backoff one (making its prefix a
    context), and write the partition's part of the order-k section; returns its size."""
    pred = job.store.get(f"pred{part}_{k}")
    words, logp = pred["words"], pred["logp"].copy()
    node = np.zeros(words.shape[0], bool)
    bow = np.zeros(words.shape[0], F32)
    if k < job.order:
        keys = row_keys(words)
        for sender in range(job.partitioning.parts):
            mail = job.store.get(f"mail{k}_{sender}_{part}")
            at = find_rows(keys, row_keys(mail["words"]))
            if np.any(at < 0):
                raise RuntimeError(f"partition {part}: a {k}-gram context is not predicted")
            node[at], bow[at] = True, mail["bow"]
            job.store.drop(f"mail{k}_{sender}_{part}")
        missing = node & np.isnan(logp)
        logp[missing] = pred["backoff"][missing]
        if missing.any():
            mark_contexts(job, part, k - 1, np.unique(words[missing, :-1], axis=0))
    present = np.flatnonzero(~np.isnan(logp))
    if job.keep_model:
        job.store.put(f"model{k}_{part}", words=words[present], logp=logp[present],
                      bow=bow[present], node=node[present])
    else:
        rows = present[job.text.section_order(words[present])]
        with job.store.text_writer(f"section{k}_{part}") as handle:
            job.text.write_lines(handle, logp[rows], bow[rows], node[rows], words[rows])
    job.store.drop(f"pred{part}_{k}")
    return int(present.size)


def mark_contexts(job: PartitionJob, part: int, k: int, words: np.ndarray):
    """Make these k-grams contexts, and, as SRILM's trie does, their suffixes; the
    ones new to it keep weight 0 (their order's weights are already computed)."""
    while k >= 1 and words.shape[0]:
        ctx = job.store.get(f"ctx{part}_{k}")
        at = find_rows(row_keys(ctx["words"]), row_keys(words))
        if np.any(at < 0):
            raise RuntimeError(f"partition {part}: a {k}-gram context is missing")
        new = at[~ctx["node"][at]]
        if new.size == 0:
            return
        node, bow = ctx["node"].copy(), ctx["bow"].copy()
        node[new], bow[new] = True, 0.0
        job.store.put(f"ctx{part}_{k}", words=ctx["words"], node=node, bow=bow)
        words = np.unique(ctx["words"][new][:, 1:], axis=0)
        k -= 1


def finish_unigrams(job: PartitionJob) -> int:
    """The unigram section: global probabilities, each word's weight from its partition."""
    model = job.store.get("unigram_model")
    logp = model["logp"].copy()
    node = np.zeros(logp.size, bool)
    bow = np.zeros(logp.size, F32)
    if job.order > 1:
        for part in range(job.partitioning.parts):   # a heavy word's: in each sub-partition
            ctx = job.store.get(f"ctx{part}_1")
            ids = ctx["words"][ctx["node"], 0]
            node[ids], bow[ids] = True, ctx["bow"][ctx["node"]]
        missing = node & np.isnan(logp)
        logp[missing] = model["backoff"][missing]
    present = np.flatnonzero(~np.isnan(logp))
    if job.keep_model:
        job.store.put("model1", logp=logp, bow=bow, node=node)
    else:
        rows = present[np.argsort(job.text.ranks[present])]
        with job.store.text_writer("section1") as handle:
            job.text.write_lines(handle, logp[rows], bow[rows], node[rows], rows[:, None])
    return int(present.size)


def assemble_model(job: PartitionJob) -> BackoffModel:
    """The estimated model in memory (after a run with ``keep_model``): about 25 bytes
    per n-gram, for the steps that need all of it at once (pruning)."""
    unigrams = job.store.get("model1")
    size_v = len(job.vocab)
    tables = [ModelTable(parent=np.zeros(size_v, np.int64), word=np.arange(size_v),
                         logp=unigrams["logp"], bow=unigrams["bow"], node=unigrams["node"])]
    lower_keys = None
    for k in range(2, job.order + 1):
        parts = [job.store.get(f"model{k}_{p}") for p in range(job.partitioning.parts)]
        words = np.concatenate([p["words"] for p in parts])
        order = np.argsort(row_keys(words), kind="stable")
        words = words[order]
        parent = (words[:, 0].astype(np.int64) if k == 2
                  else find_rows(lower_keys, row_keys(words[:, :-1])))
        tables.append(ModelTable(
            parent=parent, word=words[:, -1].astype(np.int64),
            logp=np.concatenate([p["logp"] for p in parts])[order],
            bow=np.concatenate([p["bow"] for p in parts])[order],
            node=np.concatenate([p["node"] for p in parts])[order]))
        lower_keys = row_keys(words)
    return BackoffModel(job.vocab, tables)


def estimate_in_partitions(job: PartitionJob, handle, run=sequential) -> list[str]:
    """Estimate from the merged rows of every partition and write the ARPA file to
    ``handle`` (with ``keep_model``: keep the model's arrays for ``assemble_model``
    instead); returns the discount warnings."""
    parts = range(job.partitioning.parts)
    sum_extension_shares(job)
    statistics = run(partition_statistics, [(job, p) for p in parts])
    discounts, notes = global_discounts(job, statistics)
    run(estimate_partition, [(job, p, discounts) for p in parts])
    sizes = {}
    for k in range(job.order, 1, -1):
        if k < job.order:
            run(send_contexts, [(job, p, k) for p in parts])
        sizes[k] = sum(run(finish_order, [(job, p, k) for p in parts]))
    sizes[1] = finish_unigrams(job)
    job.sizes = [sizes[k] for k in range(1, job.order + 1)]
    if job.keep_model:
        return notes
    handle.write(arpa_header(job.sizes))
    for k in range(1, job.order + 1):
        handle.write(f"\n\\{k}-grams:\n")
        for name in ["section1"] if k == 1 else [f"section{k}_{p}" for p in parts]:
            job.store.copy_text(name, handle)
    handle.write(ARPA_END)
    return notes


def sum_extension_shares(job: PartitionJob):
    """Sum each heavy word's sub-partitions' shares of its bigrams' continuation counts."""
    for first in sorted({job.partitioning.parts_of_range(p)[0]
                         for p in range(job.partitioning.parts) if job.partitioning.is_split(p)}):
        name = _extensions_name(job, first)
        shares = [f"{name}.{p}" for p in job.partitioning.parts_of_range(first)]
        if job.store.has(shares[0]):
            job.store.put(name, counts=np.sum([job.store.get(s)["counts"] for s in shares],
                                              axis=0))
            for share in shares:
                job.store.drop(share)


def merge_rows(job: PartitionJob, part: int, pieces: list[str]):
    """Sum the routed pieces of this partition into its sorted rows, an order at a time.
    Pieces are summed in batches at least as large as the sum so far, so that besides
    the sum little more than as many rows are held (a frequent n-gram is in every
    piece)."""
    for k in range(2, job.order + 1):
        keys = [f"words{k}", f"counts{k}"]
        total_words, total_counts = None, None
        batch_words, batch_counts, batched = [], [], 0
        for name in pieces:
            piece = job.store.get(name, keys)
            batch_words.append(piece[keys[0]])
            batch_counts.append(piece[keys[1]])
            batched += piece[keys[0]].shape[0]
            if batched >= max(MERGE_BATCH_ROWS, 0 if total_words is None
                              else total_words.shape[0]):
                total_words, total_counts = _summed(total_words, total_counts, batch_words,
                                                    batch_counts)
                batch_words, batch_counts, batched = [], [], 0
        total_words, total_counts = _summed(total_words, total_counts, batch_words,
                                            batch_counts)
        job.store.put(rows_name(part), **{keys[0]: total_words, keys[1]: total_counts})
        if k == 3 and job.partitioning.is_split(part):
            seen = (job.partitioning.predicted_part(total_words) == part) & (total_counts > 0)
            job.store.put(f"{_extensions_name(job, part)}.{part}", counts=np.bincount(
                total_words[seen, 2], minlength=len(job.vocab)))
    for name in pieces:
        job.store.drop(name)


MERGE_BATCH_ROWS = 1 << 20


def _summed(total_words, total_counts, batch_words, batch_counts):
    if total_words is not None:
        batch_words, batch_counts = [total_words] + batch_words, [total_counts] + batch_counts
    return sum_duplicate_rows(np.concatenate(batch_words), np.concatenate(batch_counts))

"""``ngram-count -memory SIZE -temp-dir DIR``: counting and estimation in bounded memory.

Pass 1 reads the input (text or count files) a chunk at a time and writes each
chunk's n-gram counts to the temp folder as a run.  Once the vocabulary is
complete the runs are routed to partitions of the word ranks (partition.py),
each partition's pieces are summed, and the partitions are estimated one after
another (or several at once: ``-threads``, ``-dask``); only the vocabulary and
the unigrams are held for the whole run.  The number of partitions and the chunk
size follow from the budget.  A word whose n-grams alone would overflow a
partition is cut again by the word before it (partitioning.py), so that no
partition holds all of the most frequent word's n-grams.

The temp folder ``rnnlm-ngram.PID.XXXXXX`` inside DIR is removed on success, on
error and on SIGINT/SIGTERM; one left by a process that no longer runs (kill -9)
is removed by the next run that uses DIR.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import signal
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from math import ceil

import numpy as np

from ..errors import ConfigError, InputError
from ..textio import UTF8, TextEncoding, line_spans
from .counts import count_file_entries, distinct_ngrams, sentence_id_chunks, write_count_rows
from .arpa import write_arpa
from .partition import PartitionJob, assemble_model, estimate_in_partitions, merge_rows, rows_name
from .partitioning import LoadJob, Partitioning, heavy_words, pair_loads, summed_pair_loads
from .runners import sequential
from .rows import FolderStore, closed_rows, sum_duplicate_rows

# Peak bytes per token while a chunk of text is counted (195 measured) and per n-gram
# row while a partition is estimated (117 measured with tracemalloc), on a 20M-word
# order-5 corpus; per vocabulary word held throughout, 180 measured for the words and
# their ARPA text, rounded up for the per-word arrays (README's figures).
BYTES_PER_TOKEN = 200
BYTES_PER_ROW = 130
BYTES_PER_WORD = 300
MIN_BUDGET = 32 << 20
FOLDER_PREFIX = "rnnlm-ngram."
SIZE_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes in ``text``: a number with an optional K/M/G/T suffix, or a percentage of
    the physical memory (``20%``), as KenLM's lmplz ``-S`` takes it."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([KMGTB%]?)B?\s*", text.upper())
    if not match:
        raise ConfigError(f"-memory {text!r}: give a size such as 800M, 2G or 20%")
    value, unit = float(match.group(1)), match.group(2)
    if unit == "%":
        return int(value / 100 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return int(value * SIZE_UNITS[unit])


def parse_budget(text: str) -> int:
    """``parse_size`` of a -memory option, refused below what one run of counts needs."""
    budget = parse_size(text)
    if budget < MIN_BUDGET:
        raise ConfigError(f"-memory {budget >> 20}M is too small to hold one run of counts: "
                          f"give at least {MIN_BUDGET >> 20}M")
    return budget


@contextmanager
def work_folder(temp_dir: str | None):
    """A private folder inside ``temp_dir`` (default: the system's), removed at the end
    whatever happens; SIGTERM is turned into an exit so that this cleanup runs."""
    parent = temp_dir or tempfile.gettempdir()
    if not os.path.isdir(parent):
        raise ConfigError(f"-temp-dir {parent}: no such folder")
    remove_stale_folders(parent)
    try:
        folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}.", dir=parent)
    except OSError as exc:
        raise ConfigError(f"-temp-dir {parent}: cannot write there ({exc.strerror})") from None
    with _exit_on_sigterm():
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_folders(parent: str):
    """Remove the work folders of processes that no longer run (killed with -9)."""
    pattern = re.compile(rf"{re.escape(FOLDER_PREFIX)}(\d+)\.[A-Za-z0-9_]+")
    for entry in os.listdir(parent):
        match = pattern.fullmatch(entry)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _exit_on_sigterm():
    def leave(number, frame):
        raise SystemExit(128 + number)
    try:
        previous = signal.signal(signal.SIGTERM, leave)
    except ValueError:          # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Runs:
    """Pass 1: the counts of each chunk of input as a run in the store; the unigram
    counts are summed as they come.  Runs counted by Dask workers carry word ids of
    their shard's own vocabulary and the name of the map to the global ids."""

    def __init__(self, store, vocab, order: int, prefix: str = ""):
        self.store, self.vocab, self.order, self.prefix = store, vocab, order, prefix
        self.names: list[str] = []
        self.maps: dict = {}             # run name -> name of its id map (shard runs)
        self.rows = 0
        self.unigram_counts = np.zeros(len(vocab), np.int64)
        self.counted = np.zeros(len(vocab), bool)
        self.load = np.zeros(len(vocab), np.int64)    # rows each word brings its partition

    def add(self, unigrams, higher):
        """One chunk's counts: unigrams (word ids, counts), and ``higher`` yielding
        (k, words, counts) per order 2..N, each stored as it comes."""
        ids, counts = unigrams
        self._grow()
        np.add.at(self.unigram_counts, ids, counts)
        self.counted[ids] = True
        name = f"{self.prefix}run{len(self.names)}"
        for k, words, counts in higher:
            self.store.put(name, **{f"words{k}": words, f"counts{k}": counts})
            self.rows += words.shape[0]
            size_v = len(self.vocab)
            last = words[:, -1]
            self.load += (np.bincount(words[:, -2], minlength=size_v)
                          + np.bincount(last[last != self.vocab.END], minlength=size_v))
        self.names.append(name)

    def _grow(self):
        self.unigram_counts = _grown(self.unigram_counts, len(self.vocab))
        self.counted = _grown(self.counted, len(self.vocab))
        self.load = _grown(self.load, len(self.vocab))

    def count_text(self, path: str, encoding: TextEncoding, chunk_tokens: int, span=None):
        for words, starts in sentence_id_chunks(path, self.vocab, True, encoding, chunk_tokens,
                                                span):
            unigram = np.bincount(words, minlength=len(self.vocab)).astype(np.int64)
            seen = np.flatnonzero(unigram)
            self.add((seen, unigram[seen]), (
                (k, words[ends[:, None] + np.arange(1 - k, 1)], counts)
                for k, _, counts, ends, _ in distinct_ngrams(words, starts, len(self.vocab),
                                                             self.order)))

    def count_text_on_workers(self, path: str, encoding: TextEncoding, chunk_tokens: int,
                              shards: int, run):
        """Count byte spans of a plain text file in parallel, each with its own copy of
        the vocabulary, then map every shard's words to global ids (in shard order,
        so that ids are those of reading the file from the start)."""
        job = ShardJob(self.vocab, self.order, self.store, encoding, chunk_tokens)
        results = run(count_shard, [(job, shard, path, span) for shard, span
                                    in enumerate(line_spans(path, shards))])
        known = len(self.vocab)
        for shard, result in enumerate(results):
            ids = np.array(list(range(known)) + [self.vocab.add(w) for w in result["words"]],
                           dtype=np.int32)
            self._grow()
            self.store.put(f"shard{shard}.map", ids=ids)
            local = self.store.get(f"shard{shard}.unigrams")
            np.add.at(self.unigram_counts, ids[:local["counts"].size], local["counts"])
            np.add.at(self.load, ids[:local["load"].size], local["load"])
            self.counted[ids[:local["counted"].size][local["counted"]]] = True
            self.store.drop(f"shard{shard}.unigrams")
            self.names += result["names"]
            self.maps.update({name: f"shard{shard}.map" for name in result["names"]})
            self.rows += result["rows"]

    def read_counts(self, path: str, limit_vocab: bool, encoding: TextEncoding,
                    chunk_entries: int):
        pending: list[list] = [[] for _ in range(self.order)]
        size = 0
        for key, count in count_file_entries(path, self.vocab, self.order, limit_vocab,
                                             encoding):
            pending[len(key) - 1].append(key + (count,))
            size += 1
            if size >= chunk_entries:
                self._add_entries(pending)
                pending, size = [[] for _ in range(self.order)], 0
        if size:
            self._add_entries(pending)

    def _add_entries(self, pending: list[list]):
        rows = []
        for k, entries in enumerate(pending, 1):
            table = np.array(entries, dtype=np.int64).reshape(-1, k + 1)
            rows.append(sum_duplicate_rows(table[:, :k].astype(np.int32), table[:, k]))
        rows = closed_rows(rows)
        self.add((rows[0][0][:, 0], rows[0][1]),
                 ((k, *rows[k - 1]) for k in range(2, self.order + 1)))

    def partition(self, config, parts: int, run=sequential) -> PartitionJob:
        """Route every run's rows to ``parts`` partitions of the word ranks (balanced by
        the rows each word brings; a heavy word's cut by the word before it, whose
        loads take one more read of the runs) and sum each partition's pieces."""
        self._grow()
        load = self.load + 1
        heavy = heavy_words(load, parts, self.order)
        shares = {}
        if heavy.size:
            job = LoadJob(self.store, self.order, len(self.vocab), heavy)
            run(pair_loads, [(job, name, self.maps.get(name)) for name in self.names])
            shares = summed_pair_loads(job, self.names)
        partitioning = Partitioning.balanced(self.vocab, load, parts, shares)
        self.store.put("unigrams", counts=self.unigram_counts, counted=self.counted)
        job = PartitionJob(self.vocab, self.order, partitioning, config, self.store)
        run(route_run, [(job, name, self.maps.get(name)) for name in self.names])
        run(merge_rows, [(job, p, [f"{name}.{p}" for name in self.names])
                         for p in range(partitioning.parts)])
        return job


@dataclass
class ShardJob:
    """What counting one byte span of the text needs (sent to every Dask worker)."""

    vocab: object          # the vocabulary before counting (-vocab words), copied per shard
    order: int
    store: object
    encoding: TextEncoding
    chunk_tokens: int


def count_shard(job: ShardJob, shard: int, path: str, span) -> dict:
    """Count the lines of one byte span into runs with the shard's own word ids; return
    the words it added, its runs and their rows (its unigram counts go to the store)."""
    vocab = copy.deepcopy(job.vocab)
    known = len(vocab)
    runs = Runs(job.store, vocab, job.order, prefix=f"shard{shard}.")
    runs.count_text(path, job.encoding, job.chunk_tokens, span)
    runs._grow()
    job.store.put(f"shard{shard}.unigrams", counts=runs.unigram_counts, counted=runs.counted,
                  load=runs.load)
    return {"words": vocab.words[known:], "names": runs.names, "rows": runs.rows}


def route_run(job: PartitionJob, name: str, id_map: str | None = None):
    """Split one run into the pieces of every partition (``NAME.P`` in the store),
    mapping a shard's word ids to global ones first."""
    run = job.store.get(name)
    ids = job.store.get(id_map)["ids"] if id_map else None
    pieces = [dict() for _ in range(job.partitioning.parts)]
    for k in range(2, job.order + 1):
        words = run[f"words{k}"] if ids is None else ids[run[f"words{k}"]]
        for p, (part_words, counts) in enumerate(job.partitioning.split(words,
                                                                        run[f"counts{k}"])):
            pieces[p][f"words{k}"], pieces[p][f"counts{k}"] = part_words, counts
    for p, arrays in enumerate(pieces):
        job.store.put(f"{name}.{p}", **arrays)
    job.store.drop(name)


def _grown(values: np.ndarray, size: int) -> np.ndarray:
    if values.size >= size:
        return values
    return np.concatenate([values, np.zeros(size - values.size, values.dtype)])


@dataclass
class Plan:
    """How a budget is spent: tokens of text (or count-file entries) per run, taking
    at most half of it while the vocabulary grows; and n-gram rows per partition,
    about twice its share of the rows (predicted and context rows), after the
    vocabulary's cost (``rows_per_word`` rows per word)."""

    chunk_tokens: int
    chunk_entries: int
    rows_per_part: int
    rows_per_word: float = 0.0

    @classmethod
    def for_budget(cls, budget: int) -> "Plan":
        return cls(chunk_tokens=max(1, budget // (2 * BYTES_PER_TOKEN)),
                   chunk_entries=max(1, budget // (8 * BYTES_PER_ROW)),
                   rows_per_part=max(1, budget // (2 * BYTES_PER_ROW)),
                   rows_per_word=BYTES_PER_WORD / (2 * BYTES_PER_ROW))

    def parts(self, rows: int, vocab_size: int) -> int:
        room = max(self.rows_per_part - int(vocab_size * self.rows_per_word),
                   self.rows_per_part // 4, 1)
        return max(1, ceil(rows / room))


def count_in_partitions(sources: dict, vocab, order: int, config, plan: Plan, store,
                        encoding: TextEncoding = UTF8, run=sequential,
                        workers: int = 0) -> PartitionJob:
    """Count ``sources`` (``text``: a text file; ``read``: count files) a run at a time
    as ``plan`` says, and leave the summed rows of every partition in ``store``.  With
    ``workers`` (``run`` in other processes: -threads, -dask) a plain text file is
    counted in that many byte spans at once, and there are at least that many
    partitions."""
    if run is not sequential and not isinstance(store, FolderStore):
        raise ValueError("stages in other processes exchange arrays through a FolderStore")
    runs = Runs(store, vocab, order)
    text = sources.get("text")
    if text and workers and text != "-" and not text.endswith(".gz"):
        runs.count_text_on_workers(text, encoding, plan.chunk_tokens, workers, run)
    elif text:
        runs.count_text(text, encoding, plan.chunk_tokens)
    for path in sources.get("read", ()):
        runs.read_counts(path, sources.get("limit_vocab", False), encoding, plan.chunk_entries)
    if not runs.names:
        raise InputError(f"{text}: no sentences to count" if text
                         else f"{', '.join(sources['read'])}: no counts")
    return runs.partition(config, max(plan.parts(runs.rows, len(vocab)), workers), run)


def estimate_model(job: PartitionJob, handle, run=sequential, prune=None) -> list[str]:
    """Write the ARPA model of the counted partitions to ``handle``; ``prune(model)``,
    if given, gets the whole estimated model and returns the one to write.  Returns
    the discount warnings; ``job.sizes`` holds the n-grams written per order."""
    if prune is None:
        return estimate_in_partitions(job, handle, run)
    job.keep_model = True
    notes = estimate_in_partitions(job, None, run)
    model = prune(assemble_model(job))
    job.sizes = model.counts()
    write_arpa(model, handle)
    return notes


def estimate_bounded(sources: dict, vocab, order: int, config, plan: Plan, store, handle,
                     encoding: TextEncoding = UTF8, run=sequential, prune=None,
                     workers: int = 0) -> list[str]:
    """``count_in_partitions`` then ``estimate_model``."""
    job = count_in_partitions(sources, vocab, order, config, plan, store, encoding, run,
                              workers)
    return estimate_model(job, handle, run, prune)


def write_counts_partitioned(job: PartitionJob, handle, only_order: int = 0, run=sequential):
    """The SRILM count file of the counted partitions (as ``counts.write_counts``).  The
    file is depth-first, so the n-grams are regrouped (once for every file written)
    by the partition of their first word, whose parts are then written in order."""
    parts = range(job.partitioning.parts)
    if not job.store.has("first0.0"):
        run(_group_by_first_word, [(job, p) for p in parts])
    run(_write_count_part, [(job, q, only_order) for q in parts])
    for q in parts:
        job.store.copy_text(f"counts{q}", handle)
        job.store.drop_text(f"counts{q}")


def _group_by_first_word(job: PartitionJob, part: int):
    rows = job.store.get(rows_name(part))
    pieces = [dict() for _ in range(job.partitioning.parts)]
    for k in range(2, job.order + 1):
        words, counts = rows[f"words{k}"], rows[f"counts{k}"]
        mine = job.partitioning.predicted_part(words) == part
        words, counts = words[mine], counts[mine]
        first = job.partitioning.word_part(words[:, 0])
        for q, piece in enumerate(pieces):
            piece[f"words{k}"], piece[f"counts{k}"] = words[first == q], counts[first == q]
    for q, piece in enumerate(pieces):
        job.store.put(f"first{part}.{q}", **piece)


def _write_count_part(job: PartitionJob, part: int, only_order: int):
    unigram_counts = job.store.get("unigrams")["counts"]
    ids = np.flatnonzero(job.partitioning.word_part(np.arange(unigram_counts.size)) == part)
    words_by_order, counts_by_order = [ids[:, None]], [unigram_counts[ids]]
    pieces = [job.store.get(f"first{p}.{part}") for p in range(job.partitioning.parts)]
    for k in range(2, job.order + 1):
        words_by_order.append(np.concatenate([p[f"words{k}"] for p in pieces]))
        counts_by_order.append(np.concatenate([p[f"counts{k}"] for p in pieces]))
    with job.store.text_writer(f"counts{part}") as handle:
        write_count_rows(handle, job.vocab.words, job.text.ranks, words_by_order,
                         counts_by_order, only_order)

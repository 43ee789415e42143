"""N-gram count tables: counting text, reading and writing SRILM count files.

Stage contract (the first stage of the KenLM-style pipeline):
  input   text (one sentence per line) or an SRILM count file, and a vocabulary
  output  ``NgramCounts``: one ``OrderTable`` per order k = 1..N.

Table layout for order k (all arrays of equal length, sorted by (parent, word)):
  parent  index of the (k-1)-word prefix in table k-1 (0 for unigrams: the root)
  word    last word id
  count   the count (later possibly replaced by Kneser-Ney continuation counts)
  suffix  index of the (k-1)-word suffix in table k-1 (-1 for unigrams)
Unigrams are dense: entry i is word id i, ``counted`` marks words seen in the
counts (the others are vocabulary-only words).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import InputError
from ..kernels.ngram import count_sorted_runs, extend_ids
from ..textio import UTF8, TextEncoding, text_lines
from .vocab import NgramVocab


@dataclass
class OrderTable:
    parent: np.ndarray
    word: np.ndarray
    count: np.ndarray
    suffix: np.ndarray
    counted: Optional[np.ndarray] = None

    def __len__(self):
        return int(self.word.shape[0])

    def child_ranges(self, n_parents: int) -> np.ndarray:
        """offsets (n_parents + 1,): the children of parent c are [off[c], off[c+1])."""
        return np.searchsorted(self.parent, np.arange(n_parents + 1)).astype(np.int64)


@dataclass
class NgramCounts:
    vocab: NgramVocab
    tables: list = field(default_factory=list)   # tables[k-1] holds order k

    @property
    def order(self) -> int:
        return len(self.tables)

    def rows_containing(self, word: int) -> list:
        """Per order, which n-grams contain ``word`` (found along the prefix links)."""
        found = [self.tables[0].word == word]
        for table in self.tables[1:]:
            found.append(found[-1][table.parent] | (table.word == word))
        return found

    def words_of(self, k: int) -> np.ndarray:
        """(n, k) word ids of every n-gram of order k, oldest word first."""
        table = self.tables[k - 1]
        if k == 1:
            return table.word[:, None]
        return np.concatenate([self.words_of(k - 1)[table.parent], table.word[:, None]], axis=1)


def sentences_to_ids(path: str, vocab: NgramVocab, add_words: bool,
                     encoding: TextEncoding = UTF8):
    """Token ids of all non-blank, non-comment lines with <s>/</s>, and sentence starts."""
    for chunk in sentence_id_chunks(path, vocab, add_words, encoding):
        return chunk
    return np.zeros(0, np.int32), np.zeros(0, np.int64)


def sentence_id_chunks(path: str, vocab: NgramVocab, add_words: bool,
                       encoding: TextEncoding = UTF8, chunk_tokens: int = 0, span=None):
    """Yield (token ids, sentence starts) of whole sentences, about ``chunk_tokens``
    tokens at a time (0: all at once); ``span``: only the lines of that byte span."""
    ids, starts = array("i"), array("q")
    plain = not vocab.to_lower and (add_words or vocab.closed) and not vocab.closed
    get = vocab.index.get
    start_id, end_id = vocab.START, vocab.END
    for _, line in text_lines(path, encoding, span):
        words = line.split()
        if not words or words[0].startswith("##"):
            continue
        if chunk_tokens and len(ids) >= chunk_tokens:
            yield _id_arrays(ids, starts)
            ids, starts = array("i"), array("q")
        starts.append(len(ids))
        if not plain:
            ids.extend(vocab.sentence_ids(words, add_words))
            continue
        mapped = [get(w) for w in words]
        if None in mapped:
            mapped = [vocab.add(w) if m is None else m for w, m in zip(words, mapped)]
        if mapped[0] != start_id:
            ids.append(start_id)
        ids.extend(mapped)
        if mapped[-1] != end_id:
            ids.append(end_id)
    if len(ids):
        yield _id_arrays(ids, starts)


def _id_arrays(ids: array, starts: array):
    return np.frombuffer(ids, dtype=np.int32).copy(), np.frombuffer(starts, dtype=np.int64).copy()


def count_text(path: str, vocab: NgramVocab, order: int,
               encoding: TextEncoding = UTF8) -> NgramCounts:
    """Count every n-gram of orders 1..order inside each <s> ... </s> sentence."""
    words, starts = sentences_to_ids(path, vocab, add_words=True, encoding=encoding)
    if words.size == 0:
        raise InputError(f"{path}: no sentences to count")
    return NgramCounts(vocab, count_ids(words, starts, len(vocab), order))


def count_ids(words: np.ndarray, starts: np.ndarray, size_v: int, order: int) -> list:
    """The count tables of orders 1..order of sentences given as token ids (int32) and
    the offsets where sentences start."""
    unigram_counts = np.bincount(words, minlength=size_v).astype(np.int64)
    tables = [_unigram_table(unigram_counts, unigram_counts > 0)]
    for k, unique, counts, first_position, ids in distinct_ngrams(words, starts, size_v,
                                                                  order):
        tables.append(OrderTable(parent=unique // size_v, word=(unique % size_v).astype(np.int32),
                                 count=counts, suffix=ids[first_position]))
    return tables


def distinct_ngrams(words: np.ndarray, starts: np.ndarray, size_v: int, order: int):
    """Per order k = 2..order, yield (k, keys, counts, first position, ids): the distinct
    k-grams as sorted keys prefix_index * V + word, their counts, the position where
    one of them ends, and ids[p], the index of the (k-1)-gram ending at p (-1: none)."""
    lengths = np.diff(np.append(starts, words.size))
    sentence_start = np.repeat(starts, lengths)
    ids = words.astype(np.int64)
    keys = np.empty(words.size, dtype=np.int64)
    for k in range(2, order + 1):
        extend_ids(ids, words, sentence_start, k, size_v, keys)
        positions = np.flatnonzero(keys >= 0)
        sort = np.argsort(keys[positions])   # any occurrence serves as the first
        unique, counts, run_of = count_sorted_runs(keys[positions][sort])
        first_position = positions[sort][np.r_[0, np.flatnonzero(np.diff(run_of)) + 1]] \
            if unique.size else positions[:0]
        yield k, unique, counts, first_position, ids
        next_ids = np.full(words.size, -1, dtype=np.int64)
        next_ids[positions[sort]] = run_of
        ids = next_ids


def _unigram_table(counts: np.ndarray, counted: np.ndarray) -> OrderTable:
    size_v = counts.shape[0]
    return OrderTable(parent=np.zeros(size_v, np.int64), word=np.arange(size_v, dtype=np.int32),
                      count=counts, suffix=np.full(size_v, -1, np.int64), counted=counted)


def read_counts(paths, vocab: NgramVocab, order: int, limit_vocab: bool = False,
                encoding: TextEncoding = UTF8) -> NgramCounts:
    """Read SRILM count files (``w1 ... wn<TAB>count``; repeats, also across files, are
    summed); ``paths`` is one path or a list.

    N-grams longer than ``order`` are ignored.  With ``limit_vocab`` n-grams
    containing words outside a closed vocabulary are dropped instead of mapped
    to the unknown word.  Missing prefixes and suffixes are added with count 0
    so that every table links to the one below.
    """
    paths = [paths] if isinstance(paths, str) else list(paths)
    by_order: list[dict] = [dict() for _ in range(order)]
    for path in paths:
        for key, count in count_file_entries(path, vocab, order, limit_vocab, encoding):
            table = by_order[len(key) - 1]
            table[key] = table.get(key, 0) + count
    for k in range(order - 1, 0, -1):   # close under prefixes and suffixes
        for key in list(by_order[k]):
            for part in (key[:-1], key[1:]):
                by_order[k - 1].setdefault(part, 0)
    if not any(by_order):
        raise InputError(f"{', '.join(paths)}: no counts")
    size_v = len(vocab)
    unigram_counts = np.zeros(size_v, np.int64)
    counted = np.zeros(size_v, bool)
    for (w,), c in by_order[0].items():
        unigram_counts[w] += c
        counted[w] = True
    tables = [_unigram_table(unigram_counts, counted)]
    index_of = {(w,): w for w in range(size_v)}
    for k in range(2, order + 1):
        entries = sorted((index_of[key[:-1]] * size_v + key[-1], key, c)
                         for key, c in by_order[k - 1].items())
        packed = np.array([e[0] for e in entries], dtype=np.int64)
        tables.append(OrderTable(
            parent=packed // size_v, word=(packed % size_v).astype(np.int32),
            count=np.array([e[2] for e in entries], dtype=np.int64),
            suffix=np.array([index_of[e[1][1:]] for e in entries], dtype=np.int64)))
        index_of = {e[1]: i for i, e in enumerate(entries)}
    return NgramCounts(vocab, tables)


def count_file_entries(path: str, vocab: NgramVocab, order: int, limit_vocab: bool = False,
                       encoding: TextEncoding = UTF8):
    """Yield (word ids, count) of the lines of an SRILM count file, n-grams up to ``order``."""
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise InputError(f"{path}:{number}: count line needs words and a count")
        try:
            count = int(fields[-1])
        except ValueError:
            raise InputError(f"{path}:{number}: bad count {fields[-1]!r}") from None
        words = fields[:-1]
        if len(words) > order:
            continue
        if limit_vocab and vocab.closed and any(vocab.normalise(w) not in vocab.index for w in words):
            continue
        yield tuple(vocab.id_of(w) for w in words), count


def dfs_order(words_by_order: list, ranks: np.ndarray):
    """Concatenated (order, index) of all n-grams in depth-first, word-sorted order."""
    order = len(words_by_order)
    rows, which, where = [], [], []
    for k in range(1, order + 1):
        path = np.full((words_by_order[k - 1].shape[0], order), -1, dtype=np.int64)
        path[:, :k] = ranks[words_by_order[k - 1]]
        rows.append(path)
        which.append(np.full(path.shape[0], k, np.int8))
        where.append(np.arange(path.shape[0]))
    paths = np.concatenate(rows)
    sort = np.lexsort(paths.T[::-1])
    return np.concatenate(which)[sort], np.concatenate(where)[sort]


def write_counts(counts: NgramCounts, handle, only_order: int = 0):
    """SRILM count file: depth-first over the n-gram trie, words sorted at every level.

    ``only_order`` > 0 writes that order alone.  Counts of zero (prefix fillers)
    and vocabulary-only unigrams are not written.
    """
    write_count_rows(handle, counts.vocab.words, counts.vocab.byte_order_ranks(),
                     [counts.words_of(k) for k in range(1, counts.order + 1)],
                     [table.count for table in counts.tables], only_order)


def write_count_rows(handle, names: list[str], ranks: np.ndarray, words_by_order: list,
                     counts_by_order: list, only_order: int = 0):
    """``write_counts`` for n-grams given as word rows and counts per order 1..N."""
    which, where = dfs_order(words_by_order, ranks)
    lines = []
    for k, i in zip(which.tolist(), where.tolist()):
        if only_order and k != only_order:
            continue
        count = int(counts_by_order[k - 1][i])
        if count == 0:
            continue
        text = " ".join(names[w] for w in words_by_order[k - 1][i].tolist())
        lines.append(f"{text}\t{count}\n")
    handle.write("".join(lines))

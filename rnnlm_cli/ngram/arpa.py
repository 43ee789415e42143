"""ARPA backoff model files: reading (SRILM and KenLM dialects) and writing (SRILM's).

Written like SRILM's ngram-count: a leading blank line, ``\\data\\`` counts,
one section per order with ``log10p<TAB>words[<TAB>log10bow]`` (bow only on
backoff contexts, never on the highest order), numbers as ``%.7g`` of the
float32 value, log 0 as ``-99``; entries ordered by their context read from the
most recent word backwards, then by word (byte order), as SRILM's trie prints
them.  Reading accepts any whitespace, bows on every line (KenLM), ``-99``
or ``-inf`` for log 0, and reports the line of any malformed entry.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..kernels.arpa import OK as SCAN_OK, scan_section, write_ngram_lines
from ..signature import digest_bytes
from ..textio import UTF8, TextEncoding, decode_bytes, read_all_bytes
from .model import BackoffModel, OrderTable
from .vocab import NgramVocab

F32 = np.float32


def words_matrix(model: BackoffModel, k: int, rows: np.ndarray) -> np.ndarray:
    """(len(rows), k) word ids of the given k-gram rows, oldest word first."""
    words = np.empty((np.size(rows), k), np.int64)
    for j in range(k, 0, -1):      # up the prefix links, newest word first
        table = model.tables[j - 1]
        words[:, j - 1] = table.word[rows]
        if j > 1:
            rows = table.parent[rows]
    return words


def write_arpa(model: BackoffModel, handle):
    """Write ``model`` to a text handle in SRILM's ARPA layout."""
    text = ArpaText(model.vocab)
    present = [np.flatnonzero(~np.isnan(t.logp)) for t in model.tables]
    handle.write(arpa_header([rows.size for rows in present]))
    backwards = text.ranks      # rank of each row's words read from the last one back
    for k, rows in enumerate(present, 1):
        table = model.tables[k - 1]
        if k > 1:    # SRILM's order: the context read backwards, then the word
            rank = backwards[table.parent] * len(text.ranks) + text.ranks[table.word]
            backwards = _dense_ranks(text.ranks[table.word] * len(backwards)
                                     + backwards[table.parent])
        else:
            rank = text.ranks
        rows = rows[np.argsort(rank[rows])]      # distinct keys: any sort will do
        words = words_matrix(model, k, rows)
        handle.write(f"\n\\{k}-grams:\n")
        text.write_lines(handle, table.logp[rows], table.bow[rows],
                         table.node[rows] & (k < model.order), words)
    handle.write(ARPA_END)


ARPA_END = "\n\\end\\\n"


def _dense_ranks(keys: np.ndarray) -> np.ndarray:
    """The position of each (distinct) key in sorted order."""
    ranks = np.empty(keys.size, np.int64)
    ranks[np.argsort(keys)] = np.arange(keys.size)
    return ranks


def _bows(values: np.ndarray) -> np.ndarray:
    """Backoff weights as read (NaN: none written) in float32, 0 where none; a weight of
    log 0 stays -inf (nan_to_num would make it the largest double, which float32
    cannot hold)."""
    return np.where(np.isnan(values), 0.0, values).astype(F32)


def arpa_header(counts: list[int]) -> str:
    """The leading blank line and the ``\\data\\`` section with the n-gram counts."""
    return "\n\\data\\\n" + "".join(f"ngram {k}={n}\n" for k, n in enumerate(counts, 1))


class ArpaText:
    """The vocabulary as the line writer needs it: UTF-8 bytes and byte-order ranks."""

    CHUNK = 200_000      # lines formatted at once: bounded memory per chunk

    def __init__(self, vocab: NgramVocab, ranks: np.ndarray | None = None):
        words = vocab.words
        self.ranks = vocab.byte_order_ranks() if ranks is None else ranks
        encoded = [w.encode("utf-8") for w in words]
        self.word_bytes = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.word_start = np.concatenate([[0], np.cumsum([len(b) for b in encoded])]).astype(
            np.int64)

    def section_order(self, words: np.ndarray) -> np.ndarray:
        """SRILM's order of a section's (n, k) word rows: by the context read from the
        most recent word backwards, then by the word (byte order)."""
        k = words.shape[1]
        return np.lexsort([self.ranks[words[:, -1]]]
                          + [self.ranks[words[:, j]] for j in range(k - 1)])

    def write_lines(self, handle, logp, bow, has_bow, words):
        """``log10p<TAB>words[<TAB>log10bow]`` lines of rows already in section order."""
        for start in range(0, words.shape[0], self.CHUNK):
            part = slice(start, start + self.CHUNK)
            handle.write(_lines(logp[part], bow[part], has_bow[part], words[part],
                                self.word_bytes, self.word_start))


def _lines(probs, bows, has_bow, words, word_bytes, word_start) -> str:
    """The lines, formatted by the kernel; the rare values whose %.7g it cannot decide
    (near-ties) are formatted here as the kernel meets them."""
    probs, bows = probs.astype(np.float64), bows.astype(np.float64)
    longest = int(np.max(np.diff(word_start))) if word_start.size > 1 else 1
    out = np.empty(probs.size * (2 * 16 + 3 + words.shape[1] * (longest + 1)), dtype=np.uint8)
    hard: dict = {}
    pos, row = 0, 0
    while True:
        values = sorted(hard)
        texts = [hard[v] for v in values]
        pos, row = write_ngram_lines(
            out, pos, row, probs, bows, has_bow, words, word_bytes, word_start,
            np.array(values, np.float64), np.frombuffer(b"".join(texts) or b" ", np.uint8),
            np.concatenate([[0], np.cumsum([len(t) for t in texts])]).astype(np.int64))
        if row < 0:
            return out[:pos].tobytes().decode("utf-8")
        for value in (probs[row], bows[row]) if has_bow[row] else (probs[row],):
            hard[float(value)] = ("%.7g" % value).encode()


def read_arpa(path: str, order: int = 0, unk_is_word: bool = False,
              encoding: TextEncoding = UTF8) -> BackoffModel:
    """Read an ARPA file (``-`` = stdin, ``.gz`` allowed); keep orders up to ``order``.

    N-gram lines are scanned by a Numba kernel over the raw bytes; words are
    matched by 64-bit hashes (kernels/arpa.py) and only the unigram words are
    decoded into the vocabulary.
    """
    data = read_all_bytes(path)
    start = data.find(b"\\data\\")
    if start < 0:
        raise InputError(f"{path}: not an ARPA file (no \\data\\ section)")
    end = data.find(b"\n\\end\\", start)
    if end < 0:
        raise InputError(f"{path}: truncated ARPA file (no \\end\\)")
    declared, sections = _sections(data, start, end, path)
    top = max(declared) if not order else min(order, max(declared))
    buf = np.frombuffer(data, dtype=np.uint8)
    vocab = NgramVocab(unk_is_word=unk_is_word)
    tables: list[OrderTable] = []
    below = None           # (sorted full hashes, table rows) of the order below
    word_index = None      # (sorted word hashes, word ids)
    for k in range(1, top + 1):
        first_line, lo, hi = sections.get(k, (0, 0, 0))
        lines = _scan(data, buf, lo, hi, k, first_line, path)
        if k == 1:
            table, below, word_index = _unigrams(vocab, data, lines, top, path, encoding)
        else:
            table, below, word_index = _higher(vocab, tables[-1], below, word_index, data,
                                               lines, k, top, encoding)
        tables.append(table)
    return BackoffModel(vocab, tables, digest_bytes(data))


def _sections(data: bytes, start: int, end: int, path: str):
    """Header counts and, per order, (first line number, byte range) of its n-grams."""
    def line_at(offset):
        return data.count(b"\n", 0, offset) + 1

    header_end = data.find(b"\n\\", start + 6)
    declared = {}
    for raw in data[start + 6:header_end if 0 <= header_end < end else end].split(b"\n"):
        raw = raw.strip()
        if not raw:
            continue
        k, _, n = raw[6:].partition(b"=") if raw.startswith(b"ngram ") else (b"", b"", b"")
        try:
            declared[int(k)] = int(n)
        except ValueError:
            raise InputError(f"{path}:{line_at(data.find(raw, start))}: expected 'ngram N=count' "
                             f"in the ARPA header, found {raw[:40].decode('utf-8', 'replace')!r}"
                             ) from None
    if not declared:
        raise InputError(f"{path}: the ARPA header declares no n-grams")
    sections = {}
    position = header_end if 0 <= header_end < end else -1
    while position >= 0:
        head_end = data.find(b"\n", position + 1)
        header = data[position + 1:head_end].strip()
        try:
            if not (header.startswith(b"\\") and header.endswith(b"-grams:")):
                raise ValueError
            k = int(header[1:-len(b"-grams:")])
        except ValueError:
            raise InputError(f"{path}:{line_at(position + 1)}: expected a section header like "
                             f"\\2-grams:, found {header[:40].decode('utf-8', 'replace')!r}"
                             ) from None
        if k not in declared:
            raise InputError(f"{path}:{line_at(position + 1)}: section {k}-grams is not "
                             "declared in the header")
        following = data.find(b"\n\\", head_end)
        following = end if following < 0 or following > end else following
        sections[k] = (line_at(head_end + 1), head_end + 1, following)
        position = following if following < end else -1
    return declared, sections


@dataclass
class _Lines:
    probs: np.ndarray
    bows: np.ndarray
    context: np.ndarray
    word: np.ndarray
    full: np.ndarray
    line: np.ndarray
    offset: np.ndarray


def _scan(data, buf, lo, hi, k, first_line, path) -> _Lines:
    n = data.count(b"\n", lo, hi) + 1
    out = _Lines(np.empty(n), np.empty(n), np.empty(n, np.uint64), np.empty(n, np.uint64),
                 np.empty(n, np.uint64), np.empty(n, np.int64), np.empty(n, np.int64))
    exact = np.empty(n, np.int64)
    rows, status, bad_line = scan_section(buf, lo, hi, k, first_line, out.probs, out.bows, exact,
                                          out.context, out.word, out.full, out.line, out.offset)
    if status != SCAN_OK:
        raise InputError(f"{path}:{bad_line}: a {k}-gram line needs a probability, {k} words "
                         "and an optional backoff weight")
    for name in vars(out):
        setattr(out, name, getattr(out, name)[:rows])
    exact = exact[:rows]
    for row in np.flatnonzero(exact != 3).tolist():   # numbers the fast parser left to us
        fields = data[out.offset[row]:data.find(b"\n", out.offset[row])].split()
        out.probs[row] = _number(fields[0], path, out.line[row], "probability")
        if len(fields) == k + 2:
            out.bows[row] = _number(fields[k + 1], path, out.line[row], "backoff weight")
    for values in (out.probs, out.bows):
        values[values == -99.0] = -np.inf
    return out


def _number(text: bytes, path, line, what) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{path}:{line}: bad {what} {text.decode('utf-8', 'replace')!r} "
                         "in ARPA file") from None


def _line_words(data: bytes, offset: int, path, line, encoding) -> list[str]:
    return decode_bytes(data[offset:data.find(b"\n", offset)], path, line, encoding).split()


def _unigrams(vocab, data, lines: _Lines, top, path, encoding):
    ids = np.array([vocab.add(_line_words(data, o, path, n, encoding)[1])
                    for o, n in zip(lines.offset.tolist(), lines.line.tolist())], dtype=np.int64)
    size_v = len(vocab)
    table = OrderTable(parent=np.zeros(size_v, np.int64), word=np.arange(size_v),
                       logp=np.full(size_v, np.nan, F32), bow=np.zeros(size_v, F32),
                       node=np.zeros(size_v, bool))
    table.logp[ids] = lines.probs.astype(F32)
    table.bow[ids] = _bows(lines.bows)
    table.node[ids] = ~np.isnan(lines.bows) & (top > 1)
    sort = np.argsort(lines.full)
    words = np.argsort(lines.word)
    return table, (lines.full[sort], ids[sort]), (lines.word[words], ids[words])


def _lookup(sorted_keys, values, keys):
    """values of keys found in sorted_keys, and which were found."""
    if sorted_keys.size == 0:
        return np.zeros(keys.size, np.int64), np.zeros(keys.size, bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return values[at], sorted_keys[at] == keys


def _higher(vocab, lower: OrderTable, below, word_index, data, lines: _Lines, k, top,
            encoding):
    """Order-k table sorted by (prefix row, word); n-grams whose prefix is absent are dropped."""
    parent, found = _lookup(*below, lines.context)          # SRILM drops the others
    word, known = _lookup(*word_index, lines.word)
    if not known.all():                                     # words not among the unigrams
        for row in np.flatnonzero(~known).tolist():
            word[row] = vocab.add(_line_words(data, lines.offset[row], "", 0, encoding)[k])
        word_hashes = np.concatenate([word_index[0], lines.word[~known]])
        word_ids = np.concatenate([word_index[1], word[~known]])
        sort = np.argsort(word_hashes)
        word_index = (word_hashes[sort], word_ids[sort])
    size_v = len(vocab)
    rows = np.flatnonzero(found)
    keys = parent[rows] * size_v + word[rows]
    sort = np.argsort(keys, kind="stable")
    last = np.r_[keys[sort][1:] != keys[sort][:-1], True]   # a repeated n-gram: the last one wins
    kept = rows[sort[last]]
    table = OrderTable(parent=parent[kept], word=word[kept], logp=lines.probs[kept].astype(F32),
                       bow=_bows(lines.bows[kept]),
                       node=~np.isnan(lines.bows[kept]) & (k < top))
    lower.node[table.parent] = True   # a prefix is a context
    full_sort = np.argsort(lines.full[kept])
    return table, (lines.full[kept][full_sort], full_sort), word_index


def load_arpa(path: str, order: int = 0, unk: bool = False) -> BackoffModel:
    """Load an ARPA model for scoring (Python API); ``order`` 0 keeps all orders."""
    return read_arpa(path, order, unk)

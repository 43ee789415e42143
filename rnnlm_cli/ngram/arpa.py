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

import numpy as np

from ..errors import InputError
from ..textio import text_lines
from .model import BackoffModel, OrderTable
from .vocab import NgramVocab

F32 = np.float32
LOG_ZERO_TEXT = "-99"


def format_logp(value: float) -> str:
    return LOG_ZERO_TEXT if value == -np.inf else "%.7g" % value


def words_matrix(model: BackoffModel, k: int, rows: np.ndarray) -> np.ndarray:
    """(len(rows), k) word ids of the given k-gram rows, oldest word first."""
    table = model.tables[k - 1]
    if k == 1:
        return table.word[rows][:, None]
    return np.concatenate([words_matrix(model, k - 1, table.parent[rows]),
                           table.word[rows][:, None]], axis=1)


def write_arpa(model: BackoffModel, handle):
    """Write ``model`` to a text handle in SRILM's ARPA layout."""
    vocab = model.vocab
    ranks = np.argsort(np.argsort(np.array(vocab.words, dtype=object))).astype(np.int64)
    present = [np.flatnonzero(~np.isnan(t.logp)) for t in model.tables]
    out = ["\n\\data\\\n"] + [f"ngram {k}={rows.size}\n" for k, rows in enumerate(present, 1)]
    for k, rows in enumerate(present, 1):
        out.append(f"\n\\{k}-grams:\n")
        words = words_matrix(model, k, rows)
        sort_keys = [ranks[words[:, -1]]] + [ranks[words[:, j]] for j in range(k - 1)]
        rows, words = rows[np.lexsort(sort_keys)], words[np.lexsort(sort_keys)]
        table = model.tables[k - 1]
        with_bow = table.node[rows] & (k < model.order)
        names = vocab.words
        for row, ids, bow_here in zip(rows.tolist(), words.tolist(), with_bow.tolist()):
            line = format_logp(float(table.logp[row])) + "\t" + " ".join(names[i] for i in ids)
            if bow_here:
                line += "\t" + format_logp(float(table.bow[row]))
            out.append(line + "\n")
    out.append("\n\\end\\\n")
    handle.write("".join(out))


def _parse_float(text: str, path: str, number: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}:{number}: bad {what} {text!r} in ARPA file") from None
    return -np.inf if value == -99.0 else value


def read_arpa(path: str, order: int = 0, unk_is_word: bool = False) -> BackoffModel:
    """Read an ARPA file (``-`` = stdin, ``.gz`` allowed); keep orders up to ``order``."""
    vocab = NgramVocab(unk_is_word=unk_is_word)
    declared: dict[int, int] = {}
    entries: dict[int, tuple[list, list, list]] = {}
    state, finished = -1, False
    for number, line in text_lines(path):
        text = line.strip()
        if state == -1:
            if text.startswith("\\data\\"):
                state = 0
            continue
        if not text:
            continue
        if text.startswith("\\end\\"):
            finished = True
            break
        if text.startswith("\\") and text.endswith("-grams:"):
            try:
                state = int(text[1:-len("-grams:")])
            except ValueError:
                raise InputError(f"{path}:{number}: bad section header {text!r}") from None
            if state not in declared:
                raise InputError(f"{path}:{number}: section {state}-grams not in the header")
            entries[state] = ([], [], [])
            continue
        if state == 0:
            if not text.startswith("ngram ") or "=" not in text:
                raise InputError(f"{path}:{number}: expected 'ngram N=count' in ARPA header")
            k, _, n = text[6:].partition("=")
            try:
                declared[int(k)] = int(n)
            except ValueError:
                raise InputError(f"{path}:{number}: bad ARPA header line {text!r}") from None
            continue
        if order and state > order:
            continue
        fields = text.split()
        if len(fields) not in (state + 1, state + 2):
            raise InputError(f"{path}:{number}: {state}-gram line has {len(fields)} fields "
                             f"({state + 1} or {state + 2} expected)")
        ids, probs, bows = entries[state]
        probs.append(_parse_float(fields[0], path, number, "probability"))
        ids.append([vocab.add(w) for w in fields[1:state + 1]])
        bows.append(_parse_float(fields[state + 1], path, number, "backoff weight")
                    if len(fields) == state + 2 else np.nan)
    if state == -1:
        raise InputError(f"{path}: not an ARPA file (no \\data\\ section)")
    if not finished:
        raise InputError(f"{path}: truncated ARPA file (no \\end\\)")
    top = max(declared) if not order else min(order, max(declared))
    return _build(vocab, entries, top)


def _build(vocab: NgramVocab, entries: dict, top: int) -> BackoffModel:
    size_v = len(vocab)
    tables: list[OrderTable] = []
    model = BackoffModel(vocab, [])
    for k in range(1, top + 1):
        ids, probs, bows = entries.get(k, ([], [], []))
        words = np.array(ids, dtype=np.int64).reshape(-1, k)
        probs = np.array(probs, dtype=F32)
        bows = np.array(bows, dtype=F32)
        if k == 1:
            table = OrderTable(parent=np.zeros(size_v, np.int64), word=np.arange(size_v),
                               logp=np.full(size_v, np.nan, F32), bow=np.zeros(size_v, F32),
                               node=np.zeros(size_v, bool))
            table.logp[words[:, 0]] = probs
            table.bow[words[:, 0]] = np.nan_to_num(bows, nan=0.0)
            table.node[words[:, 0]] = ~np.isnan(bows) & (k < top)
        else:
            parent = _prefix_ids(model, words)
            keep = parent >= 0
            keys = parent[keep] * size_v + words[keep, -1]
            order_ = np.argsort(keys, kind="stable")
            keys = keys[order_]
            last = np.r_[keys[1:] != keys[:-1], True]   # a repeated n-gram: the last one wins
            select = np.flatnonzero(keep)[order_][last]
            table = OrderTable(parent=parent[select], word=words[select, -1],
                               logp=probs[select], bow=np.nan_to_num(bows[select], nan=0.0),
                               node=~np.isnan(bows[select]) & (k < top))
            tables[k - 2].node[table.parent] = True   # a prefix is a context
        tables.append(table)
        model = BackoffModel(vocab, tables)
    return model


def _prefix_ids(model: BackoffModel, words: np.ndarray) -> np.ndarray:
    parent = model.find(1, None, words[:, 0])
    for j in range(1, words.shape[1] - 1):
        parent = model.find(j + 1, parent, words[:, j])
    return parent


def load_arpa(path: str, order: int = 0, unk: bool = False) -> BackoffModel:
    """Load an ARPA model for scoring (Python API); ``order`` 0 keeps all orders."""
    return read_arpa(path, order, unk)

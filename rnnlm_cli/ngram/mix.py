"""Static interpolation of two backoff models into one (SRILM's ``ngram -lm A -mix-lm B
-lambda L -write-lm OUT``), for decoders that take a single ARPA file.

The mixed model holds every n-gram explicit in either model, with

    P(w | h) = L P_A(w | h) + (1 - L) P_B(w | h)

where each side's probability is its backoff estimate when the n-gram is not its
own (0 for a word it does not know).  The backoff weights are then recomputed so
that every context's distribution sums to one again, shorter contexts first, as
pruning recomputes them (prune.py).  A context without explicit n-grams backs off
to the mixture of the two models' backoffs only approximately, which is why the
static mixture's perplexity differs a little from word-by-word interpolation.
"""
from __future__ import annotations

import numpy as np

from ..signature import digest_bytes
from ..textio import UTF8, TextEncoding
from .discount import PROB_EPSILON
from .estimate import spread_unigram_leftover
from .model import BackoffModel, OrderTable
from .prune import recomputed_weights
from .rows import find_rows, row_keys, sum_duplicate_rows
from .vocab import NgramVocab

F32 = np.float32


def mix_files(main: str, other: str, weight: float, target: str, order: int = 0,
              unk: bool = False, encoding: TextEncoding = UTF8):
    """Mix the ARPA models ``main`` (weight ``weight``) and ``other``, orders up to
    ``order`` (0: all), and write the result to ``target`` ('-': stdout; atomically)."""
    from ..fileio import text_output
    from .arpa import read_arpa, write_arpa
    model = mix(read_arpa(main, order, unk, encoding), read_arpa(other, order, unk, encoding),
                weight)
    with text_output(target, encoding) as handle:
        write_arpa(model, handle)


def mix(main: BackoffModel, other: BackoffModel, weight: float) -> BackoffModel:
    """The static mixture of two models (``weight`` on ``main``), over both vocabularies."""
    vocab = NgramVocab(unk_is_word=main.vocab.unk_is_word, unk_token=main.vocab.words[
        NgramVocab.UNK])
    ids = [np.array([vocab.add(w) for w in m.vocab.words], np.int64) for m in (main, other)]
    size_v = len(vocab)
    in_vocab = [np.full(size_v, -1, np.int64) for _ in ids]   # mixture id -> model's id
    for back, forward in zip(in_vocab, ids):
        back[forward] = np.arange(forward.size)
    grams = [_union(k, [(m, i) for m, i in zip((main, other), ids) if k <= m.order])
             for k in range(1, max(main.order, other.order) + 1)]
    tables = []
    for k, words in enumerate(grams, 1):
        logp = _mixed_logp(main, other, in_vocab, words, weight)
        if k == 1:
            full = np.full(size_v, np.nan, F32)
            full[words[:, 0]] = logp
            spread_unigram_leftover(full, ~vocab.nonevent_mask(), PROB_EPSILON)
            tables.append(OrderTable(np.zeros(size_v, np.int64), np.arange(size_v),
                                     full, np.zeros(size_v, F32), np.zeros(size_v, bool)))
            continue
        parent = (words[:, 0].astype(np.int64) if k == 2
                  else find_rows(row_keys(grams[k - 2]), row_keys(words[:, :-1])))
        tables.append(OrderTable(parent, words[:, -1].astype(np.int64), logp,
                                 np.zeros(len(words), F32), np.zeros(len(words), bool)))
    _mark_context_nodes(tables, grams)
    digest = digest_bytes(f"{main.digest}|{other.digest}|{weight!r}".encode())
    return recomputed_weights(BackoffModel(vocab, tables, digest))


def _union(k: int, models: list) -> np.ndarray:
    """(n, k) mixture word ids of the k-grams explicit in either model, sorted."""
    from .arpa import words_matrix
    pieces = []
    for model, ids in models:
        rows = np.flatnonzero(~np.isnan(model.tables[k - 1].logp))
        pieces.append(ids[words_matrix(model, k, rows)].astype(np.int32))
    words = np.concatenate(pieces)
    if k == 1:
        return np.unique(words[:, 0])[:, None].astype(np.int32)
    return sum_duplicate_rows(words, np.zeros(len(words), np.int64))[0]


def _mixed_logp(main, other, in_vocab, words: np.ndarray, weight: float) -> np.ndarray:
    """log10 (weight P_main + (1 - weight) P_other) of each row's last word given the
    words before it, each probability the model's backoff estimate, in float32."""
    probs = []
    for model, back in zip((main, other), in_vocab):
        logp = model.backoff_logp(back[words])
        probs.append(np.power(10.0, logp.astype(np.float64)))
    with np.errstate(divide="ignore"):
        return np.log10(weight * probs[0] + (1.0 - weight) * probs[1]).astype(F32)


def _mark_context_nodes(tables: list[OrderTable], grams: list[np.ndarray]):
    """The contexts of the n-grams are backoff nodes, and so are the nodes' suffixes
    (the nodes of SRILM's context trie, whose weights are written even when 0),
    longest first."""
    for k in range(len(tables), 1, -1):
        tables[k - 2].node[tables[k - 1].parent] = True
        if k > 2:
            nodes = grams[k - 2][tables[k - 2].node]
            suffix = find_rows(row_keys(grams[k - 3]), row_keys(nodes[:, 1:]))
            suffix = suffix[suffix >= 0]
            tables[k - 3].node[grams[0][suffix, 0] if k == 3 else suffix] = True

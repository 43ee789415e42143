"""A backoff n-gram model in arrays, and SRILM's backoff lookup over it.

Order k is a table sorted by key = parent * V + word, where parent indexes the
(k-1)-word prefix in table k-1 (unigrams: parent 0, dense over word ids).
Per entry: log10 probability (NaN: absent, -inf: probability 0), whether it
is a backoff context ("node"), and its log10 backoff weight.

Lookup of p(w | h) follows SRILM: walk the contexts h1, h2 h1, ... (most
recent word first) while they exist as nodes, remember the longest context
with an explicit p(w | context), and add the backoff weights of the longer
contexts walked, in float32 like SRILM's LogP arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .vocab import NgramVocab

F32 = np.float32


@dataclass
class OrderTable:
    parent: np.ndarray   # int64
    word: np.ndarray     # int64
    logp: np.ndarray     # float32
    bow: np.ndarray      # float32
    node: np.ndarray     # bool

    def __len__(self):
        return int(self.word.shape[0])


class BackoffModel:
    def __init__(self, vocab: NgramVocab, tables: list[OrderTable], digest: str = ""):
        self.vocab, self.tables = vocab, tables
        self.digest = digest    # of the ARPA text it was read from (perplexity signatures)
        self.size_v = len(vocab)
        self.keys = [t.parent * self.size_v + t.word for t in tables]

    @property
    def order(self) -> int:
        return len(self.tables)

    def has_unknown_word_probability(self) -> bool:
        value = self.tables[0].logp[self.vocab.UNK]
        return bool(value == value and value > -np.inf)

    def counts(self) -> list[int]:
        return [int(np.count_nonzero(~np.isnan(t.logp))) for t in self.tables]

    def find(self, k: int, parent: np.ndarray, word: np.ndarray) -> np.ndarray:
        """Index of the k-gram (parent, word) in table k, or -1 (vectorised)."""
        if k == 1:
            ok = (word >= 0) & (word < self.size_v)
            return np.where(ok, word, -1)
        keys = self.keys[k - 1]
        query = parent * self.size_v + word
        at = np.searchsorted(keys, query)
        at_c = np.minimum(at, max(keys.size - 1, 0))
        hit = (parent >= 0) & (word >= 0) & (keys.size > 0) & (keys[at_c] == query)
        return np.where(hit, at_c, -1)

    def backoff_logp(self, words: np.ndarray) -> np.ndarray:
        """log10 P(last word | the words before it) of each row (model ids, -1: a word the
        model does not know, probability 0)."""
        contexts = []
        for j in range(1, min(words.shape[1], self.order)):   # the last j words before it
            context = self.find(1, None, words[:, -1 - j])
            for i in range(-j, -1):
                context = self.find(i + j + 2, context, words[:, i])
            contexts.append(context)
        return backoff_walk(self.tables, self.find, contexts, words[:, -1])[0]

    def score_positions(self, words: np.ndarray, sentence_start: np.ndarray, order: int = 0):
        """log10 p and matched n-gram length for every position after a sentence start.

        ``words`` holds ids of concatenated ``<s> ... </s>`` sentences;
        sentence_start[p] is the index of p's <s>.  Positions that are <s>
        themselves get NaN.  The matched length is 0 when the word has no
        unigram probability (an OOV).
        """
        order = min(order or self.order, self.order)
        n = words.size
        ids = [None] * (order + 1)         # ids[j][p]: j-gram ending at p, -1 if absent
        ids[1] = self.find(1, None, words.astype(np.int64))
        for j in range(2, order):
            prev = np.r_[-1, ids[j - 1][:-1]]
            inside = np.arange(n) - j + 1 >= sentence_start
            ids[j] = np.where(inside, self.find(j, prev, words.astype(np.int64)), -1)
        contexts = [np.where(np.arange(n) - j >= sentence_start, np.r_[-1, ids[j][:-1]], -1)
                    for j in range(1, order)]
        logp, found_len = backoff_walk(self.tables, self.find, contexts, ids[1])
        logp[np.arange(n) == sentence_start] = np.nan
        return logp, found_len

    def score_sentence(self, words: list[str]) -> list[tuple[str, float, int]]:
        """(word, log10 p, matched n-gram length) for w1 .. wn </s> of one sentence.

        Words outside the vocabulary are scored as the unknown word: -inf and
        length 0 unless the model gives the unknown word a probability.
        """
        ids = np.array(self.vocab.sentence_ids(words, add_words=False), dtype=np.int64)
        logp, length = self.score_positions(ids, np.zeros(ids.size, np.int64))
        shown = [self.vocab.words[i] for i in ids.tolist()]
        return [(shown[p], float(logp[p]), int(length[p])) for p in range(1, ids.size)]

    def sentence_logprob(self, words: list[str]) -> float:
        """log10 P(w1 .. wn </s>), OOV words skipped as SRILM's -ppl does."""
        return sum(lp for _, lp, n in self.score_sentence(words) if n > 0 and lp > -np.inf)


def backoff_walk(tables: list, find, contexts: list, word: np.ndarray):
    """SRILM's backoff lookup of ``word`` (ids, -1: not in the vocabulary) after contexts
    given per length j (contexts[j - 1]: index in table j of the last j words before it,
    -1: absent): walk them from the shortest while they are backoff nodes, take the
    longest explicit n-gram's probability and add the weights of the longer contexts
    walked, in float32 like SRILM's LogP.  Returns (log10 p, length of that n-gram, 0
    when the word has no probability at all)."""
    unigram = tables[0].logp[np.maximum(word, 0)]
    has = (word >= 0) & ~np.isnan(unigram)
    logp = np.where(has, unigram, F32(-np.inf)).astype(F32)
    found_len = has.astype(np.int64)
    acc = np.zeros(word.shape, F32)
    walking = np.ones(word.shape, bool)
    for j, context in enumerate(contexts, 1):
        table = tables[j - 1]
        safe = np.maximum(context, 0)
        walking &= (context >= 0) & table.node[safe]
        acc = np.where(walking, (acc + table.bow[safe]).astype(F32), acc)
        hit = find(j + 1, np.where(walking, context, -1), word)
        higher = tables[j].logp[np.maximum(hit, 0)]
        explicit = (hit >= 0) & ~np.isnan(higher)
        logp = np.where(explicit, higher, logp)
        found_len = np.where(explicit, j + 1, found_len)
        acc = np.where(explicit, F32(0.0), acc)
    return (logp + acc).astype(F32), found_len

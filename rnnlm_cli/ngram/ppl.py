"""Perplexity of a text under an n-gram model, reported as SRILM's ``ngram -ppl``.

Each non-blank line is a sentence scored as p(w1|<s>) ... p(</s>|...).  A
word outside the vocabulary is the unknown word; if that has no probability
it counts as an OOV, and any other word with probability 0 as a zeroprob;
both are left out of the log probability.  ppl divides by the scored words
plus one </s> per sentence, ppl1 by the scored words alone.
"""
from __future__ import annotations

from array import array
from dataclasses import asdict, dataclass

import numpy as np

from ..textio import UTF8, TextEncoding, text_lines
from .model import BackoffModel


@dataclass
class TextStats:
    sentences: int = 0
    words: int = 0
    oovs: int = 0
    zeroprobs: int = 0
    logprob: float = 0.0

    def add(self, other: "TextStats"):
        for name in ("sentences", "words", "oovs", "zeroprobs", "logprob"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def _ppl(self, denominator: int):
        return 10.0 ** (-self.logprob / denominator) if denominator > 0 else None

    @property
    def ppl(self):
        return self._ppl(self.words - self.oovs - self.zeroprobs + self.sentences)

    @property
    def ppl1(self):
        return self._ppl(self.words - self.oovs - self.zeroprobs)

    def srilm_lines(self) -> str:
        def fmt(value):
            return "undefined" if value is None else "%.7g" % value
        return (f"{self.sentences} sentences, {self.words} words, {self.oovs} OOVs\n"
                f"{self.zeroprobs} zeroprobs, logprob= {fmt(self.logprob)} ppl= {fmt(self.ppl)} "
                f"ppl1= {fmt(self.ppl1)}\n")

    def as_dict(self) -> dict:
        result = asdict(self)
        result.update(ppl=self.ppl, ppl1=self.ppl1)
        return result


def read_sentences(path: str, encoding: TextEncoding = UTF8):
    """Non-blank lines as word lists."""
    for _, line in text_lines(path, encoding):
        words = line.split()
        if words:
            yield words


def score_text(model: BackoffModel, sentences: list[list[str]], order: int = 0):
    """Per-position arrays for all sentences: ids, log10 p, matched length, sentence index."""
    vocab = model.vocab
    ids, starts = array("q"), array("q")
    for words in sentences:
        starts.append(len(ids))
        ids.extend(vocab.sentence_ids(words, add_words=False))
    ids_np = np.frombuffer(ids, dtype=np.int64)
    starts_np = np.frombuffer(starts, dtype=np.int64)
    lengths = np.diff(np.append(starts_np, ids_np.size))
    sentence_of = np.repeat(np.arange(len(sentences)), lengths)
    logp, matched = model.score_positions(ids_np, starts_np[sentence_of], order)
    return ids_np, logp, matched, sentence_of, starts_np


def perplexity(model: BackoffModel, path: str, order: int = 0, debug: int = 0, out=None,
               encoding: TextEncoding = UTF8):
    """Score a file; with ``out`` write SRILM's -debug 0/1/2 text.  Returns TextStats."""
    sentences = list(read_sentences(path, encoding))
    total = TextStats()
    if not sentences:
        if out is not None:
            out.write(f"file {path}: " + total.srilm_lines())
        return total
    ids, logp, matched, sentence_of, starts = score_text(model, sentences, order)
    predicted = ~np.isnan(logp)
    oov = predicted & (ids == model.vocab.UNK) & (logp == -np.inf)
    zero = predicted & ~oov & (logp == -np.inf)
    scored = predicted & ~oov & ~zero
    n = len(sentences)
    per_sentence = {
        "oovs": np.bincount(sentence_of[oov], minlength=n),
        "zeroprobs": np.bincount(sentence_of[zero], minlength=n),
        "logprob": np.bincount(sentence_of[scored], weights=logp[scored].astype(np.float64),
                               minlength=n),
    }
    boundary = (ids == model.vocab.START) | (ids == model.vocab.END)
    words_per = np.bincount(sentence_of[~boundary], minlength=n)
    for s in range(n):
        stats = TextStats(1, int(words_per[s]), int(per_sentence["oovs"][s]),
                          int(per_sentence["zeroprobs"][s]), float(per_sentence["logprob"][s]))
        total.add(stats)
        if out is not None and debug >= 1:
            out.write(" ".join(sentences[s]) + "\n")
            if debug >= 2:
                end = starts[s + 1] if s + 1 < n else ids.size
                out.write(_word_lines(model, ids, logp, matched, starts[s], end))
            out.write(stats.srilm_lines() + "\n")
    if out is not None:
        out.write(f"file {path}: " + total.srilm_lines())
    return total


def _word_lines(model, ids, logp, matched, start, end) -> str:
    words = model.vocab.words
    lines = []
    for p in range(start + 1, end):
        context = words[ids[p - 1]] + (" ...)" if p - start > 1 else " )")
        if matched[p] == 0:
            value = "[OOV] 0 [ -inf ]"
        else:
            lp = float(logp[p])
            prob = 0.0 if lp == -np.inf else 10.0 ** lp
            shown = "-inf" if lp == -np.inf else "%.7g" % lp
            value = f"[{matched[p]}gram] {'%.7g' % prob} [ {shown} ]"
        lines.append(f"\tp( {words[ids[p]]} | {context} \t= {value}\n")
    return "".join(lines)

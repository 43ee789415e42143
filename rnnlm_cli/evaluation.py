"""Perplexity of a text under an RNN model, optionally interpolated with another LM:
the library call behind ``rnnlm eval``, the drop-in mode's -test and the Python API.

``evaluate`` returns an ``Evaluation``: the report, per-token scores and the
signature; renderers (rnnlm_cli.score) print it in rnnlm's, SRILM's or JSON
layout.  The other LM is an ``ArpaProbabilities`` or ``FileProbabilities``:
linear probabilities of every RNN token of the text, plus signature fields.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .config import EvalConfig
from .corpus import Corpus
from .interpolate import (InterpolationReport, interpolate, probabilities_from_arpa,
                          probabilities_from_file)
from .model import Model
from .score import PerplexityReport, score_corpus
from .signature import digest_bytes, ngram_fields, rnn_fields, signature
from .textio import UTF8, TextEncoding


class ArpaProbabilities:
    """P of every token of a text under an ARPA model (``ngram.model.BackoffModel``)."""

    def __init__(self, model, text_path: str, order: int = 0, unk: bool = False,
                 encoding: TextEncoding = UTF8):
        self.model, self.text_path, self.order, self.unk = model, text_path, order, unk
        self.encoding = encoding

    def __call__(self, tokens: int):
        return (probabilities_from_arpa(self.model, self.text_path, self.order, self.encoding),
                ngram_fields(self.model, self.unk))


class FileProbabilities:
    """rnnlm's -lm-prob: one probability per token of the text, from a file."""

    def __init__(self, path: str, encoding: TextEncoding = UTF8):
        self.path, self.encoding = path, encoding

    def __call__(self, tokens: int):
        probabilities = probabilities_from_file(self.path, tokens, self.encoding)
        return probabilities, [("lmprob", digest_bytes(probabilities))]


@dataclass
class Evaluation:
    """What ``rnnlm eval`` reports: the RNN's report, the interpolated one (with another
    LM), per-token log10 P (NaN at OOVs) and the signature."""

    report: PerplexityReport
    scores: np.ndarray
    tokens: np.ndarray
    signature: str
    other: Optional[np.ndarray] = None           # the other LM's P of every token
    mixed: Optional[InterpolationReport] = None

    @property
    def combined(self) -> PerplexityReport:
        """The report of the final numbers: interpolated when another LM was given."""
        if self.mixed is None:
            return self.report
        r, scored = self.report, self.mixed.tokens
        return replace(r, oovs=r.words + r.sentences - scored, scored_tokens=scored,
                       logprob=self.mixed.logprob_combined)

    @property
    def ppl(self) -> float:
        return self.combined.ppl

    def as_dict(self, model_path: Optional[str] = None, word_scores: bool = False) -> dict:
        """The JSON object of ``rnnlm eval --format json``."""
        result = self.report.as_dict()
        if model_path is not None:
            result["model"] = model_path
        result["signature"] = self.signature
        if self.mixed is not None:
            result["interpolation"] = self.mixed.as_dict()
        if word_scores:
            result["word_log10_probs"] = [None if s != s else s for s in self.scores.tolist()]
        return result


def evaluate(model: Model, corpus: Corpus, config: EvalConfig = EvalConfig(),
             other_lm=None) -> Evaluation:
    """Score ``corpus`` (read with the model's vocabulary); with ``other_lm``, interpolate.

    With ``config.dynamic`` > 0 the model in memory keeps learning on the text.
    Models with faster-rnnlm's sentences (-sentence-start zero) score as faster-rnnlm
    does: a sentence with an OOV word, or a blank line, is left out whole (its words
    count as OOVs).
    """
    independent = model.network.independent if config.independent is None \
        else config.independent
    fields = rnn_fields(model, independent, config.dynamic)    # before -dynamic trains
    if skips_oov_sentences(model):
        report, scores = _score_whole_sentences(model, corpus, independent, config)
    else:
        report, scores = score_corpus(model, corpus, independent, config.dynamic,
                                      config.device)
    if other_lm is None:
        return Evaluation(report, scores, corpus.tokens, signature(fields))
    other, other_fields = other_lm(corpus.tokens.shape[0])
    mixed, _ = interpolate(scores, other, config.lam, single_sums=config.single_sums)
    fields += other_fields + [("lambda", f"{config.lam:g}")]
    return Evaluation(report, scores, corpus.tokens, signature(fields), other, mixed)


def skips_oov_sentences(model: Model) -> bool:
    """faster-rnnlm's convention: sentences with an OOV word are not scored."""
    return model.config.sentence_start == "zero"


def whole_sentences(tokens: np.ndarray):
    """(kept, lengths, mask): which sentences faster-rnnlm scores (not blank, no OOV word),
    each sentence's token count (</s> included) and which tokens those sentences hold."""
    ends = np.flatnonzero(tokens == 0)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    lengths = ends + 1 - starts
    has_oov = np.add.reduceat((tokens < 0).astype(np.int64), starts) > 0 \
        if starts.size else np.zeros(0, bool)
    kept = (lengths > 1) & ~has_oov
    return kept, lengths, np.repeat(kept, lengths)


def _score_whole_sentences(model: Model, corpus: Corpus, independent: bool, config: EvalConfig):
    """score_corpus on the sentences faster-rnnlm scores; the others' tokens are NaN."""
    kept, _, mask = whole_sentences(corpus.tokens)
    part = replace(corpus, tokens=corpus.tokens[mask], sentences=int(kept.sum()))
    report, kept_scores = score_corpus(model, part, independent, config.dynamic, config.device)
    scores = np.full(corpus.tokens.shape[0], np.nan)
    scores[mask] = kept_scores
    words_scored = report.scored_tokens - part.sentences
    return replace(report, file=corpus.path, sentences=corpus.sentences,
                   words=corpus.word_count, oovs=corpus.word_count - words_scored), scores


@dataclass
class SentenceScores:
    """faster-rnnlm's -test report: the log10 P of every non-blank sentence (None for one
    with an OOV word) and the entropy in bits per scored token."""

    log10: list
    entropy: float


def faster_rnnlm_test(model: Model, corpus: Corpus) -> SentenceScores:
    """Each sentence scored from the sentence start, summed in float32 word by word and
    sentence by sentence as faster-rnnlm sums, so that its printed digits come out."""
    kept, lengths, mask = whole_sentences(corpus.tokens)
    net = model.network
    ws = net.workspace()
    net.start(ws, True)
    scores = net.score(corpus.tokens[mask], ws, True).astype(np.float32)
    results, total, at = [], np.float32(0.0), 0
    for keep, length in zip(kept.tolist(), lengths.tolist()):
        if length == 1:
            continue                         # faster-rnnlm skips blank lines
        if not keep:
            results.append(None)
            continue
        sentence = np.cumsum(scores[at:at + length], dtype=np.float32)[-1]
        at += length
        total = np.float32(total - sentence)
        results.append(float(sentence))
    entropy = float(np.float32(float(total) / math.log10(2) / max(at, 1)))
    return SentenceScores(results, entropy)

"""Perplexity of a text under a model, in rnnlm's convention and SRILM's report fields.

rnnlm counts every in-vocabulary token including ``</s>`` and skips OOV
tokens entirely.  SRILM's ``ppl`` is the same number; its ``ppl1`` leaves the
``</s>`` tokens out of the denominator.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from .corpus import Corpus
from .model import Model

LOG2_10 = math.log2(10)

def entropy_bits(log10_total: float, tokens: int) -> float:
    """Cross-entropy in bits per token from a total log10 probability."""
    return -log10_total * LOG2_10 / max(tokens, 1)


@dataclass
class PerplexityReport:
    file: str
    sentences: int
    words: int          # tokens other than </s>, OOVs included
    oovs: int
    scored_tokens: int  # in-vocabulary tokens incl. </s>: the PPL denominator
    logprob: float      # sum of log10 P over scored tokens

    @property
    def ppl(self) -> float:
        return 10.0 ** (-self.logprob / self.scored_tokens)

    @property
    def ppl1(self) -> float:
        denominator = self.words - self.oovs
        return 10.0 ** (-self.logprob / denominator) if denominator > 0 else float("nan")

    @property
    def entropy(self) -> float:
        return entropy_bits(self.logprob, self.scored_tokens)

    def as_dict(self) -> dict:
        fields = asdict(self)
        fields.update(ppl=self.ppl, ppl1=self.ppl1, entropy_bits=self.entropy)
        return fields


DYNAMIC_CUTOFF = 15.0   # rnnlm always clips at 15 when learning on test data


def score_corpus(model: Model, corpus: Corpus, independent: Optional[bool] = None,
                 dynamic: float = 0.0, device: str = "cpu"):
    """Score every token; returns (report, per-token log10 P with NaN at OOVs).

    Scoring starts from the hidden state stored with the model (the end of its
    last validation pass), or from the all-1.0 sentence-start state when
    sentences are scored independently.  With ``dynamic`` > 0 the model keeps
    learning on the text as it scores it (rnnlm's -dynamic: the training update
    with that learning rate, after each token is scored); the model in memory
    changes, the file does not.  ``device`` cuda (independent scoring only)
    scores batches of sentences on the GPU.
    """
    net = model.network
    if independent is None:
        independent = net.independent
    ws = net.workspace(model.config.bptt_steps if dynamic > 0 else 0)
    net.start(ws, independent)
    if device == "cuda":
        scores = _score_sentences_on_gpu(net, corpus.tokens)
    elif dynamic > 0:
        scores = np.zeros(corpus.tokens.shape[0])
        net.train(corpus.tokens, ws, dynamic, model.train_config.beta, DYNAMIC_CUTOFF,
                  model.config.bptt_block, out=scores, independent=independent)
    else:
        scores = net.score(corpus.tokens, ws, independent)
    known = corpus.tokens >= 0
    scores[~known] = np.nan
    report = PerplexityReport(corpus.path, corpus.sentences, corpus.word_count,
                              corpus.oov_count, int(known.sum()), float(np.sum(scores[known])))
    return report, scores


GPU_BATCH_SENTENCES = 1024


def _score_sentences_on_gpu(net, tokens: np.ndarray) -> np.ndarray:
    """Independent per-sentence log10 P of every token, in batches of sentences."""
    from .batch import score_sentences_flat
    ends = np.flatnonzero(tokens == 0)
    sentences = [s[:-1] for s in np.split(tokens, ends + 1)[:-1]]
    start = np.full(net.hidden_size, net.sentence_start_hidden, np.float32)
    parts = [score_sentences_flat(net, sentences[i:i + GPU_BATCH_SENTENCES], start, "cuda")[0]
             for i in range(0, len(sentences), GPU_BATCH_SENTENCES)]
    return np.concatenate(parts) if parts else np.zeros(0)


def write_word_table(out, tokens, scores, words, other=None):
    """rnnlm's -debug 2 table: index, P(NET) [P(LM)] and word; OOVs as -1 and 0."""
    if other is None:
        out.write("Index   P(NET)          Word\n" + "-" * 34 + "\n")
    else:
        out.write("Index   P(NET)          P(LM)           Word\n" + "-" * 50 + "\n")
    lines = []
    for i, (token, log10p) in enumerate(zip(tokens.tolist(), scores.tolist())):
        if token < 0:
            lines.append("-1\t0\t\tOOV\n" if other is None else "-1\t0\t\t0\t\tOOV\n")
        elif other is None:
            lines.append(f"{token}\t{10.0 ** log10p:.10f}\t{words[token]}\n")
        else:
            lines.append(f"{token}\t{10.0 ** log10p:.10f}\t{other[i]:.10f}\t{words[token]}\n")
    out.write("".join(lines))


def write_rnnlm_summary(out, report: PerplexityReport, mixed=None):
    """rnnlm's test summary; ``mixed`` (an InterpolationReport) adds the other-LM lines."""
    if mixed is None:
        out.write(f"\ntest log probability: {report.logprob:f}\n\nPPL net: {report.ppl:f}\n")
        return
    lam = mixed.lam
    out.write(f"\ntest log probability: {mixed.logprob_rnn:f}\n"
              f"test log probability given by other lm: {mixed.logprob_other:f}\n"
              f"test log probability {lam:f}*rnn + {1 - lam:f}*other_lm: "
              f"{mixed.logprob_combined:f}\n\n"
              f"PPL net: {mixed.ppl_net:f}\nPPL other: {mixed.ppl_other:f}\n"
              f"PPL combine: {mixed.ppl_combined:f}\n")


def write_srilm_summary(out, report: PerplexityReport):
    """SRILM ngram -ppl's two summary lines."""
    out.write(f"file {report.file}: {report.sentences} sentences, {report.words} words, "
              f"{report.oovs} OOVs\n")
    out.write(f"0 zeroprobs, logprob= {report.logprob:.7g} ppl= {report.ppl:.7g} "
              f"ppl1= {report.ppl1:.7g}\n")

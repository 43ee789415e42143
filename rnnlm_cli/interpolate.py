"""Linear interpolation of the RNN with another language model, token by token (rnnlm).

    P(w) = lambda * P_rnn(w) + (1 - lambda) * P_other(w)

The other model's probabilities come from an ARPA model scored on the same
text, or from a file with one probability per token (rnnlm's -lm-prob).
OOV rules (rnnlm 0.4b, INTERFACES 2.10): a word the RNN does not know is
skipped when P_other is 0; otherwise it is counted with log10 P_rnn = -8 and
P = (1 - lambda) * P_other.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .textio import UTF8, TextEncoding, split_words, text_lines

RNN_OOV_LOG10 = -8.0


@dataclass
class InterpolationReport:
    lam: float
    tokens: int
    logprob_rnn: float
    logprob_other: float
    logprob_combined: float
    single: bool = False      # rnnlm 0.4b's float32 totals (see interpolate)

    def _ppl(self, logprob, single=False):
        if not self.tokens:
            return float("nan")
        if single:      # rnnlm divides a float total by the count in float
            return 10.0 ** float(np.float32(-logprob) / np.float32(self.tokens))
        return 10.0 ** (-logprob / self.tokens)

    @property
    def ppl_net(self):
        return self._ppl(self.logprob_rnn)

    @property
    def ppl_other(self):
        return self._ppl(self.logprob_other, self.single)

    @property
    def ppl_combined(self):
        return self._ppl(self.logprob_combined, self.single)

    def as_dict(self) -> dict:
        return {"lambda": self.lam, "tokens": self.tokens, "logprob_rnn": self.logprob_rnn,
                "logprob_other": self.logprob_other, "logprob": self.logprob_combined,
                "ppl_net": self.ppl_net, "ppl_other": self.ppl_other, "ppl": self.ppl_combined}


def interpolate(rnn_log10: np.ndarray, other_prob: np.ndarray, lam: float,
                single_sums: bool = False):
    """(report, combined log10 P per token with NaN where skipped) under rnnlm's OOV rules.

    rnn_log10 has NaN at the RNN's OOV tokens; other_prob holds linear probabilities.
    single_sums: add up the other and the combined log probabilities one by one in
    float32, as rnnlm 0.4b does, so that its printed totals are reproduced to the digit.
    """
    known = ~np.isnan(rnn_log10)
    counted = known | (other_prob > 0)
    rnn = np.where(known, rnn_log10, RNN_OOV_LOG10)
    rnn_prob = np.where(known, 10.0 ** np.where(known, rnn_log10, 0.0), 0.0)
    with np.errstate(divide="ignore"):
        combined = np.log10(lam * rnn_prob + (1.0 - lam) * other_prob)
        other = np.log10(other_prob)
    rough_sum = _float32_running_sum if single_sums else np.sum
    report = InterpolationReport(lam, int(counted.sum()), float(rnn[counted].sum()),
                                 float(rough_sum(other[counted])),
                                 float(rough_sum(combined[counted])), single_sums)
    return report, np.where(counted, combined, np.nan)


def _float32_running_sum(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    return float(np.add.accumulate(values.astype(np.float32))[-1])


def probabilities_from_file(path: str, tokens, encoding: TextEncoding = UTF8) -> np.ndarray:
    """rnnlm's -lm-prob file: the first field of each line is a linear probability.

    ``tokens`` (if not None) is the number of probabilities the text needs.
    """
    values = array("d")
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            continue
        try:
            values.append(float(fields[0]))
        except ValueError:
            raise InputError(f"{path}:{number}: expected a probability, found {fields[0]!r}") \
                from None
    if tokens is not None and len(values) != tokens:
        raise InputError(f"{path}: {len(values)} probabilities for {tokens} tokens of the test "
                         "text (one per word and per </s>)")
    return np.frombuffer(values, dtype=np.float64).copy()


def probabilities_from_arpa(model, path: str, order: int = 0,
                            encoding: TextEncoding = UTF8) -> np.ndarray:
    """P_other of every RNN token of ``path`` (words and the </s> of each line).

    Lines are read as the RNN reads them (a blank line is a lone </s>), each
    scored from <s> by the n-gram model.
    """
    vocab = model.vocab
    ids, starts = array("q"), array("q")
    for _, line in text_lines(path, encoding):
        starts.append(len(ids))
        ids.append(vocab.START)
        ids.extend([vocab.lookup(w) for w in split_words(line)])
        ids.append(vocab.END)
    ids_np = np.frombuffer(ids, dtype=np.int64)
    starts_np = np.frombuffer(starts, dtype=np.int64)
    lengths = np.diff(np.append(starts_np, ids_np.size))
    logp, _ = model.score_positions(ids_np, np.repeat(starts_np, lengths), order)
    predicted = ~np.isnan(logp)
    return np.power(10.0, logp[predicted].astype(np.float64))

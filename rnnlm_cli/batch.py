"""Scoring many sentences at once: the layers' specs (rnnlm_cli.layers) compute the
hidden states of a whole layout step by step and the output probabilities of
all positions together (for the Elman layer and the class softmax these become
matrix-matrix products in NumPy/BLAS, with the per-position maxent and in-class
softmax in Numba, kernels/batch.py).

Every sentence starts from the same hidden state with an empty word history,
as in independent N-best rescoring.  Results equal the one-token-at-a-time
scorer (kernels/sgd.py score_span) up to float32 rounding.
"""
from __future__ import annotations

import numpy as np

from .kernels import maxent, sgd
from .network import Network


def sentence_start_state(net: Network) -> np.ndarray:
    """The hidden state every hypothesis starts from.

    Models trained with -independent start sentences as -sentence-start says (rnnlm's
    all 1.0, or zero).  Other models start from rnnlm's N-best context (nbest_context).
    """
    if net.independent:
        return np.full(net.hidden_size, net.sentence_start_hidden, np.float32)
    return nbest_context(net)


def nbest_context(net: Network) -> np.ndarray:
    """rnnlm's first N-best context: the state after reading </s> from a zero recurrent input."""
    return net.hidden_step(0, np.zeros(net.hidden_size, np.float32))


def score_sentences(net: Network, sentences: list[np.ndarray], start: np.ndarray) -> list:
    """log10 P of every token of each sentence (its words then </s>); NaN at OOV tokens.

    ``sentences`` hold word ids (-1 = OOV), without the final </s>.
    """
    flat, offsets = score_sentences_flat(net, sentences, start)
    return [flat[offsets[b]:offsets[b + 1]] for b in range(len(sentences))]


def score_sentences_flat(net: Network, sentences: list[np.ndarray], start: np.ndarray,
                         device: str = "cpu"):
    """As score_sentences, concatenated: (log10 P of all tokens, offsets (len + 1,)).

    ``device`` cuda computes on the GPU (kernels/cuda/backend.py) from the same layout.
    """
    if not sentences:
        return np.zeros(0), np.zeros(1, np.int64)
    layout = SentenceLayout(sentences, -1 if net.reset_mode(True) == sgd.ZERO_RESET else 0)
    if device == "cuda":
        from .kernels.cuda.backend import score_layout
        logp = score_layout(net, layout, start)
    else:
        logp = _score_layout(net, layout, start)
    return layout.flatten(logp)


class SentenceLayout:
    """Sentences as (count, steps) matrices, longest first, so that the rows still
    active at a step are a prefix: targets (padding -2, </s> at the end) and
    inputs (the previous word, 0 = </s> at the start); ``before_start`` is the history
    word before that </s> (0, or -1 where the maxent n-grams stop at the sentence start)."""

    def __init__(self, sentences: list[np.ndarray], before_start: int = 0):
        self.before_start = before_start
        self.lengths = np.array([s.size + 1 for s in sentences])
        self.order = np.argsort(-self.lengths, kind="stable")
        lengths_sorted = self.lengths[self.order]
        self.steps, self.count = int(lengths_sorted[0]), len(sentences)
        self.targets = np.full((self.count, self.steps), -2, np.int32)
        for row, b in enumerate(self.order.tolist()):
            s = sentences[b]
            self.targets[row, :s.size] = s
            self.targets[row, s.size] = 0
        self.inputs = np.zeros((self.count, self.steps), np.int32)
        self.inputs[:, 1:] = self.targets[:, :-1]
        self.active = self.count - np.searchsorted(lengths_sorted[::-1], np.arange(self.steps),
                                                   side="right")

    def histories(self, positions: np.ndarray) -> np.ndarray:
        """(N, MAX_ORDER) previous words of (t, row) positions, newest first, before_start
        before the sentence start."""
        order = maxent.MAX_ORDER
        padded = np.concatenate([np.full((self.count, order - 1), self.before_start, np.int32),
                                 self.inputs], axis=1)
        t, b = positions[:, 0], positions[:, 1]
        columns = (t + order - 1)[:, None] - np.arange(order)[None, :]
        return np.ascontiguousarray(padded[b[:, None], columns])

    def flatten(self, logp: np.ndarray):
        """(count, steps) log10 P in layout order -> (flat in input order, offsets)."""
        logp = logp.copy()
        logp[self.order] = logp.copy()
        inside = np.arange(self.steps)[None, :] < self.lengths[:, None]
        return logp[inside], np.concatenate([[0], np.cumsum(self.lengths)])


def _score_layout(net: Network, layout: SentenceLayout, start: np.ndarray) -> np.ndarray:
    """(count, steps) log10 P on the CPU: hidden states only for the active rows."""
    states = net.hidden_spec.batch_states(net.hidden, start, layout.inputs, layout.active,
                                          net.fast_exp)
    valid = layout.targets.T >= 0                            # (steps, count)
    positions = np.argwhere(valid)                           # (t, row) pairs, by t then row
    S = np.concatenate([states[t][valid[t, :layout.active[t]]] for t in range(layout.steps)])
    target = layout.targets.T[valid]
    logp = np.full((layout.count, layout.steps), np.nan)
    logp[positions[:, 1], positions[:, 0]] = net.output_spec.batch_log10_probs(
        net, S, target, layout.histories(positions))
    return logp

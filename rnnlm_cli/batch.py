"""Scoring many sentences at once: the hidden layer and the class logits become
matrix-matrix products (NumPy/BLAS), the per-position maxent and in-class
softmax (or the tree paths of a hierarchical softmax) run in Numba
(kernels/batch.py).

Every sentence starts from the same hidden state with an empty word history,
as in independent N-best rescoring.  Results equal the one-token-at-a-time
scorer (kernels/sgd.py score_span) up to float32 rounding.
"""
from __future__ import annotations

import numpy as np

from .kernels import batch, maxent, rnn
from .kernels.class_softmax import ClassSoftmax
from .network import Network


def sentence_start_state(net: Network) -> np.ndarray:
    """The hidden state every hypothesis starts from.

    Models trained with -independent start sentences from all 1.0.  Other
    models start from rnnlm's N-best context (nbest_context).
    """
    if net.independent:
        return np.ones(net.hidden_size, np.float32)
    return nbest_context(net)


def nbest_context(net: Network) -> np.ndarray:
    """rnnlm's first N-best context: the state after reading </s> from a zero recurrent input."""
    state = np.empty(net.hidden_size, np.float32)
    rnn.forward(net.U, net.W, 0, np.zeros(net.hidden_size, np.float32), state, net.kind,
                net.fast_exp)
    return state


def score_sentences(net: Network, sentences: list[np.ndarray], start: np.ndarray) -> list:
    """log10 P of every token of each sentence (its words then </s>); NaN at OOV tokens.

    ``sentences`` hold word ids (-1 = OOV), without the final </s>.
    """
    flat, offsets = score_sentences_flat(net, sentences, start)
    return [flat[offsets[b]:offsets[b + 1]] for b in range(len(sentences))]


def score_sentences_flat(net: Network, sentences: list[np.ndarray], start: np.ndarray,
                         device: str = "cpu"):
    """As score_sentences, concatenated: (log10 P of all tokens, offsets (len + 1,)).

    ``device`` cuda computes on the GPU (cuda_backend.py) from the same layout.
    """
    if not sentences:
        return np.zeros(0), np.zeros(1, np.int64)
    layout = SentenceLayout(sentences)
    if device == "cuda":
        from .kernels.cuda.backend import score_layout
        logp = score_layout(net, layout, start)
    else:
        logp = _score_layout(net, layout, start)
    return layout.flatten(logp)


class SentenceLayout:
    """Sentences as (count, steps) matrices, longest first, so that the rows still
    active at a step are a prefix: targets (padding -2, </s> at the end) and
    inputs (the previous word, 0 = </s> at the start)."""

    def __init__(self, sentences: list[np.ndarray]):
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
        """(N, MAX_ORDER) previous words of (t, row) positions, newest first, 0 before
        the sentence start."""
        order = maxent.MAX_ORDER
        padded = np.concatenate([np.zeros((self.count, order - 1), np.int32), self.inputs],
                                axis=1)
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
    W_t = np.ascontiguousarray(net.W.T)
    h = np.broadcast_to(start, (layout.count, net.hidden_size))
    states = []
    for t in range(layout.steps):
        n = int(layout.active[t])
        h = h[:n] @ W_t
        batch.add_inputs_and_activate(h, net.U, layout.inputs[:n, t], net.kind, net.fast_exp)
        states.append(h)
    valid = layout.targets.T >= 0                            # (steps, count)
    positions = np.argwhere(valid)                           # (t, row) pairs, by t then row
    S = np.concatenate([states[t][valid[t, :layout.active[t]]] for t in range(layout.steps)])
    target = layout.targets.T[valid]
    logp = np.full((layout.count, layout.steps), np.nan)
    logp[positions[:, 1], positions[:, 0]] = _output_log10_probs(
        net, S, target, layout.histories(positions))
    return logp


def _output_log10_probs(net: Network, S: np.ndarray, target: np.ndarray,
                        hist: np.ndarray) -> np.ndarray:
    """log10 P(target[n] | S[n], hist[n]) for every position n.

    The class softmax computes all class logits with one BLAS product; other
    layers score row by row.
    """
    layer, logp = net.output, np.empty(S.shape[0])
    if not isinstance(layer, ClassSoftmax):
        batch.rows_log10_probs(S, layer, target, net.d, net.maxent_order, hist,
                               net.workspace().work, logp, net.fast_exp)
        return logp
    target_class = layer.word_class[target]
    Z = S @ layer.Oc.T
    batch.class_log10_probs(Z, net.d, net.maxent_order, hist, target_class, logp, net.fast_exp)
    word_logp = np.empty(S.shape[0])
    batch.word_log10_probs(S, layer.Ow, layer.class_start, target, target_class, net.d,
                           net.maxent_order, hist, word_logp, net.fast_exp)
    return logp + word_logp

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


def score_sentences_flat(net: Network, sentences: list[np.ndarray], start: np.ndarray):
    """As score_sentences, concatenated: (log10 P of all tokens, offsets (len + 1,))."""
    if not sentences:
        return np.zeros(0), np.zeros(1, np.int64)
    lengths = np.array([s.size + 1 for s in sentences])
    order = np.argsort(-lengths, kind="stable")     # longest first: active rows shrink
    lengths_sorted = lengths[order]
    steps, count = int(lengths_sorted[0]), len(sentences)
    targets = np.full((count, steps), -2, np.int32)          # -2: padding
    for row, b in enumerate(order.tolist()):
        s = sentences[b]
        targets[row, :s.size] = s
        targets[row, s.size] = 0
    inputs = np.zeros((count, steps), np.int32)              # the previous word
    inputs[:, 1:] = targets[:, :-1]
    active = count - np.searchsorted(lengths_sorted[::-1], np.arange(steps), side="right")
    W_t = np.ascontiguousarray(net.W.T)
    h = np.broadcast_to(start, (count, net.hidden_size))
    states = []
    for t in range(steps):
        n = int(active[t])
        h = h[:n] @ W_t
        batch.add_inputs_and_activate(h, net.U, inputs[:n, t], net.kind, net.fast_exp)
        states.append(h)
    valid = targets.T >= 0                                   # (steps, count)
    positions = np.argwhere(valid)                           # (t, row) pairs, by t then row
    S = np.concatenate([states[t][valid[t, :active[t]]] for t in range(steps)])
    target = targets.T[valid]
    hist = _histories(inputs, positions)
    logp = np.full((count, steps), np.nan)
    logp[positions[:, 1], positions[:, 0]] = _output_log10_probs(net, S, target, hist)
    logp[order] = logp.copy()                                # back to input order
    inside = np.arange(steps)[None, :] < lengths[:, None]
    return logp[inside], np.concatenate([[0], np.cumsum(lengths)])


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


def _histories(inputs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(N, MAX_ORDER) previous words, newest first, 0 before the sentence start."""
    order = maxent.MAX_ORDER
    padded = np.concatenate([np.zeros((inputs.shape[0], order - 1), np.int32), inputs], axis=1)
    t, b = positions[:, 0], positions[:, 1]
    columns = (t + order - 1)[:, None] - np.arange(order)[None, :]
    return np.ascontiguousarray(padded[b[:, None], columns])

"""Output-layer kernels for scoring many positions at once (N-best batches).

The hidden states of all positions are computed with matrix products by the
caller; these kernels add the per-position parts: maxent features (which
depend on each position's history) and the softmax within the target class.

The exact exponential is exp32 here, as in the sequential kernels' sigmoid and class
softmax (the compiler can vectorise it; libm's expf keeps a loop scalar); rnnlm's
fasterexp (``fast``) is unchanged.  Batch scores differ from eval's by the order of
float32 sums.

Arrays: S (N, H) hidden states; hist (N, MAX_ORDER) int32 previous words,
newest first; targets (N,) int32 (>= 0); class logits Z (N, C) float32.
"""
import math

import numpy as np

from ._jit import inline_kernel, kernel
from . import maxent, output, rnn
from .class_softmax import SCORE_LIMIT, log10_softmax_at, softmax_in_place
from .dense import rows_dot
from .exp32 import exp32

_LN10 = math.log(10.0)


@inline_kernel
def _log10_softmax_at(z, count, index, fast):
    """class_softmax.log10_softmax_at (z clamped to [-50, 50]) without writing z, in one
    vectorised pass.  No maximum is subtracted: with z clamped, every exponential lies in
    [2e-22, 5.2e21], so a float32 sum of up to 6e16 of them neither overflows nor meets
    subnormals; and a maximum is a loop the compiler keeps scalar without the no-NaN
    flag, which took half of this function's time."""
    if fast:
        return log10_softmax_at(z, count, index, True)
    limit = np.float32(SCORE_LIMIT)
    total = np.float32(0.0)               # float32 sums vectorise at twice the width
    for k in range(count):
        total += exp32(min(max(z[k], -limit), limit))
    return (min(max(z[index], -limit), limit) - math.log(total)) / _LN10


@kernel
def _largest_class(class_start):
    largest = 0
    for c in range(class_start.shape[0] - 1):
        largest = max(largest, class_start[c + 1] - class_start[c])
    return largest


@kernel
def _class_word_scores(s, Ow, class_start, c, d, order, hist, hashes, scores):
    """scores[:count] = the scores of class c's words at one position (their rows . s
    plus maxent); returns (first word, count).  hashes: three MAX_ORDER scratch rows."""
    first = class_start[c]
    count = class_start[c + 1] - first
    rows_dot(Ow, first, count, s, scores)
    used = maxent.feature_hashes(hist, order, d.shape[0], c, hashes[0], hashes[1])
    if used > 0:
        maxent.add_word_scores(d, hashes[1], used, hashes[2], scores, count)
    return first, count


@kernel
def class_log10_probs(Z, states, state_of, targets, Ow, word_class, class_start, d, order,
                      hist, out, fast):
    """out[n] = log10 P(targets[n] | states[state_of[n]], hist[n]) under the class softmax,
    Z holding the class logits of every state (states Oc^T, read only).

    The target class's word rows are dotted with the state here, four rows per pass.
    Grouping the positions by class for one BLAS product per class instead took 1.4x
    as long: the grouping copies every state, and the products are small."""
    n_classes = Z.shape[1]
    scores = np.zeros(_largest_class(class_start), np.float32)
    row = np.zeros(n_classes, np.float32)
    hashes = np.zeros((3, maxent.MAX_ORDER), np.int64)
    for n in range(targets.shape[0]):
        state, word = state_of[n], targets[n]
        c = word_class[word]
        first = class_start[c]
        count = class_start[c + 1] - first
        rows_dot(Ow, first, count, states[state], scores)
        z = Z[state]
        if d.shape[0] > 0:
            row[:] = z
            used = maxent.feature_hashes(hist[n], order, d.shape[0], c, hashes[0], hashes[1])
            maxent.add_class_scores(d, hashes[0], used, row)
            maxent.add_word_scores(d, hashes[1], used, hashes[2], scores, count)
            z = row
        out[n] = _log10_softmax_at(z, n_classes, c, fast) + \
            _log10_softmax_at(scores, count, word - first, fast)


@kernel
def rows_log10_probs(S, layer, targets, d, order, hist, work, out, fast):
    """out[n] = log10 P(targets[n] | S[n], hist[n]) with any output layer (kernels.output)."""
    for n in range(S.shape[0]):
        out[n] = output.word_log10_prob(layer, targets[n], S[n], d, order, hist[n], work, fast)


@kernel
def add_inputs_and_activate(pre, U, inputs, kind, fast):
    """pre[n] = f(pre[n] + U[inputs[n]]) in place (inputs[n] < 0: no input row); ``pre``
    C-contiguous.  The input rows are added first and the activation runs over all of
    ``pre`` as one vector: row by row, each 100-unit row ended in a scalar remainder, and
    the row gathers waited behind the exponentials (row by row took half as long again;
    the values are the same)."""
    n_rows, hidden = pre.shape
    for n in range(n_rows):
        x = inputs[n]
        if x >= 0:
            row, column = pre[n], U[x]
            for i in range(hidden):
                row[i] += column[i]
    rnn.activate_all(pre.reshape(n_rows * hidden), kind, fast)


@kernel
def train_rows(S, layer, targets, d, order, hist, work, alpha, l2, maxent_decay, cutoff, E,
               fast):
    """One output-layer SGD step per row n with targets[n] >= 0, in row order.

    E[n] receives d ln P / d S[n] (clipped; zero for rows without a target).
    Returns the sum of log10 P over the trained rows.
    """
    total = 0.0
    for n in range(S.shape[0]):
        if targets[n] < 0:
            E[n] = 0.0
            continue
        total += output.train_word(layer, targets[n], S[n], d, order, hist[n], work, alpha,
                                   l2, maxent_decay, cutoff, E[n], fast)
    return total


@kernel
def times_derivative(err, H, kind):
    """err *= f'(H) element-wise (H: the activations the errors belong to)."""
    rows, hidden = err.shape
    for n in range(rows):
        for i in range(hidden):
            err[n, i] *= rnn.derivative(H[n, i], kind)


@kernel
def add_rows(U, words, G, scale, l2):
    """U[words[n]] += scale * G[n] - U[words[n]] * l2 for words[n] >= 0, in row order."""
    scale = np.float32(scale)
    l2 = np.float32(l2)
    for n in range(words.shape[0]):
        w = words[n]
        if w < 0:
            continue
        row = U[w]
        for i in range(row.shape[0]):
            row[i] += scale * G[n, i] - row[i] * l2


@kernel
def _draw(p, count, u):
    """The index k < count where the cumulative sum of p first exceeds u."""
    total = 0.0
    for k in range(count):
        total += p[k]
        if u < total:
            return k
    return count - 1


@kernel
def draw_class_words(Z, S, Ow, class_start, d, order, hist, uniforms, out):
    """out[n] = a word drawn from the class softmax at position n: its class from
    softmax(Z[n] + maxent) (Z: the class logits S Oc^T), then the word within that class;
    uniforms[n] holds the two uniform draws.  Only the drawn class's rows are read."""
    n_rows, n_classes = Z.shape
    hashes = np.zeros((3, maxent.MAX_ORDER), np.int64)
    scores = np.zeros(_largest_class(class_start), np.float32)
    for n in range(n_rows):
        row = Z[n]
        used = maxent.feature_hashes(hist[n], order, d.shape[0], 0, hashes[0], hashes[1])
        if used > 0:
            maxent.add_class_scores(d, hashes[0], used, row)
        softmax_in_place(row, n_classes, False)
        c = _draw(row, n_classes, uniforms[n, 0])
        first, count = _class_word_scores(S[n], Ow, class_start, c, d, order, hist[n], hashes,
                                          scores)
        softmax_in_place(scores, count, False)
        out[n] = first + _draw(scores, count, uniforms[n, 1])


@kernel
def draw_rows(S, layer, d, order, hist, work, p, uniforms, out):
    """out[n] = a word drawn from any output layer's full distribution at position n
    (kernels.output.distribution into the scratch p)."""
    for n in range(S.shape[0]):
        output.distribution(layer, S[n], d, order, hist[n], work, p, False)
        out[n] = _draw(p, p.shape[0], uniforms[n, 0])

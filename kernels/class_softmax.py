"""Class-factored softmax output layer (rnnlm 0.4b).

    P(c | s)    = softmax_c( Oc[c] . s + maxent_class[c] )             over all classes
    P(w | c, s) = softmax_w( Ow[w] . s + maxent_word[w] )              over words of class c
    P(w | s)    = P(class(w) | s) * P(w | class(w), s)

Arrays: s (H,) hidden activation; Oc (C, H) class rows; Ow (V, H) word rows;
class_start (C+1,) int32, class c owns words class_start[c]:class_start[c+1].
Scores are clamped to [-50, 50] before the exponential (exp32; rnnlm's fasterexp of
max-subtracted scores with ``fast``).
The backward pass uses the natural-log gradient errors e = onehot - P.
"""
import math
from collections import namedtuple

import numpy as np

from ._jit import kernel
from . import output
from .dense import backprop_rows, rows_dot
from .exp32 import exp32
from .fastexp import faster_exp
from .maxent import (add_class_scores, add_word_scores, feature_hashes, update_class_weights,
                     update_word_weights)

ClassSoftmax = namedtuple("ClassSoftmax", "Oc Ow word_class class_start")

SCORE_LIMIT = 50.0


@kernel
def _clamp_and_max(z, count):
    """Clamp z[:count] to [-50, 50] in place; return the largest value."""
    limit = np.float32(SCORE_LIMIT)
    top = -limit
    for k in range(count):
        v = min(max(z[k], -limit), limit)
        z[k] = v
        top = max(top, v)
    return top


@kernel
def softmax_in_place(z, count, fast):
    """Clamp, exponentiate (exp32) and normalise z[:count] in one vectorised pass and a
    scaling.  No maximum is subtracted: clamped to +-50, every exponential lies in
    [2e-22, 5.2e21], so a float32 sum of them neither overflows nor meets subnormals.

    ``fast``: rnnlm 0.4b's way, fasterexp of the clamped, max-subtracted
    scores summed in double precision.
    """
    if fast:
        top = _clamp_and_max(z, count)
        total64 = 0.0
        for k in range(count):
            e = faster_exp(z[k] - top)
            z[k] = e
            total64 += e
        for k in range(count):
            z[k] = np.float32(z[k] / total64)
        return
    limit = np.float32(SCORE_LIMIT)
    total = np.float32(0.0)
    for k in range(count):
        e = exp32(min(max(z[k], -limit), limit))
        z[k] = e
        total += e
    inv = np.float32(1.0) / total
    for k in range(count):
        z[k] = z[k] * inv


@kernel
def log10_softmax_at(z, count, index, fast):
    """log10 of softmax(clamp(z[:count]))[index]; z is clamped in place.

    ``fast``: rnnlm 0.4b's fasterexp softmax, as in softmax_in_place.
    """
    top = _clamp_and_max(z, count)
    if fast:
        total64 = 0.0
        for k in range(count):
            total64 += faster_exp(z[k] - top)
        return math.log10(np.float32(faster_exp(z[index] - top) / total64))
    total = 0.0
    for k in range(count):
        total += math.exp(z[k] - top)
    return (z[index] - top - math.log(total)) / math.log(10.0)


@kernel
def forward(s, Oc, Ow, class_start, target_class, d, class_hash, word_hash, used,
            scratch, p_class, p_word, fast):
    """Fill p_class (C,) and p_word[:n] for the members of target_class.

    Returns n, the size of the target class.  target_class < 0 (an OOV
    target) computes only the class distribution and returns 0.
    """
    n_classes = Oc.shape[0]
    rows_dot(Oc, 0, n_classes, s, p_class)
    if used > 0:
        add_class_scores(d, class_hash, used, p_class[:n_classes])
    softmax_in_place(p_class, n_classes, fast)
    if target_class < 0:
        return 0
    first = class_start[target_class]
    count = class_start[target_class + 1] - first
    rows_dot(Ow, first, count, s, p_word)
    if used > 0:
        add_word_scores(d, word_hash, used, scratch, p_word, count)
    softmax_in_place(p_word, count, fast)
    return count


@kernel
def log10_prob(p_class, p_word, target, target_class, class_start):
    """log10 P(target | s) from the distributions filled by forward()."""
    return math.log10(p_class[target_class]) + math.log10(
        p_word[target - class_start[target_class]])


@kernel
def clip(values, cutoff):
    """Element-wise clipping to [-cutoff, cutoff]; cutoff <= 0 disables it."""
    if cutoff > 0.0:
        limit = np.float32(cutoff)
        for j in range(values.shape[0]):
            values[j] = min(max(values[j], -limit), limit)


@kernel
def backward(s, Oc, Ow, class_start, target, target_class, d, class_hash, word_hash, used,
             scratch, p_class, p_word, alpha, l2, maxent_decay, cutoff, e_hidden):
    """Train the output layer on one target; turns p_class/p_word into errors.

    Order as rnnlm: maxent word and class weights, then word rows (their error
    to the hidden layer first, clipped), then class rows (added, clipped again).
    e_hidden (H,) is overwritten with d ln P / d s (clipped).
    l2 is the decay applied to output rows at this step (0 on most steps).
    """
    n_classes = Oc.shape[0]
    first = class_start[target_class]
    count = class_start[target_class + 1] - first
    for k in range(count):
        p_word[k] = -p_word[k]
    p_word[target - first] += 1.0
    for c in range(n_classes):
        p_class[c] = -p_class[c]
    p_class[target_class] += 1.0
    if used > 0:
        update_word_weights(d, word_hash, used, scratch, p_word, count, alpha, maxent_decay)
        update_class_weights(d, class_hash, used, p_class[:n_classes], alpha, maxent_decay)
    e_hidden[:] = 0.0
    backprop_rows(Ow, first, count, p_word, s, alpha, l2, e_hidden)
    clip(e_hidden, cutoff)
    backprop_rows(Oc, 0, n_classes, p_class, s, alpha, l2, e_hidden)
    clip(e_hidden, cutoff)


# The output-layer interface (kernels.output): ``work`` is an output.OutputScratch.

@kernel
def _forward_target(layer, word, s, d, order, hist, work, fast):
    """forward() for the class of ``word``; returns the number of maxent orders in use."""
    target_class = layer.word_class[word]
    used = feature_hashes(hist, order, d.shape[0], target_class, work.class_hash,
                          work.word_hash)
    forward(s, layer.Oc, layer.Ow, layer.class_start, target_class, d, work.class_hash,
            work.word_hash, used, work.scratch, work.p_class, work.p_word, fast)
    return used


@kernel
def word_log10_prob(layer, word, s, d, order, hist, work, fast):
    """log10 P(word | s, hist)."""
    _forward_target(layer, word, s, d, order, hist, work, fast)
    return log10_prob(work.p_class, work.p_word, word, layer.word_class[word],
                      layer.class_start)


@kernel
def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step on ``word`` (see backward); returns log10 P(word) before it."""
    used = _forward_target(layer, word, s, d, order, hist, work, fast)
    target_class = layer.word_class[word]
    logp = log10_prob(work.p_class, work.p_word, word, target_class, layer.class_start)
    backward(s, layer.Oc, layer.Ow, layer.class_start, word, target_class, d, work.class_hash,
             work.word_hash, used, work.scratch, work.p_class, work.p_word, alpha, l2,
             maxent_decay, cutoff, e_hidden)
    return logp


@kernel
def distribution(layer, s, d, order, hist, work, out, fast):
    """out[v] = P(v | s, hist) for every word v."""
    class_start = layer.class_start
    for c in range(layer.Oc.shape[0]):
        used = feature_hashes(hist, order, d.shape[0], c, work.class_hash, work.word_hash)
        forward(s, layer.Oc, layer.Ow, class_start, c, d, work.class_hash, work.word_hash,
                used, work.scratch, work.p_class, work.p_word, fast)
        first = class_start[c]
        for k in range(class_start[c + 1] - first):
            out[first + k] = work.p_class[c] * work.p_word[k]


output.KERNELS[ClassSoftmax] = output.Implementations(word_log10_prob, train_word,
                                                     distribution)

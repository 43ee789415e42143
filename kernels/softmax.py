"""A full softmax over the vocabulary with faster-rnnlm's maxent hashing: the parameters of
faster-rnnlm's NCE output layer, what its NCE models load as (output layer softmax).

z_v = Ow[v] . s + sum_n d[h_n + v] (maxent.faster_rnnlm_hashes, modulo hash_mod[0] =
D - V) and P(v) = exp(z_v) / sum_u exp(z_u), O(V H) per word.  NCE trains such a
model so that sum_u exp(z_u - lnz[0]) stays near 1; with ``unnormalised[0]`` set,
scoring returns that self-normalised log10 exp(z_v - lnZ) without the sum (faster-
rnnlm's default for NCE models; for rescoring, where only the ranking counts).

Training here takes the exact gradient of ln P: errors [v = target] - P(v) on
every row and maxent feature, O(V H) per word.

``Softmax(Ow, lnz, hash_mod, unnormalised)``: lnz (1,) float32, hash_mod (1,)
int64, unnormalised (1,) int8 (a scoring choice, not stored).  The scratch is
kernels.output's OutputScratch with p_class of V values.
"""
import math
from collections import namedtuple

import numpy as np

from ._jit import kernel
from . import output
from .class_softmax import clip
from .maxent import faster_rnnlm_hashes, faster_rnnlm_unit_step

Softmax = namedtuple("Softmax", "Ow lnz hash_mod unnormalised")

LN10 = math.log(10.0)


@kernel
def _logits(layer, s, d, order, hist, work, z):
    """z[v] (float64, (V,)) for every word; returns the maxent orders used."""
    used = faster_rnnlm_hashes(hist, order, layer.hash_mod[0] if d.shape[0] > 0 else 0,
                               work.class_hash)
    for v in range(layer.Ow.shape[0]):
        acc = np.float32(0.0)
        for j in range(s.shape[0]):
            acc += layer.Ow[v, j] * s[j]
        for n in range(used):
            acc += d[work.class_hash[n] + v]
        z[v] = acc
    return used


@kernel
def _target_logit(layer, word, s, d, order, hist, work):
    used = faster_rnnlm_hashes(hist, order, layer.hash_mod[0] if d.shape[0] > 0 else 0,
                               work.class_hash)
    acc = np.float32(0.0)
    for j in range(s.shape[0]):
        acc += layer.Ow[word, j] * s[j]
    for n in range(used):
        acc += d[work.class_hash[n] + word]
    return acc


@kernel
def _normalise(z):
    """z -> probabilities in place; returns ln of the normaliser."""
    top = z.max()
    total = 0.0
    for v in range(z.shape[0]):
        z[v] = math.exp(z[v] - top)
        total += z[v]
    for v in range(z.shape[0]):
        z[v] /= total
    return top + math.log(total)


@kernel
def word_log10_prob(layer, word, s, d, order, hist, work, fast):
    """log10 P(word | s, hist); the self-normalised exp(z - lnZ) when unnormalised."""
    if layer.unnormalised[0]:
        return (_target_logit(layer, word, s, d, order, hist, work) - layer.lnz[0]) / LN10
    z = np.empty(layer.Ow.shape[0])
    _logits(layer, s, d, order, hist, work, z)
    target = z[word]
    return (target - _normalise(z)) / LN10


@kernel
def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step of the exact softmax; returns log10 P(word) before it."""
    z = np.empty(layer.Ow.shape[0])
    used = _logits(layer, s, d, order, hist, work, z)
    log10p = (z[word] - _normalise(z)) / LN10
    alpha32, l2_32, decay32 = np.float32(alpha), np.float32(l2), np.float32(maxent_decay)
    e_hidden[:] = 0.0
    for v in range(z.shape[0]):
        err = np.float32((1.0 if v == word else 0.0) - z[v])
        faster_rnnlm_unit_step(layer.Ow[v], v, err, s, d, work.class_hash, used, alpha32, l2_32,
                               decay32, e_hidden)
    clip(e_hidden, cutoff)
    return log10p


@kernel
def distribution(layer, s, d, order, hist, work, out, fast):
    """out[v] = P(v | s, hist) for every word."""
    z = np.empty(layer.Ow.shape[0])
    _logits(layer, s, d, order, hist, work, z)
    _normalise(z)
    for v in range(z.shape[0]):
        out[v] = z[v]


output.KERNELS[Softmax] = output.Implementations(word_log10_prob, train_word, distribution)

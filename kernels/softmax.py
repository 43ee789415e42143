"""A full softmax over the vocabulary with faster-rnnlm's maxent hashing: the parameters of
faster-rnnlm's NCE output layer, what its NCE models load as (output layer softmax).

z_v = Ow[v] . s + sum_n d[h_n + v] (maxent.faster_rnnlm_hashes, modulo hash_mod[0] =
D - V) and P(v) = exp(z_v) / sum_u exp(z_u), O(V H) per word.  NCE trains such a
model so that sum_u exp(z_u - lnz[0]) stays near 1; with ``unnormalised[0]`` set,
scoring returns that self-normalised log10 exp(z_v - lnZ) without the sum (faster-
rnnlm's default for NCE models; for rescoring, where only the ranking counts).

Training: with samples[0] = K > 0, noise-contrastive estimation (Gutmann and
Hyvarinen; faster-rnnlm's -nce): the target and K noise words drawn from the
noise distribution q (noise_cdf) are classified as data or noise by sigma(z_w -
lnZ - ln(K q_w)) (noise_lnq holds ln q), and each of their rows and maxent
features moves along the gradient of that log-likelihood, O(K H) per word.  The
draws are hashed from noise_state[0], advanced once per word, so a run is
determined by the seed (one thread) and a checkpoint carries where it stands.
With K = 0, the exact gradient of ln P: errors [v = target] - P(v) on every row,
O(V H) per word.

``Softmax(Ow, lnz, hash_mod, unnormalised, noise_cdf, noise_lnq, samples,
noise_state)``: lnz (1,) float32, hash_mod (1,) int64, unnormalised (1,) int8 (a
scoring choice, not stored), noise_cdf and noise_lnq (V,) float64, samples (1,)
int64, noise_state (1,) uint64.  The scratch is kernels.output's OutputScratch.
"""
import math
from collections import namedtuple

import numpy as np

from ._jit import kernel
from . import output
from .class_softmax import clip
from .maxent import faster_rnnlm_hashes, faster_rnnlm_layer_hashes as _hashes, \
    faster_rnnlm_unit_step
from .regularise import uniform

Softmax = namedtuple("Softmax",
                     "Ow lnz hash_mod unnormalised noise_cdf noise_lnq samples noise_state")
SNR_LIMIT = 50.0

LN10 = math.log(10.0)


@kernel
def _unit_logit(layer, v, s, d, hashes, used):
    """z_v = Ow[v] . s + the maxent features of word v."""
    acc = np.float32(0.0)
    for j in range(s.shape[0]):
        acc += layer.Ow[v, j] * s[j]
    for n in range(used):
        acc += d[hashes[n] + v]
    return acc


@kernel
def _logits(layer, s, d, order, hist, work, z):
    """z[v] (float64, (V,)) for every word; returns the maxent orders used."""
    used = _hashes(layer, d, order, hist, work)
    for v in range(layer.Ow.shape[0]):
        z[v] = _unit_logit(layer, v, s, d, work.class_hash, used)
    return used


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
        used = _hashes(layer, d, order, hist, work)
        return (_unit_logit(layer, word, s, d, work.class_hash, used) - layer.lnz[0]) / LN10
    z = np.empty(layer.Ow.shape[0])
    _logits(layer, s, d, order, hist, work, z)
    target = z[word]
    return (target - _normalise(z)) / LN10


@kernel
def draw_noise(layer, out):
    """out[:] = words drawn from the noise distribution; advances noise_state[0]."""
    key = layer.noise_state[0]
    layer.noise_state[0] = key + np.uint64(1)
    last = layer.noise_cdf.shape[0] - 1
    for i in range(out.shape[0]):
        out[i] = min(np.searchsorted(layer.noise_cdf, uniform(key, i), side="right"), last)


@kernel
def _nce_step(layer, word, s, d, order, hist, work, alpha, l2, decay, e_hidden):
    """NCE on the target and K noise words (noise first, as faster-rnnlm); returns the
    target's self-normalised log10 exp(z - lnZ) before the step."""
    count = layer.samples[0]
    noise = np.empty(count, np.int64)
    draw_noise(layer, noise)
    ln_count = math.log(count)
    hashes = work.class_hash
    used = _hashes(layer, d, order, hist, work)
    result = (_unit_logit(layer, word, s, d, hashes, used) - layer.lnz[0]) / LN10
    for i in range(count + 1):
        w = word if i == count else noise[i]
        z = _unit_logit(layer, w, s, d, hashes, used) - layer.lnz[0]
        ratio = math.exp(min(z - layer.noise_lnq[w] - ln_count, SNR_LIMIT))
        err = 1.0 / (1.0 + ratio) if i == count else -ratio / (1.0 + ratio)
        faster_rnnlm_unit_step(layer.Ow[w], w, np.float32(err), s, d, hashes, used, alpha, l2,
                               decay, e_hidden)
    return result


@kernel
def draw_noise_rows(layer, out):
    """out[t] = the noise words of step t of a mini-batch block (draw_noise per row)."""
    for t in range(out.shape[0]):
        draw_noise(layer, out[t])


@kernel
def nce_block_errors(layer, z_target, Z_noise, targets, noise, d, order, hist, alpha, decay,
                     g_target, G_noise):
    """The NCE errors of a mini-batch block whose B rows of a step share that step's K
    noise words, and the maxent features' SGD steps (rows in order, noise first).

    z_target (T, B) and Z_noise (T, B, K) hold the rows' dot products only; the maxent
    features are added here.  Rows with targets < 0 (padding) get zero errors.
    Returns the sum of the targets' self-normalised log10 exp(z - lnZ) before the step.
    """
    steps, rows, count = Z_noise.shape
    hashes = np.zeros(max(order, 1), np.int64)
    modulus = layer.hash_mod[0] if d.shape[0] > 0 else 0
    ln_count = math.log(count)
    lnz = layer.lnz[0]
    total = 0.0
    for t in range(steps):
        for n in range(rows):
            word = targets[t, n]
            g_target[t, n] = 0.0
            G_noise[t, n, :] = 0.0
            if word < 0:
                continue
            used = faster_rnnlm_hashes(hist[t * rows + n], order, modulus, hashes)
            for i in range(count + 1):
                w = word if i == count else noise[t, i]
                z = (z_target[t, n] if i == count else Z_noise[t, n, i]) - lnz
                for k in range(used):
                    z += d[hashes[k] + w]
                if i == count:
                    total += z / LN10
                ratio = math.exp(min(z - layer.noise_lnq[w] - ln_count, SNR_LIMIT))
                err = 1.0 / (1.0 + ratio) if i == count else -ratio / (1.0 + ratio)
                if i == count:
                    g_target[t, n] = err
                else:
                    G_noise[t, n, i] = err
                for k in range(used):
                    at = hashes[k] + w
                    d[at] += alpha * np.float32(err) - d[at] * decay
    return total


@kernel
def add_to_rows(Ow, words, grad, alpha, l2):
    """Ow[words[m]] += alpha * grad[m] - Ow[words[m]] * l2 for words[m] >= 0, in order."""
    for m in range(words.shape[0]):
        w = words[m]
        if w < 0:
            continue
        for j in range(Ow.shape[1]):
            Ow[w, j] += alpha * grad[m, j] - Ow[w, j] * l2


@kernel
def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step, NCE or the exact softmax; returns log10 P(word) before it (NCE: the
    self-normalised score, which costs no sum over the vocabulary)."""
    alpha32, l2_32, decay32 = np.float32(alpha), np.float32(l2), np.float32(maxent_decay)
    e_hidden[:] = 0.0
    if layer.samples[0] > 0:
        result = _nce_step(layer, word, s, d, order, hist, work, alpha32, l2_32, decay32,
                           e_hidden)
        clip(e_hidden, cutoff)
        return result
    z = np.empty(layer.Ow.shape[0])
    used = _logits(layer, s, d, order, hist, work, z)
    log10p = (z[word] - _normalise(z)) / LN10
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


@kernel
def log10_softmax_rows(Z, target, out):
    """out[n] = log10 softmax(Z[n])[target[n]]: one pass for the maximum and one for the
    sum of exponentials (float64) per row, instead of NumPy's float64 copies of Z."""
    for n in range(Z.shape[0]):
        top = Z[n, 0]
        for v in range(1, Z.shape[1]):
            top = max(top, Z[n, v])
        total = 0.0
        for v in range(Z.shape[1]):
            total += math.exp(np.float64(Z[n, v]) - top)
        out[n] = (np.float64(Z[n, target[n]]) - top - math.log(total)) / LN10


@kernel
def add_maxent_rows(Z, d, order, hist, modulus):
    """Z[n, v] += the maxent features of word v after history hist[n], for every row."""
    hashes = np.zeros(order, np.int64)
    for n in range(Z.shape[0]):
        used = faster_rnnlm_hashes(hist[n], order, modulus if d.shape[0] > 0 else 0, hashes)
        for k in range(used):
            base = hashes[k]
            for v in range(Z.shape[1]):
                Z[n, v] += d[base + v]


output.KERNELS[Softmax] = output.Implementations(word_log10_prob, train_word, distribution)

"""Hierarchical softmax over a binary Huffman tree (faster-rnnlm's output layer, arity 2).

Each word w has a path of inner nodes n_1..n_L from the root and a code
c_1..c_L (0: first child, 1: second child).  Node n has a weight row On[n] and
the logit z = On[n] . s + maxent(n); the first child gets sigmoid(z), the
second 1 - sigmoid(z) (a two-way softmax whose second logit is 0), so

    P(w | s) = prod_k sigmoid(sign_k * z_k),   sign = +1 for code 0, -1 for code 1

and sum_w P(w | s) = 1 by construction.  Cost O(L H) per word, L ~ log2 V,
instead of the class softmax's O((C + V/C) H).

Arrays: On (N, H) node rows, N = V - 1 inner nodes, root = 0 (nodes near the
root come first, so the rows every word touches share cache lines);
path_start (V+1,) int32: word w's path is path_start[w]:path_start[w+1] of
path_nodes (int32 node ids) and path_codes (int8).

Maxent: order n's feature of node m sits at d[(h_n + m) mod D], h_n the
target-independent class hash of maxent.feature_hashes; an order with hash 0
ends the orders (rnnlm's quirk, as in the class layer).
"""
import math
from collections import namedtuple

import numpy as np

from ._jit import inline_kernel, kernel
from . import output
from .fastexp import faster_exp
from .maxent import feature_hashes

HierarchicalSoftmax = namedtuple("HierarchicalSoftmax", "On path_start path_nodes path_codes")

LOGIT_LIMIT = 50.0


@inline_kernel
def node_maxent(d, hashes, used, node):
    """Sum of the maxent weights of ``node`` over the active orders."""
    size = d.shape[0]
    total = np.float32(0.0)
    for n in range(used):
        h = hashes[n]
        if h == 0:
            break
        total += d[(h + node) % size]
    return total


@inline_kernel
def update_node_maxent(d, hashes, used, node, step, decay):
    """d += step - d*decay at the features of ``node`` (step = alpha * error)."""
    size = d.shape[0]
    for n in range(used):
        h = hashes[n]
        if h == 0:
            break
        at = (h + node) % size
        d[at] += step - d[at] * decay


@inline_kernel
def node_logit(On, node, s, d, hashes, used):
    """Clamped z = On[node] . s + maxent(node)."""
    row = On[node]
    acc = np.float32(0.0)
    for j in range(s.shape[0]):
        acc += row[j] * s[j]
    if used > 0:
        acc += node_maxent(d, hashes, used, node)
    limit = np.float32(LOGIT_LIMIT)
    return min(max(acc, -limit), limit)


@inline_kernel
def sigmoid(z, fast):
    return np.float32(1.0) / (np.float32(1.0) + (faster_exp(-z) if fast else math.exp(-z)))


@kernel
def _path_start():
    """(product of branch probabilities, log10 of what was folded out of it)."""
    return 1.0, 0.0


@kernel
def _times(path, q):
    """Multiply q in; one log10 per path instead of per node, folding out before underflow."""
    product, folded = path
    product *= q
    if product < 1e-200:
        return 1.0, folded + math.log10(product)
    return product, folded


@kernel
def _log10(path):
    return path[1] + math.log10(path[0])


@kernel
def _node_hashes(d, order, hist, work):
    """The target-independent maxent hashes (in work.class_hash); the number of orders used."""
    return feature_hashes(hist, order, d.shape[0], 0, work.class_hash, work.word_hash)


@kernel
def word_log10_prob(layer, word, s, d, order, hist, work, fast):
    """log10 P(word | s, hist)."""
    hashes = work.class_hash
    used = _node_hashes(d, order, hist, work)
    path = _path_start()
    for k in range(layer.path_start[word], layer.path_start[word + 1]):
        z = node_logit(layer.On, layer.path_nodes[k], s, d, hashes, used)
        path = _times(path, sigmoid(z if layer.path_codes[k] == 0 else -z, fast))
    return _log10(path)


@kernel
def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step of the path of ``word``; returns log10 P(word | s) before it.

    The error of node k is d ln P / d z_k = sign_k * (1 - sigmoid(sign_k * z_k)); all
    logits are taken before any update (work.p_class holds the errors).  e_hidden
    (H,) is overwritten with d ln P / d s through the old rows, clipped to
    +-cutoff; rows get += alpha*err*s - row*l2, maxent += alpha*err - d*decay.
    """
    On = layer.On
    hashes = work.class_hash
    used = _node_hashes(d, order, hist, work)
    hidden = s.shape[0]
    alpha32 = np.float32(alpha)
    l2_32 = np.float32(l2)
    decay32 = np.float32(maxent_decay)
    first, end = layer.path_start[word], layer.path_start[word + 1]
    errors = work.p_class
    path = _path_start()
    # All logits first: the rows are distinct, and independent dot products overlap
    # in the CPU instead of waiting on each other's exp and update.
    for k in range(first, end):
        z = node_logit(On, layer.path_nodes[k], s, d, hashes, used)
        sign = np.float32(1.0) if layer.path_codes[k] == 0 else np.float32(-1.0)
        q = sigmoid(sign * z, fast)         # P(the branch taken)
        path = _times(path, q)
        errors[k - first] = sign * (np.float32(1.0) - q)
    e_hidden[:] = 0.0
    for k in range(first, end):
        node = layer.path_nodes[k]
        err = errors[k - first]
        if used > 0:
            update_node_maxent(d, hashes, used, node, alpha32 * err, decay32)
        step = alpha32 * err
        row = On[node]
        for j in range(hidden):
            w = row[j]
            e_hidden[j] += err * w
            row[j] = w + step * s[j] - w * l2_32
    if cutoff > 0.0:
        limit = np.float32(cutoff)
        for j in range(hidden):
            e_hidden[j] = min(max(e_hidden[j], -limit), limit)
    return _log10(path)


@kernel
def distribution(layer, s, d, order, hist, work, out, fast):
    """out[v] = P(v | s, hist) for every word (work.p_class (N,) gets each node's sigmoid)."""
    hashes, node_p = work.class_hash, work.p_class
    used = _node_hashes(d, order, hist, work)
    for node in range(layer.On.shape[0]):
        node_p[node] = sigmoid(node_logit(layer.On, node, s, d, hashes, used), fast)
    for word in range(out.shape[0]):
        p = 1.0
        for k in range(layer.path_start[word], layer.path_start[word + 1]):
            q = node_p[layer.path_nodes[k]]
            p *= q if layer.path_codes[k] == 0 else 1.0 - q
        out[word] = p


output.KERNELS[HierarchicalSoftmax] = output.Implementations(word_log10_prob, train_word,
                                                            distribution)

"""faster-rnnlm's hierarchical softmax: a k-ary tree (its -arity, 2 by default) with its
own maxent hashing; what faster-rnnlm models load as (output layer hs-faster).

Inner node i has k - 1 weight rows, On[i*(k-1) + b] for branches b < k - 1; with
z_b = On[i*(k-1) + b] . s + maxent(i*(k-1) + b) and z_{k-1} = 0 the branch
probabilities are the softmax of z, so a binary node gives its branch 0
sigmoid(z_0) as kernels/hsoftmax.py does.  Word w's path is path_start[w]:
path_start[w+1] of path_nodes (inner node ids, root first) and path_codes (the
branch taken).

Maxent (maxent.faster_rnnlm_hashes): order n's feature of row r is d[h_n + r],
h_n < hash_mod[0] = D - V.  When scoring, the orders stop at the first one with
a zero feature (|w| < 1e-6: never trained, so that n-gram was never seen) among
a node's rows, for that node and the rest of the path, as faster-rnnlm scores;
training and sampling use every order.

``FasterTree(On, path_start, path_nodes, path_codes, hash_mod, arity)``:
hash_mod and arity are (1,) int64 arrays.  The scratch is kernels.output's
OutputScratch: class_hash holds the hashes, p_class (>= k) the branch values.
"""
import math
from collections import namedtuple

import numpy as np

from ._jit import kernel
from . import output
from .class_softmax import clip
from .maxent import faster_rnnlm_layer_hashes as _hashes, faster_rnnlm_unit_step

FasterTree = namedtuple("FasterTree", "On path_start path_nodes path_codes hash_mod arity")

NULL_WEIGHT = 1e-6
LOGIT_LIMIT = np.float32(50.0)


@kernel
def _scoring_orders(layer, d, hashes, used, node):
    """faster-rnnlm's stop at the first order with a zero feature among the node's rows."""
    rows = layer.arity[0] - 1
    for n in range(used):
        for b in range(rows):
            if abs(d[hashes[n] + node * rows + b]) < NULL_WEIGHT:
                return n
    return used


@kernel
def _branches(layer, node, s, d, hashes, used, p):
    """p[:k] = the softmax over the node's branches (the last one's logit 0)."""
    rows = layer.arity[0] - 1
    total = 1.0
    for b in range(rows):
        row = node * rows + b
        z = np.float32(0.0)
        for j in range(s.shape[0]):
            z += layer.On[row, j] * s[j]
        for n in range(used):
            z += d[hashes[n] + row]
        p[b] = math.exp(min(max(z, -LOGIT_LIMIT), LOGIT_LIMIT))
        total += p[b]
    p[rows] = 1.0
    for b in range(rows + 1):
        p[b] /= total


@kernel
def word_log10_prob(layer, word, s, d, order, hist, work, fast):
    """log10 P(word | s, hist), the orders stopping as faster-rnnlm's scoring stops them."""
    hashes, p = work.class_hash, work.p_class
    used = _hashes(layer, d, order, hist, work)
    total = 0.0
    for k in range(layer.path_start[word], layer.path_start[word + 1]):
        node = layer.path_nodes[k]
        used = _scoring_orders(layer, d, hashes, used, node)
        _branches(layer, node, s, d, hashes, used, p)
        total += math.log10(p[layer.path_codes[k]])
    return total


@kernel
def train_word(layer, word, s, d, order, hist, work, alpha, l2, maxent_decay, cutoff, e_hidden,
               fast):
    """One SGD step along the path; returns log10 P(word) before it.  Branch b's error is
    d ln P / d z_b = [b taken] - p_b; e_hidden gets d ln P / d s through the old rows,
    clipped to +-cutoff; rows += alpha*err*s - row*l2, maxent += alpha*err - d*decay."""
    hashes, p = work.class_hash, work.p_class
    used = _hashes(layer, d, order, hist, work)
    rows = layer.arity[0] - 1
    alpha32, l2_32, decay32 = np.float32(alpha), np.float32(l2), np.float32(maxent_decay)
    e_hidden[:] = 0.0
    total = 0.0
    for k in range(layer.path_start[word], layer.path_start[word + 1]):
        node, taken = layer.path_nodes[k], layer.path_codes[k]
        _branches(layer, node, s, d, hashes, used, p)
        total += math.log10(p[taken])
        for b in range(rows):
            err = np.float32((1.0 if b == taken else 0.0) - p[b])
            row = node * rows + b
            faster_rnnlm_unit_step(layer.On[row], row, err, s, d, hashes, used, alpha32, l2_32,
                                   decay32, e_hidden)
    clip(e_hidden, cutoff)
    return total


@kernel
def distribution(layer, s, d, order, hist, work, out, fast):
    """out[v] = P(v | s, hist) for every word (sampling: every order, as faster-rnnlm)."""
    hashes, p = work.class_hash, work.p_class
    used = _hashes(layer, d, order, hist, work)
    arity = layer.arity[0]
    nodes = layer.On.shape[0] // max(arity - 1, 1)
    branch_p = np.empty((nodes, arity))
    for node in range(nodes):
        _branches(layer, node, s, d, hashes, used, p)
        branch_p[node, :] = p[:arity]
    for word in range(out.shape[0]):
        q = 1.0
        for k in range(layer.path_start[word], layer.path_start[word + 1]):
            q *= branch_p[layer.path_nodes[k], layer.path_codes[k]]
        out[word] = q


output.KERNELS[FasterTree] = output.Implementations(word_log10_prob, train_word, distribution)

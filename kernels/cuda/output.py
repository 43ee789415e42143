"""Output layers on the device, one thread block per scored position.

Forward kernels give log10 P(target) of every position and, for training,
leave the natural-log errors (onehot - P) in per-position scratch rows:
class softmax Ec (P, C) and Ew (P, largest class); tree Eh (P, longest path).
hidden_errors kernels turn them into d ln P / d s through the old weights,
update kernels apply the SGD step with atomic adds (positions share rows).
Formulas, clamps and maxent hashing are those of kernels/class_softmax.py,
kernels/hsoftmax.py and kernels/maxent.py; positions with a negative target
(OOV, padding) get NaN and zero errors.
"""
import math

from numba import config, cuda, float32, int32, int64

from ..class_softmax import SCORE_LIMIT
from ..hsoftmax import LOGIT_LIMIT
from .. import maxent as maxent_kernels
from ..maxent import MAX_ORDER
from .linalg import clamp, larger

# threads per block (a power of two: tree reductions); fewer in the simulator
TPB = 32 if config.ENABLE_CUDASIM else 128
LN10 = math.log(10.0)


# The CPU kernel's Python source compiles for the device as it is (integer
# arithmetic and the prime table only): one definition of rnnlm's hashing.
feature_hashes = cuda.jit(device=True)(maxent_kernels.feature_hashes.py_func)


@cuda.jit(device=True)
def block_reduce(buf, value, take_max):
    """Max or sum of ``value`` over the block's threads (all threads must call)."""
    t = cuda.threadIdx.x
    buf[t] = value
    cuda.syncthreads()
    step = TPB // 2
    while step > 0:
        if t < step:
            buf[t] = larger(buf[t], buf[t + step]) if take_max else buf[t] + buf[t + step]
        cuda.syncthreads()
        step //= 2
    result = buf[0]
    cuda.syncthreads()
    return result


@cuda.jit(device=True)
def dot_row(rows, r, S, n):
    acc = float32(0.0)
    for j in range(S.shape[1]):
        acc += rows[r, j] * S[n, j]
    return acc


@cuda.jit(device=True)
def _hashes_once(hist, n, order, size, target_class, class_hash, word_hash, used):
    """Thread 0 fills the block's shared hash arrays; every thread gets the order count."""
    if cuda.threadIdx.x == 0:
        used[0] = feature_hashes(hist[n], order, size, target_class, class_hash, word_hash)
    cuda.syncthreads()
    return used[0]


@cuda.jit(device=True)
def _log_softmax_row(Z, n, count, index, buf, errors):
    """log P(index) of the clamped logits Z[n, :count]; with ``errors`` Z[n] becomes
    onehot(index) - P."""
    t = cuda.threadIdx.x
    top = float32(-SCORE_LIMIT)
    for k in range(t, count, TPB):
        z = clamp(Z[n, k], -SCORE_LIMIT, SCORE_LIMIT)
        Z[n, k] = z
        top = larger(top, z)
    top = block_reduce(buf, top, True)
    total = float32(0.0)
    for k in range(t, count, TPB):
        total += math.exp(Z[n, k] - top)
    total = block_reduce(buf, total, False)
    result = Z[n, index] - top - math.log(total)
    cuda.syncthreads()
    if errors:
        for k in range(t, count, TPB):
            p = math.exp(Z[n, k] - top) / total
            Z[n, k] = (1.0 if k == index else 0.0) - p
    return result


@cuda.jit
def class_forward(S, targets, hist, Oc, Ow, word_class, class_start, d, order, logp, Ec, Ew,
                  errors):
    n = cuda.blockIdx.x
    t = cuda.threadIdx.x
    class_hash = cuda.shared.array(MAX_ORDER, int64)
    word_hash = cuda.shared.array(MAX_ORDER, int64)
    used_at = cuda.shared.array(1, int32)
    buf = cuda.shared.array(TPB, float32)
    n_classes = Oc.shape[0]
    target = targets[n]
    if target < 0:
        for c in range(t, n_classes, TPB):
            Ec[n, c] = 0.0
        for k in range(t, Ew.shape[1], TPB):
            Ew[n, k] = 0.0
        if t == 0:
            logp[n] = math.nan
        return
    size = d.shape[0]
    target_class = word_class[target]
    used = _hashes_once(hist, n, order, size, target_class, class_hash, word_hash, used_at)
    for c in range(t, n_classes, TPB):
        z = dot_row(Oc, c, S, n)
        for o in range(used):
            h = class_hash[o]
            if h == 0:
                break
            z += d[h + c]
        Ec[n, c] = z
    cuda.syncthreads()
    log_class = _log_softmax_row(Ec, n, n_classes, target_class, buf, errors)
    first = class_start[target_class]
    count = class_start[target_class + 1] - first
    for k in range(t, count, TPB):
        z = dot_row(Ow, first + k, S, n)
        for o in range(used):
            h = word_hash[o]
            if h == 0 or h + k >= size:     # rnnlm's cursor reached 0: this and higher off
                break
            z += d[h + k]
        Ew[n, k] = z
    for k in range(count + t, Ew.shape[1], TPB):
        Ew[n, k] = 0.0
    cuda.syncthreads()
    log_word = _log_softmax_row(Ew, n, count, target - first, buf, errors)
    if t == 0:
        logp[n] = (log_class + log_word) / LN10


@cuda.jit
def class_hidden_errors(targets, Ow, word_class, class_start, Ew, cutoff, E):
    """E[n] = clip(sum_k Ew[n, k] Ow[first + k]) (the class rows are added by gemm)."""
    n = cuda.blockIdx.x
    target = targets[n]
    for j in range(cuda.threadIdx.x, E.shape[1], TPB):
        acc = float32(0.0)
        if target >= 0:
            c = word_class[target]
            first = class_start[c]
            for k in range(class_start[c + 1] - first):
                acc += Ew[n, k] * Ow[first + k, j]
            if cutoff > 0.0:
                acc = clamp(acc, -cutoff, cutoff)
        E[n, j] = acc


@cuda.jit
def class_update(S, targets, hist, Ow, word_class, class_start, d, order, Ec, Ew, alpha, l2,
                 decay):
    """Word rows and maxent weights of each position's SGD step (class rows: gemm)."""
    n = cuda.blockIdx.x
    t = cuda.threadIdx.x
    class_hash = cuda.shared.array(MAX_ORDER, int64)
    word_hash = cuda.shared.array(MAX_ORDER, int64)
    used_at = cuda.shared.array(1, int32)
    target = targets[n]
    if target < 0:
        return
    size = d.shape[0]
    target_class = word_class[target]
    used = _hashes_once(hist, n, order, size, target_class, class_hash, word_hash, used_at)
    first = class_start[target_class]
    count = class_start[target_class + 1] - first
    for k in range(count):
        step = alpha * Ew[n, k]
        for j in range(t, S.shape[1], TPB):
            w = Ow[first + k, j]
            cuda.atomic.add(Ow, (first + k, j), step * S[n, j] - w * l2)
    for c in range(t, Ec.shape[1], TPB):
        for o in range(used):
            h = class_hash[o]
            if h == 0:
                break
            cuda.atomic.add(d, h + c, alpha * Ec[n, c] - d[h + c] * decay)
    for k in range(t, count, TPB):
        for o in range(used):
            h = word_hash[o]
            if h == 0 or h + k >= size:
                break
            cuda.atomic.add(d, h + k, alpha * Ew[n, k] - d[h + k] * decay)


@cuda.jit
def tree_forward(S, targets, hist, On, path_start, path_nodes, path_codes, d, order, logp, Eh,
                 errors):
    n = cuda.blockIdx.x
    t = cuda.threadIdx.x
    hashes = cuda.shared.array(MAX_ORDER, int64)
    unused = cuda.shared.array(MAX_ORDER, int64)
    used_at = cuda.shared.array(1, int32)
    buf = cuda.shared.array(TPB, float32)
    target = targets[n]
    if target < 0:
        for k in range(t, Eh.shape[1], TPB):
            Eh[n, k] = 0.0
        if t == 0:
            logp[n] = math.nan
        return
    size = d.shape[0]
    used = _hashes_once(hist, n, order, size, 0, hashes, unused, used_at)
    first = path_start[target]
    length = path_start[target + 1] - first
    total = float32(0.0)
    for k in range(t, length, TPB):
        node = path_nodes[first + k]
        z = dot_row(On, node, S, n)
        for o in range(used):
            h = hashes[o]
            if h == 0:
                break
            z += d[(h + node) % size]
        z = clamp(z, -LOGIT_LIMIT, LOGIT_LIMIT)
        sign = 1.0 if path_codes[first + k] == 0 else -1.0
        q = 1.0 / (1.0 + math.exp(-sign * z))       # P(the branch taken)
        total += math.log(q)
        Eh[n, k] = sign * (1.0 - q) if errors else 0.0
    for k in range(length + t, Eh.shape[1], TPB):
        Eh[n, k] = 0.0
    total = block_reduce(buf, total, False)
    if t == 0:
        logp[n] = total / LN10


@cuda.jit
def tree_hidden_errors(targets, On, path_start, path_nodes, Eh, cutoff, E):
    """E[n] = clip(sum_k Eh[n, k] On[node_k])."""
    n = cuda.blockIdx.x
    target = targets[n]
    for j in range(cuda.threadIdx.x, E.shape[1], TPB):
        acc = float32(0.0)
        if target >= 0:
            first = path_start[target]
            for k in range(path_start[target + 1] - first):
                acc += Eh[n, k] * On[path_nodes[first + k], j]
            if cutoff > 0.0:
                acc = clamp(acc, -cutoff, cutoff)
        E[n, j] = acc


@cuda.jit
def tree_update(S, targets, hist, On, path_start, path_nodes, d, order, Eh, alpha, l2, decay):
    n = cuda.blockIdx.x
    t = cuda.threadIdx.x
    hashes = cuda.shared.array(MAX_ORDER, int64)
    unused = cuda.shared.array(MAX_ORDER, int64)
    used_at = cuda.shared.array(1, int32)
    target = targets[n]
    if target < 0:
        return
    size = d.shape[0]
    used = _hashes_once(hist, n, order, size, 0, hashes, unused, used_at)
    first = path_start[target]
    length = path_start[target + 1] - first
    for k in range(length):
        node = path_nodes[first + k]
        step = alpha * Eh[n, k]
        for j in range(t, S.shape[1], TPB):
            w = On[node, j]
            cuda.atomic.add(On, (node, j), step * S[n, j] - w * l2)
    for k in range(t, length, TPB):
        node = path_nodes[first + k]
        for o in range(used):
            h = hashes[o]
            if h == 0:
                break
            at = (h + node) % size
            cuda.atomic.add(d, at, alpha * Eh[n, k] - d[at] * decay)

"""Hashed n-gram maximum-entropy ("direct") connections, as rnnlm 0.4b hashes them.

One flat weight array ``d`` (length D) holds two halves: class features in
``[0, D/2)`` and word features in ``[D/2, D)``.  For feature order n (n history
words; order 0 is the bias) and history ``hist`` (``hist[0]`` = previous word):

    S_n    = sum_{i=1..n} P[k_i] * (hist[i-1] + 1),  k_i = ((n*P[i] + i) mod 2^32) mod 36
    class  = (C0 + S_n) mod (D/2)
    word   = (C0 * (class(target) + 1) + S_n) mod (D/2) + D/2,   C0 = P[0]*P[1] mod 2^32

Class unit c reads ``d[class_n + c]``; the k-th word of the target class reads
the word index advanced k times modulo D.  A start index of exactly 0 means "no
feature" and ends the loop over higher orders (rnnlm's quirk, kept so imported
models score identically).  An OOV word in the history stops the orders that
would use it.  The maxent part only *adds* to output scores and is updated with
the same output errors; output layers call these helpers.
"""
import numpy as np

from ._jit import kernel

PRIMES = np.array([
    108641969, 116049371, 125925907, 133333309, 145678979, 175308587,
    197530793, 234567803, 251851741, 264197411, 330864029, 399999781,
    407407183, 459258997, 479012069, 545678687, 560493491, 607407037,
    629629243, 656789717, 716048933, 718518067, 725925469, 733332871,
    753085943, 755555077, 782715551, 790122953, 812345159, 814814293,
    893826581, 923456189, 940740127, 953085797, 985184539, 990122807,
], dtype=np.uint64)

MAX_ORDER = 20
_MASK32 = np.uint64(0xFFFFFFFF)
_BASE = (PRIMES[0] * PRIMES[1]) & _MASK32


@kernel
def feature_hashes(hist, order, size, target_class, class_hash, word_hash):
    """Fill the per-order start indices of the class and word features.

    hist: int32 (>= order) previous words, newest first, -1 = OOV.
    size: D, the length of the maxent array (0 disables maxent).
    Writes class_hash[n] and word_hash[n] for n < order (0 = no feature).
    Returns the number of orders in use.
    """
    if size == 0:
        return 0
    half = np.uint64(size // 2)
    word_base = _BASE * np.uint64(target_class + 1)
    used = order
    for n in range(order):
        class_hash[n] = 0
        word_hash[n] = 0
    for n in range(order):
        if n > 0 and hist[n - 1] < 0:
            used = n
            break
        total = np.uint64(0)
        for i in range(1, n + 1):
            k = ((np.uint64(n) * PRIMES[i] + np.uint64(i)) & _MASK32) % np.uint64(36)
            total += PRIMES[k] * np.uint64(hist[i - 1] + 1)
        class_hash[n] = np.int64((_BASE + total) % half)
        word_hash[n] = np.int64((word_base + total) % half + half)
    return used


@kernel
def add_class_scores(d, class_hash, used, scores):
    """scores[c] += sum over active orders of d[class_hash[n] + c]."""
    for c in range(scores.shape[0]):
        for n in range(used):
            h = class_hash[n]
            if h == 0:
                break
            scores[c] += d[h + c]


@kernel
def update_class_weights(d, class_hash, used, errors, alpha, decay):
    """d[class_hash[n] + c] += alpha*errors[c] - d*decay (the gradient of ln P is errors)."""
    alpha = np.float32(alpha)
    decay = np.float32(decay)
    for c in range(errors.shape[0]):
        step = alpha * errors[c]
        for n in range(used):
            h = class_hash[n]
            if h == 0:
                break
            d[h + c] += step - d[h + c] * decay


@kernel
def add_word_scores(d, word_hash, used, scratch, scores, count):
    """scores[k] += maxent word features of the k-th member of the target class.

    ``scratch`` (>= used) is clobbered: each order's index advances once per
    member and wraps modulo D; an index that becomes 0 disables that order and
    all higher ones for the remaining members (rnnlm's loop, reproduced).
    """
    size = d.shape[0]
    for n in range(used):
        scratch[n] = word_hash[n]
    for k in range(count):
        for n in range(used):
            h = scratch[n]
            if h == 0:
                break
            scores[k] += d[h]
            h += 1
            if h >= size:
                h -= size
            scratch[n] = h


@kernel
def update_word_weights(d, word_hash, used, scratch, errors, count, alpha, decay):
    """The update twin of add_word_scores: same indices, d += alpha*err - d*decay."""
    size = d.shape[0]
    alpha = np.float32(alpha)
    decay = np.float32(decay)
    for n in range(used):
        scratch[n] = word_hash[n]
    for k in range(count):
        step = alpha * errors[k]
        for n in range(used):
            h = scratch[n]
            if h == 0:
                break
            d[h] += step - d[h] * decay
            h += 1
            if h >= size:
                h -= size
            scratch[n] = h


@kernel
def faster_rnnlm_hashes(hist, order, modulus, hashes):
    """faster-rnnlm's maxent feature indices: hashes[n] for n < the orders in use (returned).

    Order n hashes the n previous words in 64-bit arithmetic (no 32-bit masking),
    ``(P[0]*P[1] + sum_{i=1..n} P[(n*P[i] + i) mod 36] * (hist[i-1] + 1)) mod
    modulus``; the feature of output unit u is d[hashes[n] + u].  A history word
    of -1 (before the sentence start, or OOV) ends the orders.
    """
    if modulus == 0:
        return 0
    mod = np.uint64(modulus)
    count = np.uint64(PRIMES.shape[0])
    for n in range(order):
        if n > 0 and hist[n - 1] < 0:
            return n
        total = PRIMES[0] * PRIMES[1]
        for i in range(1, n + 1):
            total += PRIMES[(np.uint64(n) * PRIMES[i] + np.uint64(i)) % count] * \
                np.uint64(hist[i - 1] + 1)
        hashes[n] = np.int64(total % mod)
    return order


@kernel
def faster_rnnlm_unit_step(row, unit, err, s, d, hashes, used, alpha, l2, decay, e_hidden):
    """SGD of one output unit with faster-rnnlm's maxent (its features at d[hashes[n] +
    unit]): e_hidden += err * row (the old row), row += alpha*err*s - row*l2, each feature
    += alpha*err - feature*decay.  alpha, l2 and decay are float32."""
    for n in range(used):
        at = hashes[n] + unit
        d[at] += alpha * err - d[at] * decay
    for j in range(s.shape[0]):
        w = row[j]
        e_hidden[j] += err * w
        row[j] = w + alpha * err * s[j] - w * l2


@kernel
def faster_rnnlm_layer_hashes(layer, d, order, hist, work):
    """faster_rnnlm_hashes for an output layer with a hash_mod (1,) array, into
    work.class_hash; returns the orders used (none without maxent weights)."""
    return faster_rnnlm_hashes(hist, order, layer.hash_mod[0] if d.shape[0] > 0 else 0,
                               work.class_hash)

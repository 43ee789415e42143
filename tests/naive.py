"""Slow, obviously-correct float64 NumPy twins of the Numba kernels.

Each function follows rnnlm 0.4b's description in INTERFACES.md section 2
directly, with Python integers for the hashing, so the kernels can be checked
against it.  Nothing here is fast; everything here is readable.
"""
import numpy as np

PRIMES = [108641969, 116049371, 125925907, 133333309, 145678979, 175308587, 197530793,
          234567803, 251851741, 264197411, 330864029, 399999781, 407407183, 459258997,
          479012069, 545678687, 560493491, 607407037, 629629243, 656789717, 716048933,
          718518067, 725925469, 733332871, 753085943, 755555077, 782715551, 790122953,
          812345159, 814814293, 893826581, 923456189, 940740127, 953085797, 985184539,
          990122807]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def feature_hashes(hist, order, size, target_class):
    """Start indices of class and word features per order (0 = none); stop at OOV."""
    if size == 0:
        return [], []
    half, target_class = size // 2, int(target_class)
    hist = [int(h) for h in hist]
    base = (PRIMES[0] * PRIMES[1]) % 2**32
    class_hash, word_hash = [], []
    for n in range(order):
        if n > 0 and hist[n - 1] == -1:
            break
        total = 0
        for i in range(1, n + 1):
            k = ((n * PRIMES[i] + i) % 2**32) % 36
            total += PRIMES[k] * (hist[i - 1] + 1)
        class_hash.append((base + total) % half)
        word_hash.append((base * (target_class + 1) + total) % half + half)
    return class_hash, word_hash


def class_feature_indices(class_hash, n_classes):
    """For each class unit, the maxent indices it reads."""
    indices = [[] for _ in range(n_classes)]
    for c in range(n_classes):
        for h in class_hash:
            if h == 0:
                break
            indices[c].append(h + c)
    return indices


def word_feature_indices(word_hash, count, size):
    """For each member of the target class, the maxent indices it reads (rnnlm's loop)."""
    current = list(word_hash)
    indices = [[] for _ in range(count)]
    for k in range(count):
        for n in range(len(current)):
            if current[n] == 0:
                break
            indices[k].append(current[n])
            current[n] = (current[n] + 1) % size
    return indices


HIDDEN_TYPES = ("sigmoid", "tanh", "relu", "relu-trunc")   # kind = index


def activation(pre, kind=0):
    pre = np.clip(pre, -50, 50)
    return [sigmoid, np.tanh, lambda x: np.maximum(x, 0),
            lambda x: np.clip(x, 0, 20)][kind](pre)


def activation_derivative(ac, kind=0):
    """f' at the pre-activation, from the activation f(pre)."""
    return [ac * (1 - ac), 1 - ac * ac, (ac > 0) * 1.0, ((ac > 0) & (ac < 20)) * 1.0][kind]


def hidden_forward(U, W, prev_word, h_prev, kind=0):
    pre = W.astype(np.float64) @ h_prev
    if prev_word >= 0:
        pre = pre + U[prev_word]
    return activation(pre, kind)


def faster_exp(x):
    """Mineiro's fasterexp as C computes it: reinterpret truncated float32 bits."""
    p = np.maximum(np.float32(1.442695040) * np.asarray(x, np.float32), np.float32(-126.0))
    bits = (np.float32(8388608.0) * (p + np.float32(126.94269504))).astype(np.uint32)
    return bits.view(np.float32)


def fast_softmax(z):
    """rnnlm 0.4b's softmax: fasterexp of max-subtracted scores, summed in double."""
    z = np.clip(np.asarray(z, np.float32), -50, 50)
    e = faster_exp(z - z.max()).astype(np.float64)
    return (e / e.sum()).astype(np.float32)


def softmax(z):
    z = np.clip(z, -50, 50)
    e = np.exp(z - z.max())
    return e / e.sum()


def output_distributions(s, Oc, Ow, class_start, target_class, d, hist, order):
    """(P(class | s), P(word | target class, s), class indices, word indices)."""
    class_hash, word_hash = feature_hashes(hist, order, len(d), max(target_class, 0))
    class_idx = class_feature_indices(class_hash, Oc.shape[0])
    zc = Oc.astype(np.float64) @ s + np.array([sum(d[i] for i in ix) for ix in class_idx])
    p_class = softmax(zc)
    if target_class < 0:
        return p_class, None, class_idx, None
    first, last = class_start[target_class], class_start[target_class + 1]
    word_idx = word_feature_indices(word_hash, last - first, len(d))
    zw = Ow[first:last].astype(np.float64) @ s + np.array([sum(d[i] for i in ix) for ix in word_idx])
    return p_class, softmax(zw), class_idx, word_idx


def log10_prob(s, Oc, Ow, class_start, word_class, target, d, hist, order):
    c = word_class[target]
    p_class, p_word, _, _ = output_distributions(s, Oc, Ow, class_start, c, d, hist, order)
    return np.log10(p_class[c] * p_word[target - class_start[c]])


def output_backward(s, Oc, Ow, class_start, word_class, target, d, hist, order, alpha, l2,
                    decay, cutoff):
    """rnnlm's learnNet output part: returns (Oc', Ow', d', hidden error)."""
    Oc, Ow, d = Oc.astype(np.float64), Ow.astype(np.float64), d.astype(np.float64)
    c = word_class[target]
    first = class_start[c]
    p_class, p_word, class_idx, word_idx = output_distributions(
        s, Oc, Ow, class_start, c, d, hist, order)
    e_word = -p_word
    e_word[target - first] += 1
    e_class = -p_class
    e_class[c] += 1
    d = d.copy()
    for k, ix in enumerate(word_idx):
        for i in ix:
            d[i] += alpha * e_word[k] - d[i] * decay
    for k, ix in enumerate(class_idx):
        for i in ix:
            d[i] += alpha * e_class[k] - d[i] * decay
    rows = slice(first, first + len(e_word))
    e_hidden = clip(e_word @ Ow[rows], cutoff)
    Ow = Ow.copy()
    Ow[rows] += alpha * np.outer(e_word, s) - Ow[rows] * l2
    e_hidden = clip(e_hidden + e_class @ Oc, cutoff)
    Oc = Oc + alpha * np.outer(e_class, s) - Oc * l2
    return Oc, Ow, d, e_hidden


def tree_logits(s, On, nodes, d, hist, order):
    """Clamped logits of the nodes on a path, maxent at (class hash + node) mod D."""
    class_hash, _ = feature_hashes(hist, order, len(d), 0)
    active = class_hash[:class_hash.index(0)] if 0 in class_hash else class_hash
    z = [On[node] @ s + sum(d[(h + node) % len(d)] for h in active) for node in nodes]
    return np.clip(np.array(z, dtype=np.float64), -50, 50), active


def tree_log10_prob(s, On, path_start, path_nodes, path_codes, target, d, hist, order):
    """Hierarchical softmax: sum over the path of log10 sigmoid(+-z), + for code 0."""
    span = slice(path_start[target], path_start[target + 1])
    z, _ = tree_logits(s, On, path_nodes[span], d, hist, order)
    signs = np.where(path_codes[span] == 0, 1.0, -1.0)
    return float(np.sum(np.log10(sigmoid(signs * z))))


def tree_backward(s, On, path_start, path_nodes, path_codes, target, d, hist, order, alpha,
                  l2, decay, cutoff):
    """SGD on the path: (On', d', hidden error), errors sign*(1 - sigmoid(sign*z))."""
    On, d = On.astype(np.float64).copy(), d.astype(np.float64).copy()
    span = slice(path_start[target], path_start[target + 1])
    nodes = path_nodes[span]
    z, active = tree_logits(s, On, nodes, d, hist, order)
    signs = np.where(path_codes[span] == 0, 1.0, -1.0)
    errors = signs * (1.0 - sigmoid(signs * z))
    e_hidden = np.zeros_like(s, dtype=np.float64)
    for node, err in zip(nodes, errors):
        for h in active:
            i = (h + node) % len(d)
            d[i] += alpha * err - d[i] * decay
        e_hidden += err * On[node]
        On[node] += alpha * err * s - On[node] * l2
    return On, d, clip(e_hidden, cutoff)


def huffman_cost(counts):
    """Total weighted path length of an optimal binary code: the sum of all merge sums."""
    weights, cost = sorted(int(c) for c in counts), 0
    while len(weights) > 1:
        merged = weights.pop(0) + weights.pop(0)
        cost += merged
        weights = sorted(weights + [merged])
    return cost


def numeric_gradient(f, array, indices, eps=1e-5):
    """Central differences of the scalar f at the given indices of ``array``."""
    grads = []
    for index in indices:
        plus, minus = array.copy(), array.copy()
        plus[index] += eps
        minus[index] -= eps
        grads.append((f(plus) - f(minus)) / (2 * eps))
    return np.array(grads)


def clip(values, cutoff):
    return np.clip(values, -cutoff, cutoff) if cutoff > 0 else values


def clip_to_norm(values, limit):
    """values scaled down to an L2 norm of at most limit (0: unchanged)."""
    norm = np.linalg.norm(values)
    return values * (limit / norm) if 0 < limit < norm else values


def hidden_update_direct(U, W, prev_word, h_prev, s, e_hidden, alpha, l2, kind=0):
    U, W = U.astype(np.float64), W.astype(np.float64)
    delta = e_hidden * activation_derivative(s, kind)
    if prev_word >= 0:
        U[prev_word] += alpha * delta - U[prev_word] * l2
    W += alpha * np.outer(delta, h_prev) - W * l2
    return U, W


def bptt_update(U, W, words, acts, errors, h_prev, steps, alpha, l2, cutoff, kind=0,
                clip_norm=0.0):
    """Truncated BPTT over the newest ``steps`` time steps.

    words/acts/errors are lists, oldest first; the newest entry is the current
    token whose recurrent input is h_prev; the carried error is clipped element-wise
    to +-cutoff, then to an L2 norm of clip_norm.  Returns (U', W').
    """
    U, W = U.astype(np.float64), W.astype(np.float64)
    grad_W = np.zeros_like(W)
    grad_U = []
    err = errors[-1].astype(np.float64)
    for step in range(steps):
        now = len(acts) - 1 - step
        inputs = h_prev if step == 0 else acts[now - 1]
        delta = err * activation_derivative(acts[now], kind)
        grad_U.append((words[now], alpha * delta))
        grad_W += alpha * np.outer(delta, inputs)
        err = clip_to_norm(clip(W.T @ delta, cutoff), clip_norm) + errors[now - 1]
    W = W + grad_W - W * l2
    for word, grad in grad_U:
        if word >= 0:
            U[word] += grad - U[word] * l2
    return U, W


class NaiveRNNME:
    """Whole-stream training and scoring as rnnlm 0.4b's trainNet/testNet describe."""

    def __init__(self, U, W, Oc, Ow, d, word_class, class_start, order, independent=False,
                 tree=None):
        """``tree`` = (On, path_start, path_nodes, path_codes) selects the hierarchical
        softmax instead of the class softmax (Oc, Ow, word_class, class_start)."""
        self.U, self.W, self.Oc, self.Ow = (a.astype(np.float64) for a in (U, W, Oc, Ow))
        self.d = d.astype(np.float64)
        self.word_class, self.class_start = word_class, class_start
        self.order = order if len(d) else 0
        self.independent = independent
        self.On = tree[0].astype(np.float64) if tree is not None else None
        self.paths = tree[1:] if tree is not None else None

    def output_log10_prob(self, s, word, hist):
        if self.On is not None:
            return tree_log10_prob(s, self.On, *self.paths, word, self.d, hist, self.order)
        return log10_prob(s, self.Oc, self.Ow, self.class_start, self.word_class, word, self.d,
                          hist, self.order)

    def output_backward(self, s, word, hist, alpha, l2, decay, cutoff):
        """Update the output layer and maxent; returns the hidden error."""
        if self.On is not None:
            self.On, self.d, e_hidden = tree_backward(s, self.On, *self.paths, word, self.d,
                                                      hist, self.order, alpha, l2, decay, cutoff)
        else:
            self.Oc, self.Ow, self.d, e_hidden = output_backward(
                s, self.Oc, self.Ow, self.class_start, self.word_class, word, self.d, hist,
                self.order, alpha, l2, decay, cutoff)
        return e_hidden

    def score(self, tokens, h_start):
        h_prev, hist, out = np.array(h_start, dtype=np.float64), [0] * 20, []
        for word in tokens:
            s = hidden_forward(self.U, self.W, hist[0], h_prev)
            out.append(self.output_log10_prob(s, word, hist) if word >= 0 else 0.0)
            h_prev, hist = s, [word] + hist[:-1]
            if self.independent and word == 0:
                h_prev, hist = np.ones_like(s), [0] * 20
        return np.array(out)

    def train(self, tokens, h_start, alpha, beta, cutoff, bptt_steps, bptt_block):
        h_prev, hist, total = np.array(h_start, dtype=np.float64), [0] * 20, 0.0
        words, acts, errors = [0], [np.zeros_like(h_prev)], [np.zeros_like(h_prev)]
        for counter, word in enumerate(tokens, 1):
            l2 = alpha * beta if counter % 10 == 0 else 0.0
            prev = hist[0]
            s = hidden_forward(self.U, self.W, prev, h_prev)
            total += self.output_log10_prob(s, word, hist)
            e_hidden = self.output_backward(s, word, hist, alpha, l2, alpha * beta, cutoff)
            if bptt_steps == 0:
                self.U, self.W = hidden_update_direct(self.U, self.W, prev, h_prev, s,
                                                      e_hidden, alpha, l2)
            else:
                words, acts, errors = words + [prev], acts + [s], errors + [e_hidden]
                keep = bptt_steps + 1
                words, acts, errors = words[-keep:], acts[-keep:], errors[-keep:]
                if counter % bptt_block == 0 or (self.independent and word == 0):
                    padded = bptt_steps + 1 - len(acts)
                    zeros = [np.zeros_like(s)] * padded
                    self.U, self.W = bptt_update(self.U, self.W, [0] * padded + words,
                                                 zeros + acts, zeros + errors, h_prev,
                                                 bptt_steps, alpha, l2, cutoff)
                    errors = [np.zeros_like(s) for _ in errors]
            h_prev, hist = s, [word] + hist[:-1]
            if self.independent and word == 0:
                h_prev, hist = np.ones_like(s), [0] * 20
                if bptt_steps:
                    words = [0] * (len(words) - 1) + words[-1:]
                    acts = [np.zeros_like(s)] * (len(acts) - 2) + acts[-2:]
                    errors = [np.zeros_like(s)] * (len(errors) - 2) + errors[-2:]
        return total


# ---------------------------------------------------------------- n-gram twins

def count_ngrams(sentences, order):
    """Counter per order of word tuples over <s> w1 .. wn </s>."""
    from collections import Counter
    counts = [Counter() for _ in range(order)]
    for words in sentences:
        tokens = ["<s>"] + list(words) + ["</s>"]
        for k in range(1, order + 1):
            for i in range(len(tokens) - k + 1):
                counts[k - 1][tuple(tokens[i:i + k])] += 1
    return counts


def interpolated_kneser_ney(sentences, order):
    """Textbook interpolated modified Kneser-Ney (Chen & Goodman), no cut-offs.

    Returns p(ngram) -> probability for every counted n-gram not ending in <s>,
    computed with dictionaries and plain loops.
    """
    raw = count_ngrams(sentences, order)
    adjusted = [dict(c) for c in raw]
    for k in range(1, order):
        for gram in adjusted[k - 1]:
            if gram[0] != "<s>":
                adjusted[k - 1][gram] = sum(1 for g in raw[k] if g[1:] == gram)
    vocab = {g[0] for g in raw[0]} - {"<s>"}
    discounts = []
    for k in range(order):
        n = [sum(1 for g, c in adjusted[k].items() if c == i and g[-1] != "<s>") for i in range(5)]
        y = n[1] / (n[1] + 2 * n[2])
        discounts.append((0, 1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3]))
    probs = {}

    def prob(gram):
        k = len(gram)
        if gram in probs:
            return probs[gram]
        context = gram[:-1]
        followers = {g: c for g, c in adjusted[k - 1].items() if g[:-1] == context and g[-1] != "<s>"}
        lower = prob(gram[1:]) if k > 1 else 1.0 / len(vocab)
        if not followers:
            return lower
        total = sum(followers.values())
        d = discounts[k - 1]
        gamma = sum(d[min(c, 3)] for c in followers.values()) / total
        c = followers.get(gram, 0)
        value = max(c - d[min(c, 3)], 0) / total + gamma * lower
        probs[gram] = value
        return value

    return {g: prob(g) for k in range(order) for g in adjusted[k]
            if g[-1] != "<s>" and "</s>" not in g[:-1]}


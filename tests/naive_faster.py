"""float64 NumPy twins of faster-rnnlm's computations (its maxent hashing, its tree, its
recurrent layers), written from its equations as rnnlm-formats(5) states them; the
reader and the hs-faster layer are checked against them."""
import numpy as np

from naive import PRIMES, sigmoid


def faster_rnnlm_hashes(hist, order, modulus):
    """faster-rnnlm's maxent indices: Python integers, wrapped to 64 bits at the end."""
    primes = [int(p) for p in PRIMES]
    hashes = []
    for n in range(order):
        if n > 0 and hist[n - 1] < 0:
            break
        total = primes[0] * primes[1]
        for i in range(1, n + 1):
            total += primes[(n * primes[i] + i) % len(primes)] * (int(hist[i - 1]) + 1)
        hashes.append((total % 2 ** 64) % int(modulus))
    return hashes


def node_log10_prob(On, d, s, node, branch, arity, hashes):
    """log10 of a branch of a node: softmax over the node's rows' logits and a last 0;
    returns it with the hashes left after faster-rnnlm's stop at a zero feature."""
    rows = [node * (arity - 1) + b for b in range(arity - 1)]
    for n, h in enumerate(hashes):
        if any(abs(d[h + row]) < 1e-6 for row in rows):
            hashes = hashes[:n]
            break
    z = [float(On[row] @ s) + sum(float(d[h + row]) for h in hashes) for row in rows] + [0.0]
    z = np.clip(np.array(z), -50, 50)
    return float(np.log10(np.exp(z[branch]) / np.exp(z).sum())), hashes


def faster_tree_log10_prob(s, layer, target, d, hist, order):
    """faster-rnnlm's tree scoring of a FasterTree layer: feature of row r at d[h_n + r];
    from the first zero feature of a node on, that order and the higher ones are out."""
    hashes = faster_rnnlm_hashes(hist, order, layer.hash_mod[0]) if len(d) else []
    total = 0.0
    for k in range(layer.path_start[target], layer.path_start[target + 1]):
        log10, hashes = node_log10_prob(layer.On, d, s, layer.path_nodes[k], layer.path_codes[k],
                                        int(layer.arity[0]), hashes)
        total += log10
    return total


def softmax_log10_prob(s, Ow, target, d, hashes, lnz=None):
    """Full softmax over the word rows, maxent of word v at d[h_n + v]; with ``lnz`` the
    self-normalised (z - lnz) / ln 10 instead."""
    z = Ow.astype(np.float64) @ s + np.array(
        [sum(float(d[h + v]) for h in hashes) for v in range(Ow.shape[0])])
    if lnz is not None:
        return float((z[target] - lnz) / np.log(10))
    return float((z[target] - z.max() - np.log(np.exp(z - z.max()).sum())) / np.log(10))


def softmax_twin(layer, s, target, d, hist, order):
    """The twin of a Softmax layer (kernels/softmax.py)."""
    hashes = faster_rnnlm_hashes(hist, order, layer.hash_mod[0]) if len(d) else []
    return softmax_log10_prob(s, layer.Ow, target, d, hashes,
                              float(layer.lnz[0]) if layer.unnormalised[0] else None)


def faster_rnnlm_tree(counts, arity=2):
    """faster-rnnlm's Huffman tree, transcribed plainly: each word's root-first (inner node,
    branch) path; inner nodes are numbered in order of creation."""
    size = len(counts)
    inner_count = (size - 1) // (arity - 1)
    weight = [int(c) for c in counts] + [2 ** 63 - 1] * inner_count
    parent, branch_of = {}, {}
    leaf, inner = size - 1, size
    for node in range(size, size + inner_count):
        picked = []
        for branch in range(arity):
            if leaf >= 0 and weight[leaf] < weight[inner]:
                picked.append(leaf)
                leaf -= 1
            else:
                picked.append(inner)
                inner += 1
            parent[picked[-1]], branch_of[picked[-1]] = node, branch
        weight[node] = sum(weight[p] for p in picked)
    paths = []
    for word in range(size):
        path, node = [], word
        while node in parent:
            path.append((parent[node] - size, branch_of[node]))
            node = parent[node]
        paths.append(path[::-1])
    return paths


def faster_rnnlm_step(kind, weights, x, h, first):
    """One step of a faster-rnnlm recurrent layer from its stored matrices (x: the
    embedding of the word, or the layer below's output)."""
    if kind in ("sigmoid", "tanh", "relu", "relu-trunc"):
        pre = (x if first else weights["input"] @ x) + weights["recurrent"] @ h
        return {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
                "relu-trunc": lambda v: np.clip(v, 0, 20)}[kind](pre)
    inputs = kind in ("gru-insyn", "gru-full")
    bias = kind in ("gru-bias", "gru-full")
    into = lambda gate: weights[f"{gate}_in"] @ x if inputs else x
    u = sigmoid(into("update") + weights["update_out"] @ h
                + (weights["update_bias"] if bias else 0))
    r = sigmoid(into("reset") + weights["reset_out"] @ h + (weights["reset_bias"] if bias else 0))
    q = np.tanh(into("candidate") + weights["candidate_out"] @ (r * h))
    return (1 - u) * h + u * q


def faster_rnnlm_sentence_log10(model, ids, unnormalised=False):
    """log10 P of a sentence (word ids, </s> added) under a faster-rnnlm model given as
    formats.faster_rnnlm.FasterRnnlmModel, computed from its stored arrays (an NCE
    model's self-normalised score with ``unnormalised``)."""
    paths = faster_rnnlm_tree(model.counts, model.arity)
    maxent = model.maxent_into(model.hash_size)
    modulus = model.hash_size - len(model.words)
    states = [np.zeros(model.hidden) for _ in model.layers]
    sentence = [0] + list(ids) + [0]
    total = 0.0
    for t in range(1, len(sentence)):
        x = model.embeddings[sentence[t - 1]].astype(np.float64)
        for k, weights in enumerate(model.layers):
            states[k] = faster_rnnlm_step(model.layer_type, weights, x, states[k], k == 0)
            x = states[k]
        history = sentence[:t][::-1] + [-1] * model.maxent_order     # -1: before the start
        hashes = faster_rnnlm_hashes(history, model.maxent_order, modulus) \
            if model.hash_size else []
        if model.nce:
            total += softmax_log10_prob(x, model.output_rows, sentence[t], maxent, hashes,
                                        model.nce_lnz if unnormalised else None)
            continue
        for node, branch in paths[sentence[t]]:
            log10, hashes = node_log10_prob(model.output_rows, maxent, x, node, branch,
                                            model.arity, hashes)
            total += log10
    return total

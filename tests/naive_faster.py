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


def faster_tree_log10_prob(s, On, path_start, path_nodes, path_codes, hash_mod, target, d,
                           hist, order):
    """faster-rnnlm's tree scoring: feature of node m at d[h_n + m]; from the first node
    feature with |w| < 1e-6 on, that order and the higher ones are left out."""
    hashes = faster_rnnlm_hashes(hist, order, hash_mod) if len(d) else []
    total = 0.0
    for k in range(path_start[target], path_start[target + 1]):
        node = path_nodes[k]
        for n, h in enumerate(hashes):
            if abs(d[h + node]) < 1e-6:
                hashes = hashes[:n]
                break
        z = float(On[node] @ s) + sum(float(d[h + node]) for h in hashes)
        total += np.log10(sigmoid(np.clip(z if path_codes[k] == 0 else -z, -50, 50)))
    return total


def faster_rnnlm_tree(counts):
    """faster-rnnlm's binary Huffman tree, transcribed plainly: each word's root-first
    (node row, branch) path; rows are inner nodes in order of creation."""
    size = len(counts)
    weight = [int(c) for c in counts] + [2 ** 63 - 1] * (size - 1)
    parent, branch_of = {}, {}
    leaf, inner = size - 1, size
    for node in range(size, 2 * size - 1):
        picked = []
        for branch in range(2):
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


def faster_rnnlm_sentence_log10(model, ids):
    """log10 P of a sentence (word ids, </s> added) under a faster-rnnlm model given as
    formats.faster_rnnlm.FasterRnnlmModel, computed from its stored arrays."""
    paths = faster_rnnlm_tree(model.counts)
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
        for row, branch in paths[sentence[t]]:
            for n, h in enumerate(hashes):
                if abs(model.maxent[h + row]) < 1e-6:
                    hashes = hashes[:n]
                    break
            z = model.output_rows[row] @ x + sum(float(model.maxent[h + row]) for h in hashes)
            total += np.log10(sigmoid(z) if branch == 0 else 1 - sigmoid(z))
    return total

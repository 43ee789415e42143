"""The binary Huffman tree of the hierarchical softmax, as per-word paths.

Frequent words get short paths, so the expected cost per token is about the
unigram entropy in nodes (~10 on PTB against ~200 rows for the class softmax).
"""
from __future__ import annotations

import heapq

import numpy as np


def huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(path_start (V+1,) int32, path_nodes int32, path_codes int8) for word counts (V,).

    Repeatedly merges the two lightest nodes (ties: the older node first, so the
    tree depends only on the counts).  Inner nodes are numbered from the root
    (0) down in reverse order of creation; word w's path runs root first over
    path_nodes[path_start[w]:path_start[w+1]], code 1 where it takes the lighter
    branch of a merge.  A one-word vocabulary has an empty path (P = 1).
    """
    counts = np.asarray(counts, dtype=np.int64)
    size = counts.shape[0]
    inner = max(size - 1, 0)
    parent = np.full(size + inner, -1, np.int64)
    code = np.zeros(size + inner, np.int8)
    heap = [(int(c), w) for w, c in enumerate(counts)]
    heapq.heapify(heap)
    for created in range(inner):
        light_count, light = heapq.heappop(heap)
        heavy_count, heavy = heapq.heappop(heap)
        node = size + created
        parent[light], parent[heavy] = node, node
        code[light] = 1
        heapq.heappush(heap, (light_count + heavy_count, node))
    return paths_from_parents(parent, code, size, lambda above: size + inner - 1 - above)


def faster_rnnlm_paths(counts: np.ndarray, arity: int = 2):
    """The tree faster-rnnlm builds from its vocabulary's counts, as huffman_paths' arrays:
    inner nodes are numbered in order of creation (the root last), as faster-rnnlm
    numbers them, and a code is the branch taken (0 .. arity - 1).

    Its construction: the words, already in descending count order, are leaves taken
    from the last; each new node takes, arity times, the lighter of the next leaf and
    the oldest unused node (the node on ties), its i-th pick being branch i.  A full
    tree needs (V - 1) divisible by (arity - 1); faster-rnnlm pads its vocabulary so.
    """
    counts = np.asarray(counts, dtype=np.int64)
    size = counts.shape[0]
    inner = max(size - 1, 0) // (arity - 1)
    weight = np.concatenate([counts, np.full(inner, np.iinfo(np.int64).max, np.int64)]).tolist()
    parent = np.full(size + inner, -1, np.int64)
    code = np.zeros(size + inner, np.int8)
    next_leaf, next_inner = size - 1, size
    for node in range(size, size + inner):
        total = 0
        for branch in range(arity):
            if next_leaf >= 0 and weight[next_leaf] < weight[next_inner]:
                child, next_leaf = next_leaf, next_leaf - 1
            else:
                child, next_inner = next_inner, next_inner + 1
            parent[child], code[child] = node, branch
            total += weight[child]
        weight[node] = total
    return paths_from_parents(parent, code, size, lambda above: above - size)


def paths_from_parents(parent: np.ndarray, code: np.ndarray, size: int, node_id):
    """Per-word root-first paths of a tree given each node's parent (-1 at the
    root) and branch code; ``node_id`` maps tree node numbers to weight rows."""
    # Climb from every word to the root at once, one level per step.
    steps_nodes, steps_codes = [], []
    current = np.arange(size)
    alive = parent[current] >= 0
    while alive.any():
        above = np.where(alive, parent[current], -1)
        steps_nodes.append(np.where(alive, node_id(above), -1))
        steps_codes.append(np.where(alive, code[current], 0))
        current = np.where(alive, above, current)
        alive = alive & (parent[current] >= 0)
    lengths = np.zeros(size, np.int64)
    if steps_nodes:
        nodes = np.stack(steps_nodes, axis=1)[:, ::-1]      # root first, padding first
        codes = np.stack(steps_codes, axis=1)[:, ::-1]
        real = nodes >= 0
        lengths = real.sum(axis=1)
        path_nodes, path_codes = nodes[real], codes[real]
    else:
        path_nodes, path_codes = np.zeros(0, np.int64), np.zeros(0, np.int8)
    path_start = np.concatenate([[0], np.cumsum(lengths)])
    return (path_start.astype(np.int32), path_nodes.astype(np.int32),
            path_codes.astype(np.int8))

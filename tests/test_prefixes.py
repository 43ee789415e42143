"""The prefix tree of a batch of sentences (rnnlm_cli/prefixes.py) against a naive one
built from tuples: one node per distinct prefix, each token mapped to the node of its
own prefix, parents and histories following the words."""
import numpy as np

from rnnlm_cli.kernels import maxent
from rnnlm_cli.prefixes import PrefixTree

import pytest

SENTENCES = [[5, 3, 8], [5, 3, 9, 2], [5, 3, 8], [], [7], [5, -1, 8], [5, -1], [5, 3]]


def nbest_like(lists=40, size=20, seed=3):
    """Lists of variants of one sentence each (a word or two changed, dropped or added),
    from a small vocabulary: long shared prefixes, and enough nodes for the hash table
    to collide."""
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(lists):
        base = rng.integers(-1, 12, rng.integers(0, 25)).tolist()
        for _ in range(size):
            variant = list(base)
            for _ in range(rng.integers(0, 3)):
                at = int(rng.integers(0, len(variant) + 1))
                choice = rng.integers(3)
                if choice == 0 and at < len(variant):
                    variant[at] = int(rng.integers(-1, 12))
                elif choice == 1 and at < len(variant):
                    del variant[at]
                else:
                    variant.insert(at, int(rng.integers(-1, 12)))
            sentences.append(variant)
    return sentences


@pytest.fixture(params=["handmade", "nbest-like"])
def sentences(request):
    return SENTENCES if request.param == "handmade" else nbest_like()


def build(sentences, before_start=0):
    words = np.array([w for s in sentences for w in s], np.int32)
    return PrefixTree(words, np.array([len(s) for s in sentences], np.int64), before_start)


def node_paths(tree):
    """The inputs from the root to every node, per level."""
    paths = [[(int(tree.inputs[0][0]),)]]
    for inputs, parents in zip(tree.inputs[1:], tree.parents[1:]):
        paths.append([paths[-1][p] + (int(w),) for w, p in zip(inputs, parents)])
    return paths


def test_one_node_per_distinct_prefix_of_inputs(sentences):
    tree = build(sentences)
    paths = node_paths(tree)
    for level, nodes in enumerate(paths):
        expected = {tuple([0] + s + [0])[:level + 1] for s in sentences if len(s) + 1 >= level}
        assert len(nodes) == len(set(nodes)) == len(expected)
        assert set(nodes) == expected


def test_every_token_maps_to_the_node_of_its_prefix(sentences):
    tree = build(sentences)
    flat = [path for nodes in node_paths(tree)[1:] for path in nodes]
    tokens = [(s, t) for s in sentences for t in range(len(s) + 1)]
    assert len(tree.token_nodes) == len(tokens) == tree.offsets[-1]
    for (sentence, t), node in zip(tokens, tree.token_nodes):
        assert flat[node] == tuple([0] + sentence + [0])[:t + 2]
    state, target = tree.scored()
    assert state.size == target.size == len(flat)
    everything = [path for nodes in node_paths(tree) for path in nodes]
    for k, path in enumerate(flat):
        assert everything[state[k]] == path[:-1] and target[k] == path[-1]


def test_histories_are_the_inputs_newest_first(sentences):
    tree = build(sentences, before_start=-1)
    hist = tree.histories()
    everything = [path for nodes in node_paths(tree) for path in nodes]
    assert hist.shape == (len(everything), maxent.MAX_ORDER)
    for path, row in zip(everything, hist):
        newest_first = list(path[::-1]) + [-1] * maxent.MAX_ORDER
        assert row.tolist() == newest_first[:maxent.MAX_ORDER]


def test_shared_prefixes_make_fewer_nodes_than_tokens():
    tree = build(SENTENCES * 3)
    assert tree.first[-1] - tree.first[1] < len(tree.token_nodes) / 3 + 1

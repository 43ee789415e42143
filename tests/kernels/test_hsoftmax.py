"""Hierarchical softmax: the Huffman tree, the kernels against the float64 twins in
naive.py, finite-difference gradients, and the whole-stream loops."""
import numpy as np
import pytest

import naive
from conftest import TinyNet
from rnnlm_cli.huffman import huffman_paths
from rnnlm_cli.kernels import hsoftmax, maxent, output
from rnnlm_cli.kernels.hsoftmax import HierarchicalSoftmax
from rnnlm_cli.kernels.elman import Elman
from rnnlm_cli.network import Network

COUNTS = np.array([40, 90, 33, 12, 12, 7, 5, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1])


def paths_of(tree):
    start, nodes, codes = tree
    return [(list(nodes[start[w]:start[w + 1]]), list(codes[start[w]:start[w + 1]]))
            for w in range(len(start) - 1)]


@pytest.mark.parametrize("counts", [COUNTS, np.ones(16, np.int64), np.array([3, 1]),
                                    np.arange(1, 200) ** 2])
def test_huffman_paths_form_an_optimal_prefix_code_rooted_at_node_0(counts):
    tree = huffman_paths(counts)
    paths = paths_of(tree)
    codes = ["".join(map(str, c)) for _, c in paths]
    assert len(set(codes)) == len(codes)
    assert not any(a != b and b.startswith(a) for a in codes for b in codes)
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)      # a full tree
    assert sum(int(n) * len(c) for n, c in zip(counts, codes)) == naive.huffman_cost(counts)
    nodes_used = {n for nodes, _ in paths for n in nodes}
    assert nodes_used == set(range(len(counts) - 1))
    assert all(nodes[0] == 0 for nodes, _ in paths)
    # A node is reached by one prefix only: the paths describe one tree.
    prefix_of = {}
    for nodes, code in paths:
        for depth, node in enumerate(nodes):
            assert prefix_of.setdefault(node, tuple(code[:depth])) == tuple(code[:depth])


def test_a_one_word_vocabulary_has_an_empty_path():
    start, nodes, codes = huffman_paths(np.array([5]))
    assert list(start) == [0, 0] and nodes.size == 0 and codes.size == 0


class TinyTree:
    def __init__(self, seed=3, hidden=7, direct=4000, order=3, scale=0.5):
        self.base = TinyNet(seed=seed, hidden=hidden, direct=direct, order=order, scale=scale)
        rng = self.base.rng
        self.paths = huffman_paths(COUNTS)
        self.On = (rng.standard_normal((len(COUNTS) - 1, hidden)) * scale).astype(np.float32)

    def layer(self):
        return HierarchicalSoftmax(self.On.copy(), *self.paths)

    def work(self):
        return output.OutputScratch(*(np.zeros(maxent.MAX_ORDER, np.int64) for _ in range(3)),
                                    np.zeros(self.On.shape[0], np.float32),
                                    np.zeros(1, np.float32))


HISTORIES = [[0] * 20, [4, 8, 0] + [0] * 17, [4, -1, 3] + [0] * 17]


@pytest.mark.parametrize("hist", HISTORIES)
def test_log10_prob_matches_the_naive_twin_and_distribution_sums_to_one(hist):
    tiny = TinyTree()
    s = tiny.base.hidden_state()
    layer, work = tiny.layer(), tiny.work()
    h = np.array(hist, np.int32)
    d, order = tiny.base.d, tiny.base.order
    dist = np.zeros(len(COUNTS), np.float32)
    hsoftmax.distribution(layer, s, d, order, h, work, dist, False)
    assert dist.sum() == pytest.approx(1.0, abs=1e-5)
    for word in range(len(COUNTS)):
        got = hsoftmax.word_log10_prob(layer, word, s, d, order, h, work, False)
        ref = naive.tree_log10_prob(s.astype(np.float64), tiny.On, *tiny.paths, word, d, hist,
                                    order)
        assert got == pytest.approx(ref, abs=2e-5)
        assert np.log10(dist[word]) == pytest.approx(ref, abs=1e-4)


@pytest.mark.parametrize("target", [0, 1, 9, 22])
def test_train_word_matches_the_naive_update(target):
    tiny = TinyTree(seed=8)
    s = tiny.base.hidden_state()
    layer, work = tiny.layer(), tiny.work()
    d = tiny.base.d.copy()
    hist = HISTORIES[1]
    e_hidden = np.zeros_like(s)
    logp = hsoftmax.train_word(layer, target, s, d, tiny.base.order, np.array(hist, np.int32),
                               work, 0.3, 0.01, 0.002, 0.5, e_hidden, False)
    On_ref, d_ref, e_ref = naive.tree_backward(s.astype(np.float64), tiny.On, *tiny.paths,
                                               target, tiny.base.d, hist, tiny.base.order,
                                               0.3, 0.01, 0.002, 0.5)
    assert logp == pytest.approx(naive.tree_log10_prob(
        s.astype(np.float64), tiny.On, *tiny.paths, target, tiny.base.d, hist,
        tiny.base.order), abs=2e-5)
    np.testing.assert_allclose(layer.On, On_ref, atol=2e-5)
    np.testing.assert_allclose(d, d_ref, atol=2e-5)
    np.testing.assert_allclose(e_hidden, e_ref, atol=2e-5)
    assert np.any(layer.On != tiny.On) and np.any(d != tiny.base.d)


@pytest.mark.parametrize("target", [1, 5, 21])
def test_updates_are_alpha_times_the_gradient_of_ln_p(target):
    tiny = TinyTree(seed=12, direct=600)
    s = tiny.base.hidden_state()
    s64, d64, On64 = s.astype(np.float64), tiny.base.d.astype(np.float64), \
        tiny.On.astype(np.float64)
    hist, order = HISTORIES[1], tiny.base.order
    layer, d, e_hidden = tiny.layer(), tiny.base.d.copy(), np.zeros_like(s)
    hsoftmax.train_word(layer, target, s, d, order, np.array(hist, np.int32), tiny.work(), 1.0,
                        0.0, 0.0, 0.0, e_hidden, False)

    def ln_p(s_=s64, On=On64, d_=d64):
        return np.log(10) * naive.tree_log10_prob(s_, On, *tiny.paths, target, d_, hist, order)

    start, nodes = tiny.paths[0], tiny.paths[1]
    rows = [(int(n), j) for n in nodes[start[target]:start[target + 1]] for j in (0, 4)]
    touched = [(i,) for i in np.flatnonzero(d != tiny.base.d)]
    assert rows and touched
    for f, before, after, indices in [(lambda a: ln_p(On=a), On64, layer.On, rows),
                                      (lambda a: ln_p(d_=a), d64, d, touched)]:
        update = np.array([after[i] - before[i] for i in indices])
        np.testing.assert_allclose(update, naive.numeric_gradient(f, before, indices),
                                   rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(e_hidden, naive.numeric_gradient(
        lambda a: ln_p(s_=a), s64, [(j,) for j in range(s.shape[0])]), rtol=1e-3, atol=1e-4)


def tree_network(tiny, independent=False):
    base = tiny.base
    return Network(hidden=Elman(base.U.copy(), base.W.copy(), 0), output=tiny.layer(), d=base.d.copy(),
                   h_init=np.full(base.W.shape[0], 0.1, np.float32),
                   direct_order=base.order or 3, independent=independent)


def naive_twin(tiny, independent=False):
    base = tiny.base
    return naive.NaiveRNNME(base.U, base.W, base.Oc, base.Ow, base.d, base.word_class,
                            base.class_start, base.order, independent,
                            tree=(tiny.On, *tiny.paths))


def tokens(rng, length=70):
    stream = rng.integers(-1, len(COUNTS), length).astype(np.int32)
    stream[rng.random(length) < 0.15] = 0
    stream[-1] = 0
    return stream


@pytest.mark.parametrize("independent", [False, True])
def test_scoring_a_stream_matches_the_naive_twin(independent):
    tiny = TinyTree(seed=4)
    stream = tokens(tiny.base.rng)
    net = tree_network(tiny, independent)
    ws = net.workspace()
    ws.start(0.1)
    got = net.score(stream, ws)
    ref = naive_twin(tiny, independent).score(stream, np.full(7, 0.1))
    np.testing.assert_allclose(got, ref, atol=5e-5)


@pytest.mark.parametrize("bptt_steps, block", [(0, 1), (4, 3)])
def test_training_a_stream_matches_the_naive_twin(bptt_steps, block):
    tiny = TinyTree(seed=6, scale=0.3)
    stream = tokens(tiny.base.rng, 80)
    stream[stream < 0] = 2
    net = tree_network(tiny)
    ws = net.workspace(bptt_steps)
    ws.start(0.1)
    total = net.train(stream, ws, 0.2, 1e-3, 15.0, block)
    ref = naive_twin(tiny)
    ref_total = ref.train(stream, np.full(7, 0.1), 0.2, 1e-3, 15.0, bptt_steps, block)
    assert total == pytest.approx(ref_total, rel=1e-4)
    for name, mine in net.weights().items():
        if name != "h_init":
            np.testing.assert_allclose(mine, getattr(ref, name), rtol=2e-3, atol=2e-4,
                                       err_msg=name)

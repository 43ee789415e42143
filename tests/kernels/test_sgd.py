"""The fused training/scoring loops against the naive whole-stream twin."""
import numpy as np
import pytest

import naive
from conftest import TinyNet
from rnnlm_cli.kernels.elman import Elman
from rnnlm_cli.network import Network


def network(tiny, independent=False):
    return Network(hidden=Elman(tiny.U.copy(), tiny.W.copy(), 0), output=tiny.class_layer(),
                   d=tiny.d.copy(), h_init=np.full(tiny.W.shape[0], 0.1, np.float32),
                   direct_order=tiny.order or 3, independent=independent)


def token_stream(rng, length=60, vocab=23, with_oov=False):
    tokens = rng.integers(1 if not with_oov else -1, vocab, length).astype(np.int32)
    tokens[rng.random(length) < 0.15] = 0
    tokens[-1] = 0
    return tokens


@pytest.mark.parametrize("independent", [False, True])
@pytest.mark.parametrize("direct", [0, 4000])
def test_score_matches_naive(independent, direct):
    tiny = TinyNet(seed=3, direct=direct)
    tokens = token_stream(tiny.rng, with_oov=True)
    net = network(tiny, independent)
    ws = net.workspace()
    ws.start(0.1)
    got = net.score(tokens, ws)
    ref = naive.NaiveRNNME(tiny.U, tiny.W, tiny.Oc, tiny.Ow, tiny.d, tiny.word_class,
                           tiny.class_start, tiny.order, independent).score(tokens, np.full(7, 0.1))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bptt_steps,block", [(0, 10), (4, 3), (13, 10)])
@pytest.mark.parametrize("independent", [False, True])
def test_train_matches_naive(bptt_steps, block, independent):
    tiny = TinyNet(seed=5, scale=0.3)
    tokens = token_stream(tiny.rng, length=80)
    net = network(tiny, independent)
    ws = net.workspace(bptt_steps)
    ws.start(0.1)
    total = net.train(tokens, ws, 0.2, 1e-3, 15.0, block)
    ref = naive.NaiveRNNME(tiny.U, tiny.W, tiny.Oc, tiny.Ow, tiny.d, tiny.word_class,
                           tiny.class_start, tiny.order, independent)
    ref_total = ref.train(tokens, np.full(7, 0.1), 0.2, 1e-3, 15.0, bptt_steps, block)
    assert total == pytest.approx(ref_total, rel=1e-4)
    for name in ("U", "W", "Oc", "Ow", "d"):
        np.testing.assert_allclose(net.weights()[name], getattr(ref, name), rtol=2e-3, atol=2e-4,
                                   err_msg=name)


def test_training_lowers_the_loss_on_repeated_text():
    tiny = TinyNet(seed=9, scale=0.1)
    tokens = np.tile(np.array([3, 7, 12, 0, 5, 9, 0], np.int32), 40)
    net = network(tiny)
    ws = net.workspace(5)
    losses = []
    for _ in range(5):
        ws.start(0.1)
        losses.append(-net.train(tokens, ws, 0.1, 1e-7, 15.0, 10))
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("direct", [0, 4000])
@pytest.mark.parametrize("history", [[0], [4, 12], [22, -1, 5], [1, 2, 3, 4, 5]])
def test_distribution_sums_to_one(direct, history):
    tiny = TinyNet(seed=11, direct=direct, scale=1.0)
    net = network(tiny)
    ws = net.workspace()
    ws.start(0.5)
    ws.h_prev[:] = tiny.hidden_state()
    ws.hist[:len(history)] = history
    p = net.distribution(ws)
    assert p.shape == (23,)
    assert np.all(p > 0)
    assert float(p.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-5)
    # and it is the distribution the scorer uses for the next token
    for word in (0, 7, 22):
        ws2 = net.workspace()
        ws2.start(0.5)
        ws2.h_prev[:], ws2.hist[:] = ws.h_prev, ws.hist
        logp = net.score(np.array([word], np.int32), ws2)[0]
        assert 10 ** logp == pytest.approx(float(p[word]), rel=1e-4)

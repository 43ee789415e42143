"""Noise-contrastive estimation of the full softmax (kernels/softmax.py, -nce K): the
noise draws follow their distribution, and one step moves every parameter by alpha
times the gradient of the NCE log-likelihood (finite differences of a float64 twin)."""
from types import SimpleNamespace

import numpy as np
import pytest

from naive_faster import faster_rnnlm_hashes
from rnnlm_cli.config import ModelConfig
from rnnlm_cli.kernels import softmax
from rnnlm_cli.layers.softmax import SoftmaxSpec, noise_distribution

COUNTS = np.array([40, 90, 33, 12, 12, 7, 5, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 0, 1, 1])
HIDDEN, ORDER = 6, 3


def nce_layer(samples, seed=0, power=0.75):
    config = ModelConfig(hidden=HIDDEN, nce=samples, nce_lnz=1.5, nce_unigram_power=power,
                         direct=0.0005, direct_order=ORDER)
    rng = np.random.default_rng(seed)
    rows = rng.normal(0, 0.5, (len(COUNTS), HIDDEN)).astype(np.float32)
    layer = SoftmaxSpec().layer(rows, config.nce_lnz, config, COUNTS,
                                np.array([seed], np.uint64))
    d = rng.normal(0, 0.3, config.direct_size).astype(np.float32)
    return layer, d, rng.uniform(0.05, 0.95, HIDDEN).astype(np.float32)


def test_noise_draws_follow_the_smoothed_unigram_distribution():
    layer, _, _ = nce_layer(samples=50)
    cdf, lnq = noise_distribution(COUNTS, 0.75)
    draws = np.empty(50, np.int64)
    seen = np.zeros(len(COUNTS))
    for _ in range(2000):
        softmax.draw_noise(layer, draws)
        np.add.at(seen, draws, 1)
    q = np.exp(lnq)
    assert q[17] > 0 and q.sum() == pytest.approx(1.0)       # a zero count keeps a share
    assert seen / seen.sum() == pytest.approx(q, abs=0.004)   # 100k draws


def nce_objective(Ow, d, s, word, noise, layer, hashes):
    """ln sigma(D_target) + sum over noise of ln(1 - sigma(D_w)), D_w = z_w - lnZ - ln(K q_w)."""
    count = len(noise)

    def delta(w):
        z = Ow[w] @ s + sum(d[h + w] for h in hashes)
        return z - float(layer.lnz[0]) - layer.noise_lnq[w] - np.log(count)
    log_sigmoid = lambda x: -np.log1p(np.exp(-x))
    return log_sigmoid(delta(word)) + sum(log_sigmoid(-delta(w)) for w in noise)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_nce_step_is_alpha_times_the_gradient(seed):
    layer, d, s = nce_layer(samples=4, seed=seed)
    word, hist = 5, np.array([3, 1, 0] + [0] * 17, np.int32)
    hashes = faster_rnnlm_hashes(hist, ORDER, layer.hash_mod[0])
    noise = np.empty(4, np.int64)
    softmax.draw_noise(layer._replace(noise_state=layer.noise_state.copy()), noise)
    work = SoftmaxSpec().scratch(layer)
    Ow0, d0 = layer.Ow.astype(np.float64).copy(), d.astype(np.float64).copy()
    e_hidden = np.zeros(HIDDEN, np.float32)
    alpha = 1e-3
    softmax.train_word(layer, word, s, d, ORDER, hist, work, alpha, 0.0, 0.0, 0.0, e_hidden,
                       False)
    objective = lambda Ow, d, s: nce_objective(Ow, d, s, word, noise, layer, hashes)
    eps = 1e-5
    for w in {word, *noise.tolist()}:
        for j in (0, HIDDEN - 1):
            bumped = Ow0.copy()
            bumped[w, j] += eps
            grad = (objective(bumped, d0, s) - objective(Ow0, d0, s)) / eps
            assert (layer.Ow[w, j] - Ow0[w, j]) / alpha == pytest.approx(grad, abs=2e-3)
    at = hashes[1] + word
    bumped = d0.copy()
    bumped[at] += eps
    grad = (objective(Ow0, bumped, s) - objective(Ow0, d0, s)) / eps
    assert (d[at] - d0[at]) / alpha == pytest.approx(grad, abs=2e-3)
    for j in range(HIDDEN):
        bumped = s.astype(np.float64).copy()
        bumped[j] += eps
        grad = (objective(Ow0, d0, bumped) - objective(Ow0, d0, s)) / eps
        assert e_hidden[j] == pytest.approx(grad, abs=2e-3)


def test_a_mini_batch_block_step_is_alpha_times_the_gradient_with_shared_noise():
    """-batch: the rows of a step share its noise words; the block's step moves each row,
    maxent feature and hidden error along the summed NCE log-likelihood's gradient."""
    layer, d, _ = nce_layer(samples=3, seed=4)
    steps, streams = 2, 3
    rng = np.random.default_rng(5)
    S = rng.uniform(0.05, 0.95, (steps * streams, HIDDEN)).astype(np.float32)
    targets = np.array([5, 0, 9, 1, -2, 5], np.int32)        # -2: a stream past its end
    hist = rng.integers(0, len(COUNTS), (steps * streams, 20)).astype(np.int32)
    noise = np.empty((steps, 3), np.int64)
    softmax.draw_noise_rows(layer._replace(noise_state=layer.noise_state.copy()), noise)
    hashes = [faster_rnnlm_hashes(h, ORDER, layer.hash_mod[0]) for h in hist]
    Ow0, d0, S0 = (a.astype(np.float64).copy() for a in (layer.Ow, d, S))
    alpha = 1e-3
    net = SimpleNamespace(output=layer, d=d, maxent_order=ORDER)
    _, errors = SoftmaxSpec().train_block(net, S, targets, hist, alpha, 0.0, 0.0, 0.0,
                                          streams)

    def objective(Ow, d, S):
        return sum(nce_objective(Ow, d, S[n], targets[n], noise[n // streams], layer,
                                 hashes[n]) for n in range(len(targets)) if targets[n] >= 0)
    eps = 1e-5
    base = objective(Ow0, d0, S0)
    for w in {*targets[targets >= 0].tolist(), *noise.ravel().tolist()}:
        bumped = Ow0.copy()
        bumped[w, 2] += eps
        grad = (objective(bumped, d0, S0) - base) / eps
        assert (layer.Ow[w, 2] - Ow0[w, 2]) / alpha == pytest.approx(grad, abs=2e-3)
    at = hashes[0][1] + targets[0]
    bumped = d0.copy()
    bumped[at] += eps
    assert (d[at] - d0[at]) / alpha == pytest.approx((objective(Ow0, bumped, S0) - base) / eps,
                                                     abs=2e-3)
    for n in range(len(targets)):
        for j in (0, HIDDEN - 1):
            bumped = S0.copy()
            bumped[n, j] += eps
            grad = (objective(Ow0, d0, bumped) - base) / eps
            assert errors[n, j] == pytest.approx(grad, abs=2e-3)

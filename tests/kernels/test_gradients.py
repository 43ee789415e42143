"""Finite-difference checks: every SGD update equals alpha times the gradient of ln P.

The losses are evaluated with the float64 twins in naive.py; the updates come
from the float32 kernels with L2 and clipping off, so update/alpha must equal
the derivative of the natural-log likelihood.
"""
import numpy as np
import pytest

import naive
from conftest import TinyNet
from rnnlm_cli.kernels import class_softmax, maxent, rnn

ALPHA = 1.0
numeric_gradient = naive.numeric_gradient


def sample_indices(rng, shape, n=12):
    return [tuple(int(rng.integers(0, k)) for k in shape) for _ in range(n)]


def ln_p(net, s, target, hist, Oc=None, Ow=None, d=None):
    return np.log(10) * naive.log10_prob(
        s, net.Oc if Oc is None else Oc, net.Ow if Ow is None else Ow, net.class_start,
        net.word_class, target, net.d if d is None else d, hist, net.order)


@pytest.mark.parametrize("target", [0, 2, 13, 20])
def test_output_layer_gradients(target):
    net = TinyNet(seed=21, direct=600)
    s = net.hidden_state()
    hist = [4, 8, 0] + [0] * 17
    target_class = int(net.word_class[target])
    class_hash = np.zeros(maxent.MAX_ORDER, np.int64)
    word_hash = np.zeros(maxent.MAX_ORDER, np.int64)
    used = maxent.feature_hashes(np.array(hist, np.int32), net.order, net.d.shape[0],
                                 target_class, class_hash, word_hash)
    scratch = np.zeros(maxent.MAX_ORDER, np.int64)
    p_class, p_word = np.zeros(net.Oc.shape[0], np.float32), np.zeros(16, np.float32)
    class_softmax.forward(s, net.Oc, net.Ow, net.class_start, target_class, net.d, class_hash,
                          word_hash, used, scratch, p_class, p_word, False)
    Oc, Ow, d, e_hidden = net.Oc.copy(), net.Ow.copy(), net.d.copy(), np.zeros_like(s)
    class_softmax.backward(s, Oc, Ow, net.class_start, target, target_class, d, class_hash,
                           word_hash, used, scratch, p_class, p_word, ALPHA, 0.0, 0.0, 0.0,
                           e_hidden)
    s64, rng = s.astype(np.float64), net.rng
    first = net.class_start[target_class]
    word_rows = [(first + k, j) for k in range(net.class_start[target_class + 1] - first)
                 for j in (0, 3, 6)]
    checks = [
        (lambda a: ln_p(net, s64, target, hist, Oc=a), net.Oc.astype(np.float64), Oc,
         sample_indices(rng, net.Oc.shape)),
        (lambda a: ln_p(net, s64, target, hist, Ow=a), net.Ow.astype(np.float64), Ow, word_rows),
        (lambda a: ln_p(net, s64, target, hist, d=a), net.d.astype(np.float64), d,
         [(i,) for i in np.flatnonzero(d != net.d)]),
    ]
    for f, before, after, indices in checks:
        assert indices, "no parameter was touched"
        numeric = numeric_gradient(f, before, indices)
        update = np.array([(after[i] - before[i]) / ALPHA for i in indices])
        np.testing.assert_allclose(update, numeric, rtol=1e-3, atol=1e-4)
    numeric_s = numeric_gradient(lambda a: ln_p(net, a, target, hist), s64,
                                 [(j,) for j in range(s.shape[0])])
    np.testing.assert_allclose(e_hidden, numeric_s, rtol=1e-3, atol=1e-4)


def sequence_loss(net, U, W, words, targets, h0, kind=0):
    """Sum of ln P(target_t) over a sequence, output layer fixed."""
    h, total = h0, 0.0
    for word, target in zip(words, targets):
        h = naive.hidden_forward(U, W, word, h, kind)
        total += np.log(10) * naive.log10_prob(h, net.Oc, net.Ow, net.class_start,
                                               net.word_class, target, net.d, [0] * 20, 0)
    return total


def hidden_errors(net, U, W, words, targets, h0, kind=0):
    acts, errors, h = [], [], h0
    for word, target in zip(words, targets):
        h = naive.hidden_forward(U, W, word, h, kind)
        acts.append(h)
        errors.append(numeric_gradient(
            lambda a: np.log(10) * naive.log10_prob(a, net.Oc, net.Ow, net.class_start,
                                                    net.word_class, target, net.d, [0] * 20, 0),
            h, [(j,) for j in range(h.shape[0])]))
    return acts, errors


@pytest.mark.parametrize("kind", range(len(naive.HIDDEN_TYPES)))
@pytest.mark.parametrize("length", [1, 5])
def test_hidden_layer_gradients_through_time(length, kind):
    """Full BPTT over a whole sequence equals the exact gradient of its log-likelihood."""
    net = TinyNet(seed=31, direct=0)
    rng = net.rng
    words = [int(w) for w in rng.integers(0, 23, length)]
    targets = [int(w) for w in rng.integers(0, 23, length)]
    h0 = net.hidden_state().astype(np.float64)
    U64, W64 = net.U.astype(np.float64), net.W.astype(np.float64)
    acts, errors = hidden_errors(net, U64, W64, words, targets, h0, kind)
    hidden = h0.shape[0]
    slots = length + 2
    ring_word = np.zeros(slots, np.int32)
    ring_ac = np.zeros((slots, hidden), np.float32)
    ring_er = np.zeros((slots, hidden), np.float32)
    ring_ac[0] = h0                        # time 0: the initial state, no error
    for t in range(length):
        ring_word[t + 1], ring_ac[t + 1], ring_er[t + 1] = words[t], acts[t], errors[t]
    h_prev = (acts[-2] if length > 1 else h0).astype(np.float32)
    U, W = net.U.copy(), net.W.copy()
    if length == 1:
        e_hidden = errors[0].astype(np.float32)
        rnn.update_direct(U, W, words[0], h_prev, acts[0].astype(np.float32), e_hidden, ALPHA, 0,
                          kind)
    else:
        rnn.update_bptt(U, W, ring_word, ring_ac, ring_er, length, length, h_prev, ALPHA, 0.0,
                        0.0, 0.0, np.zeros((length, hidden), np.float32),
                        *(np.zeros(hidden, np.float32) for _ in range(3)), kind)
    w_idx = sample_indices(rng, W.shape)
    numeric_W = numeric_gradient(lambda a: sequence_loss(net, U64, a, words, targets, h0, kind),
                                 W64, w_idx)
    np.testing.assert_allclose([(W[i] - net.W[i]) / ALPHA for i in w_idx], numeric_W,
                               rtol=2e-3, atol=2e-4)
    u_idx = [(w, j) for w in set(words) for j in range(hidden)]
    numeric_U = numeric_gradient(lambda a: sequence_loss(net, a, W64, words, targets, h0, kind),
                                 U64, u_idx)
    np.testing.assert_allclose([(U[i] - net.U[i]) / ALPHA for i in u_idx], numeric_U,
                               rtol=2e-3, atol=2e-4)

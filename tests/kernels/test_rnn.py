import numpy as np
import pytest

import naive
from rnnlm_cli.kernels import rnn


KINDS = range(len(naive.HIDDEN_TYPES))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("prev_word", [0, 5, -1])
def test_forward_matches_naive(tiny, prev_word, kind):
    h_prev = tiny.hidden_state()
    s = np.zeros_like(h_prev)
    rnn.forward(tiny.U * 4, tiny.W * 4, prev_word, h_prev, s, kind, False)
    np.testing.assert_allclose(
        s, naive.hidden_forward(tiny.U * 4, tiny.W * 4, prev_word, h_prev, kind),
        rtol=1e-5, atol=1e-6)


def test_hidden_types_follow_the_config_names():
    from rnnlm_cli.config import HIDDEN_TYPES
    from rnnlm_cli.layers.elman import UNIT_TYPES
    assert UNIT_TYPES == naive.HIDDEN_TYPES == HIDDEN_TYPES[:len(UNIT_TYPES)]
    assert UNIT_TYPES.index("tanh") == rnn.TANH
    assert UNIT_TYPES.index("relu-trunc") == rnn.RELU_TRUNC


def test_forward_saturates_without_overflow(tiny):
    s = np.zeros(tiny.W.shape[0], np.float32)
    rnn.forward(tiny.U * 1e4, tiny.W, 3, np.ones_like(s), s, rnn.SIGMOID, False)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    rnn.forward(tiny.U * 1e4, tiny.W, 3, np.ones_like(s), s, rnn.RELU_TRUNC, False)
    assert np.all((s >= 0) & (s <= 20)) and np.any(s == 20)


@pytest.mark.parametrize("kind", KINDS)
def test_direct_update_matches_naive(tiny, kind):
    h_prev, s = tiny.hidden_state(), tiny.hidden_state()
    s[0] = 0.0                       # a relu unit that is off
    e_hidden = tiny.rng.standard_normal(s.shape).astype(np.float32)
    U, W = tiny.U.copy(), tiny.W.copy()
    ref_U, ref_W = naive.hidden_update_direct(U, W, 4, h_prev, s, e_hidden.copy(), 0.1, 1e-3,
                                              kind)
    rnn.update_direct(U, W, 4, h_prev, s, e_hidden, 0.1, 1e-3, kind)
    np.testing.assert_allclose(U, ref_U, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W, ref_W, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("steps,cutoff,clip", [(1, 0.0, 0.0), (4, 0.0, 0.0), (6, 0.3, 0.0),
                                               (6, 0.0, 0.05), (6, 0.3, 0.05)])
def test_bptt_matches_naive(tiny, steps, cutoff, clip, kind):
    slots = steps + 2
    hidden = tiny.W.shape[0]
    words = list(tiny.rng.integers(-1, 23, slots).astype(np.int32))
    acts = [tiny.hidden_state() for _ in range(slots)]
    errors = [tiny.rng.standard_normal(hidden).astype(np.float32) for _ in range(slots)]
    h_prev = tiny.hidden_state()
    ref_U, ref_W = naive.bptt_update(tiny.U, tiny.W, words, acts, errors, h_prev, steps, 0.1,
                                     1e-3, cutoff, kind, clip)
    # ring buffer with the newest entry at slot `head`
    head = 3 % slots
    order = [(head - (slots - 1 - i)) % slots for i in range(slots)]
    ring_word = np.zeros(slots, np.int32)
    ring_ac = np.zeros((slots, hidden), np.float32)
    ring_er = np.zeros((slots, hidden), np.float32)
    for i, slot in enumerate(order):
        ring_word[slot], ring_ac[slot], ring_er[slot] = words[i], acts[i], errors[i]
    U, W = tiny.U.copy(), tiny.W.copy()
    rnn.update_bptt(U, W, ring_word, ring_ac, ring_er, head, steps, h_prev, 0.1, 1e-3, cutoff,
                    clip, np.zeros((steps, hidden), np.float32),
                    *(np.zeros(hidden, np.float32) for _ in range(3)), kind)
    np.testing.assert_allclose(U, ref_U, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W, ref_W, rtol=1e-5, atol=1e-6)
    assert not ring_er.any()

import numpy as np
import pytest

import naive
from rnnlm_cli.kernels import rnn


@pytest.mark.parametrize("prev_word", [0, 5, -1])
def test_forward_matches_naive(tiny, prev_word):
    h_prev = tiny.hidden_state()
    s = np.zeros_like(h_prev)
    rnn.forward(tiny.U, tiny.W, prev_word, h_prev, s, False)
    np.testing.assert_allclose(s, naive.hidden_forward(tiny.U, tiny.W, prev_word, h_prev),
                               rtol=1e-5, atol=1e-7)


def test_forward_saturates_without_overflow(tiny):
    s = np.zeros(tiny.W.shape[0], np.float32)
    rnn.forward(tiny.U * 1e4, tiny.W, 3, np.ones_like(s), s, False)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))


def test_direct_update_matches_naive(tiny):
    h_prev, s = tiny.hidden_state(), tiny.hidden_state()
    e_hidden = tiny.rng.standard_normal(s.shape).astype(np.float32)
    U, W = tiny.U.copy(), tiny.W.copy()
    ref_U, ref_W = naive.hidden_update_direct(U, W, 4, h_prev, s, e_hidden.copy(), 0.1, 1e-3)
    rnn.update_direct(U, W, 4, h_prev, s, e_hidden, 0.1, 1e-3)
    np.testing.assert_allclose(U, ref_U, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W, ref_W, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("steps,cutoff", [(1, 0.0), (4, 0.0), (6, 0.3)])
def test_bptt_matches_naive(tiny, steps, cutoff):
    slots = steps + 2
    hidden = tiny.W.shape[0]
    words = list(tiny.rng.integers(-1, 23, slots).astype(np.int32))
    acts = [tiny.hidden_state() for _ in range(slots)]
    errors = [tiny.rng.standard_normal(hidden).astype(np.float32) for _ in range(slots)]
    h_prev = tiny.hidden_state()
    ref_U, ref_W = naive.bptt_update(tiny.U, tiny.W, words, acts, errors, h_prev, steps, 0.1,
                                     1e-3, cutoff)
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
                    np.zeros((hidden, hidden), np.float32), np.zeros((steps, hidden), np.float32),
                    np.zeros(hidden, np.float32), np.zeros(hidden, np.float32))
    np.testing.assert_allclose(U, ref_U, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(W, ref_W, rtol=1e-5, atol=1e-6)
    assert not ring_er.any()

import numpy as np
import pytest

import naive
from rnnlm_cli.kernels import class_softmax, maxent


def run_forward(net, s, target_class, hist):
    class_hash = np.zeros(maxent.MAX_ORDER, np.int64)
    word_hash = np.zeros(maxent.MAX_ORDER, np.int64)
    hist_arr = np.zeros(maxent.MAX_ORDER, np.int32)
    hist_arr[:len(hist)] = hist
    used = maxent.feature_hashes(hist_arr, net.order, net.d.shape[0], max(target_class, 0),
                                 class_hash, word_hash)
    p_class = np.zeros(net.Oc.shape[0], np.float32)
    p_word = np.zeros(16, np.float32)
    count = class_softmax.forward(s, net.Oc, net.Ow, net.class_start, target_class, net.d,
                                  class_hash, word_hash, used, np.zeros(maxent.MAX_ORDER, np.int64),
                                  p_class, p_word, False)
    return p_class, p_word[:count], (class_hash, word_hash, used)


@pytest.mark.parametrize("target_class,hist", [(0, [0]), (2, [3, 7]), (4, [22, 5, 1]),
                                                (3, [-1, 2]), (-1, [4, 4])])
def test_forward_matches_naive(tiny, target_class, hist):
    s = tiny.hidden_state()
    p_class, p_word, _ = run_forward(tiny, s, target_class, hist)
    ref_class, ref_word, _, _ = naive.output_distributions(
        s.astype(np.float64), tiny.Oc, tiny.Ow, tiny.class_start, target_class, tiny.d,
        hist + [0] * 20, tiny.order)
    np.testing.assert_allclose(p_class, ref_class, rtol=2e-5, atol=1e-7)
    if target_class >= 0:
        np.testing.assert_allclose(p_word, ref_word, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("target", [0, 1, 4, 10, 22])
@pytest.mark.parametrize("l2,cutoff", [(0.0, 0.0), (1e-3, 0.05)])
def test_backward_matches_naive(tiny, target, l2, cutoff):
    s = tiny.hidden_state()
    hist = [5, 9]
    target_class = int(tiny.word_class[target])
    p_class, p_word, (class_hash, word_hash, used) = run_forward(tiny, s, target_class, hist)
    p_word_full = np.zeros(16, np.float32)
    p_word_full[:len(p_word)] = p_word
    ref = naive.output_backward(s.astype(np.float64), tiny.Oc, tiny.Ow, tiny.class_start,
                                tiny.word_class, target, tiny.d, hist + [0] * 20, tiny.order,
                                0.1, l2, 1e-4, cutoff)
    e_hidden = np.zeros_like(s)
    Oc, Ow, d = tiny.Oc.copy(), tiny.Ow.copy(), tiny.d.copy()
    class_softmax.backward(s, Oc, Ow, tiny.class_start, target, target_class, d, class_hash,
                           word_hash, used, np.zeros(maxent.MAX_ORDER, np.int64), p_class,
                           p_word_full, 0.1, l2, 1e-4, cutoff, e_hidden)
    for got, want in zip((Oc, Ow, d, e_hidden), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

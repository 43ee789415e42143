import numpy as np
import pytest

import naive
from rnnlm_cli.kernels import maxent

ORDER = maxent.MAX_ORDER


def kernel_hashes(hist, order, size, target_class):
    class_hash = np.zeros(ORDER, np.int64)
    word_hash = np.zeros(ORDER, np.int64)
    hist = np.array(list(hist) + [0] * (ORDER - len(hist)), np.int32)
    used = maxent.feature_hashes(hist, order, size, target_class, class_hash, word_hash)
    return list(class_hash[:used]), list(word_hash[:used])


@pytest.mark.parametrize("hist,order,size,cls", [
    ([0, 0, 0], 3, 2_000_000, 0),
    ([5, 17, 3], 3, 2_000_000, 7),
    ([9999, 123456, 42, 7, 1], 5, 10_000_000, 99),
    ([4, -1, 3], 4, 2_000_000, 2),   # OOV two words back stops orders >= 2
    ([-1, 3], 3, 2_000_000, 2),      # OOV previous word: bias order only
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 20, 4_000_000, 1),
])
def test_hashes_match_naive(hist, order, size, cls):
    assert kernel_hashes(hist, order, size, cls) == naive.feature_hashes(hist, order, size, cls)


def test_hashes_empty_without_maxent():
    assert kernel_hashes([1, 2], 3, 0, 0) == ([], [])


def test_known_constant_base():
    # P[0]*P[1] wraps in 32 bits to 2913883755 (INTERFACES.md 2.5).
    class_hash, word_hash = naive.feature_hashes([0], 1, 2 * 10**9, 0)
    assert class_hash == [2913883755 % 10**9]


def test_word_scores_wrap_and_stall_like_rnnlm():
    size = 20
    d = np.arange(size, dtype=np.float32) + 1
    word_hash = np.array([17, 12, 0], np.int64)  # order 0 wraps to 0 after 3 words
    scores = np.zeros(6, np.float32)
    maxent.add_word_scores(d, word_hash, 2, np.zeros(ORDER, np.int64), scores, 6)
    expected = [sum(d[i] for i in ix) for ix in naive.word_feature_indices([17, 12], 6, size)]
    np.testing.assert_allclose(scores, expected)
    # words 3.. read nothing: index 0 disables order 0 and the order after it
    assert list(scores[3:]) == [0.0, 0.0, 0.0]


def test_word_update_uses_the_same_indices():
    size = 50
    d = np.zeros(size, np.float32)
    errors = np.array([0.5, -0.25, 1.0], np.float32)
    word_hash = np.array([48, 30], np.int64)
    maxent.update_word_weights(d, word_hash, 2, np.zeros(ORDER, np.int64), errors, 3, 0.1, 0.0)
    expected = np.zeros(size)
    for k, ix in enumerate(naive.word_feature_indices([48, 30], 3, size)):
        for i in ix:
            expected[i] += 0.1 * errors[k]
    np.testing.assert_allclose(d, expected, rtol=1e-6)

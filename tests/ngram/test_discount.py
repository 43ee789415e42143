import numpy as np
import pytest

from rnnlm_cli.ngram.discount import (ConstDiscount, DiscountError, GoodTuring, KneserNey,
                                      ModifiedKneserNey, WittenBell)


def counts_with(n_of):
    """A count array with n_of[c] n-grams of count c."""
    return np.concatenate([np.full(n, c) for c, n in n_of.items()]).astype(np.int64)


def test_good_turing_coefficients_follow_katz_formula():
    n = {1: 100, 2: 40, 3: 20, 4: 12, 5: 8}
    counts = counts_with(n)
    gt = GoodTuring(min_count=1, max_count=3)
    gt.estimate(counts, np.ones(counts.size, bool), 2)
    common = 4 * n[4] / n[1]
    for c in (1, 2, 3):
        expected = ((c + 1) * n[c + 1] / (c * n[c]) - common) / (1 - common)
        assert gt.discount(np.array([c]), None, None)[0] == pytest.approx(expected)
    assert gt.discount(np.array([4]), None, None)[0] == 1.0     # above max: undiscounted
    gt_min = GoodTuring(min_count=2, max_count=3)
    gt_min.estimate(counts, np.ones(counts.size, bool), 3)
    assert gt_min.discount(np.array([1]), None, None)[0] == 0.0  # below min: dropped


def test_modified_kneser_ney_discounts():
    n = {1: 50, 2: 20, 3: 10, 4: 6, 7: 3}
    counts = counts_with(n)
    kn = ModifiedKneserNey(min_count=1)
    kn.estimate(counts, np.ones(counts.size, bool), 3)
    y = 50 / (50 + 40)
    assert (kn.d1, kn.d2, kn.d3) == pytest.approx((1 - 2 * y * 20 / 50, 2 - 3 * y * 10 / 20,
                                                   3 - 4 * y * 6 / 10))
    weight = kn.lower_order_weight(np.array([10.0]), np.array([4.0]), np.array([2.0]),
                                   np.array([1.0]))[0]
    assert weight == pytest.approx((kn.d1 * 2 + kn.d2 * 1 + kn.d3 * 1) / 10)


def test_kneser_ney_failure_names_the_order_and_fallback_warns():
    counts = counts_with({1: 5, 2: 2})        # no 3s or 4s
    with pytest.raises(DiscountError, match="order 4.*-discount-fallback"):
        ModifiedKneserNey(1).estimate(counts, np.ones(counts.size, bool), 4)
    kn = ModifiedKneserNey(1, fallback=True)
    kn.estimate(counts, np.ones(counts.size, bool), 4)
    assert (kn.d1, kn.d2, kn.d3) == (0.5, 1.0, 1.5) and "order 4" in kn.notes[0]


def test_witten_bell_and_absolute():
    wb = WittenBell(1)
    assert wb.discount(np.array([2]), np.array([10.0]), np.array([4.0]))[0] == pytest.approx(10 / 14)
    assert wb.lower_order_weight(np.array([10.0]), np.array([4.0]), None, None)[0] == \
        pytest.approx(4 / 14)
    cd = ConstDiscount(0.7, 1)
    assert cd.discount(np.array([2]), None, None)[0] == pytest.approx(1.3 / 2)
    assert cd.lower_order_weight(np.array([10.0]), np.array([4.0]), None, None)[0] == \
        pytest.approx(0.28)


def test_original_kneser_ney_single_discount():
    counts = counts_with({1: 30, 2: 10, 5: 4})
    kn = KneserNey(1)
    kn.estimate(counts, np.ones(counts.size, bool), 2)
    assert kn.d1 == pytest.approx(30 / 50)
    assert kn.discount(np.array([5]), None, None)[0] == pytest.approx((5 - 0.6) / 5)
    assert kn.lower_order_weight(np.array([20.0]), np.array([4.0]), None, None)[0] == \
        pytest.approx(0.6 * 4 / 20)

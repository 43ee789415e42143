"""kernels/dense.py, four rows per pass, against NumPy: every count from 0 to 9, so that
the remainder loops (count not a multiple of four) are checked as well as the blocks."""
import numpy as np
import pytest

from rnnlm_cli.kernels import dense

COUNTS = range(10)


def _normal(count, *shapes):
    """float32 standard normal arrays of these shapes, seeded by the test's count."""
    rng = np.random.default_rng(100 + count)
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


@pytest.mark.parametrize("count", COUNTS)
def test_rows_dot(count):
    rows, x = _normal(count, (12, 13), 13)
    out = np.full(12, np.nan, np.float32)
    dense.rows_dot(rows, 2, count, x, out)
    np.testing.assert_allclose(out[:count], rows[2:2 + count] @ x, rtol=1e-5, atol=1e-6)
    assert np.isnan(out[count:]).all()          # nothing written past count


@pytest.mark.parametrize("count", COUNTS)
def test_add_weighted_rows(count):
    rows, weights, out = _normal(count, (9, 11), 9, 11)
    expected = out + weights[:count] @ rows[:count]
    dense.add_weighted_rows(out, rows, weights, count)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("count", COUNTS)
def test_backprop_rows_sums_the_old_rows_then_updates_them(count):
    rows, errors, s, e_hidden = _normal(count, (12, 7), 12, 7, 7)
    alpha, l2 = 0.1, 0.01
    old = rows[3:3 + count].copy()
    expected_e = e_hidden + errors[:count] @ old
    expected_rows = rows.copy()
    expected_rows[3:3 + count] = old + alpha * np.outer(errors[:count], s) - old * l2
    dense.backprop_rows(rows, 3, count, errors, s, alpha, l2, e_hidden)
    np.testing.assert_allclose(e_hidden, expected_e, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rows, expected_rows, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("count", COUNTS)
def test_add_outer_products(count):
    W, G, X = _normal(count, (6, 5), (10, 6), (10, 5))
    l2 = 0.02
    expected = W + G[:count].T @ X[:count] - W * l2
    dense.add_outer_products(W, G, X, count, np.empty(5, np.float32), l2)
    np.testing.assert_allclose(W, expected, rtol=1e-5, atol=1e-6)

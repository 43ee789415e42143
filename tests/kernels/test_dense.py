"""kernels/dense.py, four rows per pass, against NumPy: every count from 0 to 9, so that
the remainder loops (count not a multiple of four) are checked as well as the blocks."""
import numpy as np
import pytest

from rnnlm_cli.kernels import dense

COUNTS = range(10)


def _rng(count):
    return np.random.default_rng(100 + count)


@pytest.mark.parametrize("count", COUNTS)
def test_rows_dot(count):
    rng = _rng(count)
    rows = rng.standard_normal((12, 13)).astype(np.float32)
    x = rng.standard_normal(13).astype(np.float32)
    out = np.full(12, np.nan, np.float32)
    dense.rows_dot(rows, 2, count, x, out)
    np.testing.assert_allclose(out[:count], rows[2:2 + count] @ x, rtol=1e-5, atol=1e-6)
    assert np.isnan(out[count:]).all()          # nothing written past count


@pytest.mark.parametrize("count", COUNTS)
def test_add_weighted_rows(count):
    rng = _rng(count)
    rows = rng.standard_normal((9, 11)).astype(np.float32)
    weights = rng.standard_normal(9).astype(np.float32)
    out = rng.standard_normal(11).astype(np.float32)
    expected = out + weights[:count] @ rows[:count]
    dense.add_weighted_rows(out, rows, weights, count)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("count", COUNTS)
def test_backprop_rows_sums_the_old_rows_then_updates_them(count):
    rng = _rng(count)
    rows = rng.standard_normal((12, 7)).astype(np.float32)
    errors = rng.standard_normal(12).astype(np.float32)
    s = rng.standard_normal(7).astype(np.float32)
    e_hidden = rng.standard_normal(7).astype(np.float32)
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
    rng = _rng(count)
    W = rng.standard_normal((6, 5)).astype(np.float32)
    G = rng.standard_normal((10, 6)).astype(np.float32)
    X = rng.standard_normal((10, 5)).astype(np.float32)
    l2 = 0.02
    expected = W + G[:count].T @ X[:count] - W * l2
    dense.add_outer_products(W, G, X, count, np.empty(5, np.float32), l2)
    np.testing.assert_allclose(W, expected, rtol=1e-5, atol=1e-6)

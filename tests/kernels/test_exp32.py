"""exp32, the vectorisable float32 exponential: accurate to a few float32 ulps where
softmax and sigmoid use it, exact at 0, clamped instead of overflowing."""
import numpy as np
import pytest

from rnnlm_cli.kernels import batch, class_softmax, rnn
from rnnlm_cli.kernels.exp32 import exp32


def test_relative_error_is_a_few_ulps_over_the_whole_range():
    rng = np.random.default_rng(1)
    xs = np.concatenate([np.linspace(-87, 88, 100_001), rng.uniform(-1, 1, 20_000),
                         rng.uniform(-87, 88, 20_000)]).astype(np.float32)
    ours = np.array([exp32(x) for x in xs], dtype=np.float64)
    relative = np.abs(ours / np.exp(xs.astype(np.float64)) - 1)
    assert relative.max() < 4e-7


def test_zero_gives_exactly_one_and_extremes_are_clamped():
    assert exp32(np.float32(0.0)) == np.float32(1.0)
    low, high = exp32(np.float32(-1e30)), exp32(np.float32(1e30))
    assert low == exp32(np.float32(-87.0)) and 0 < low < 1e-37
    assert high == exp32(np.float32(88.0)) and np.isfinite(high) and high > 1e38


@pytest.mark.parametrize("kind", range(4))
@pytest.mark.parametrize("fast", [False, True])
def test_batch_activation_is_the_sequential_unit_type_bit_for_bit(kind, fast):
    """The batch scorer's activation (a vectorised loop) against rnn.activate one value
    at a time: the same function, so the same bits."""
    rng = np.random.default_rng(kind)
    pre = (rng.standard_normal((5, 41)) * 30).astype(np.float32)
    U = rng.standard_normal((3, 41)).astype(np.float32)
    inputs = np.array([2, -1, 0, 1, -1], np.int32)
    with_rows = pre + np.where((inputs >= 0)[:, None], U[np.maximum(inputs, 0)], 0)
    expected = np.array([[rnn.activate(v, kind, fast) for v in row] for row in with_rows])
    batch.add_inputs_and_activate(pre, U, inputs, kind, fast)
    np.testing.assert_array_equal(pre, expected)


def test_exact_sigmoid_is_within_float32_rounding_of_the_true_one():
    """The exact sigmoid goes through exp32: within a few float32 ulps of 1 / (1 + e^-v)
    in float64, clamped at +-50 as rnnlm clamps the pre-activation."""
    v = np.concatenate([np.linspace(-60, 60, 4001), [-50.0, 50.0, 0.0]]).astype(np.float32)
    ours = np.array([rnn.activate(x, rnn.SIGMOID, False) for x in v], np.float64)
    clamped = np.clip(v.astype(np.float64), -50, 50)
    np.testing.assert_allclose(ours, 1.0 / (1.0 + np.exp(-clamped)), rtol=1e-6, atol=0)


@pytest.mark.parametrize("fast", [False, True])
def test_batch_class_probabilities_match_the_sequential_softmax(fast):
    rng = np.random.default_rng(4)
    Z = (rng.standard_normal((6, 37)) * 30).astype(np.float32)       # some beyond +-50
    targets = rng.integers(0, 37, 6).astype(np.int32)
    out = [batch._log10_softmax_at(z, 37, t, fast) for z, t in zip(Z, targets)]
    expected = [class_softmax.log10_softmax_at(z.copy(), 37, t, fast) for z, t in zip(Z, targets)]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6 if not fast else 0)


def test_batch_class_probabilities_at_the_clamps_of_a_wide_softmax():
    """No maximum is subtracted in the batch softmax: logits at and beyond the +-50 clamp,
    over 3000 entries, must neither overflow nor lose the small terms."""
    count = 3000
    Z = np.full((4, count), -1000.0, np.float32)
    Z[1, :] = 1000.0
    Z[2, 7] = 1000.0
    Z[3, :] = np.linspace(-60, 60, count, dtype=np.float32)
    targets = np.array([0, 5, 7, 9], np.int32)
    out = [batch._log10_softmax_at(z, count, t, False) for z, t in zip(Z, targets)]
    clamped = np.clip(Z.astype(np.float64), -50, 50)
    top = clamped.max(axis=1, keepdims=True)
    expected = (clamped[np.arange(4), targets] - top[:, 0]
                - np.log(np.exp(clamped - top).sum(axis=1))) / np.log(10)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)

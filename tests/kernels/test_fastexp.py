"""rnnlm 0.4b's fasterexp: bit-exact against the C definition, and within its known error."""
import numpy as np

import naive
from rnnlm_cli.kernels import class_softmax
from rnnlm_cli.kernels.fastexp import faster_exp


def test_bit_exact_against_the_c_definition():
    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.uniform(-150, 150, 20000), rng.uniform(-1, 1, 5000),
                         [0.0, -87.0, -87.4, -88.0, -120.0, 50.0, -50.0, 1e-8]]).astype(np.float32)
    ours = np.array([faster_exp(x) for x in xs], dtype=np.float32)
    theirs = naive.faster_exp(xs)
    same_nan = np.isnan(ours) & np.isnan(theirs)
    assert np.array_equal(ours.view(np.uint32)[~same_nan], theirs.view(np.uint32)[~same_nan])


def test_relative_error_is_a_few_percent():
    xs = np.linspace(-20, 20, 4001, dtype=np.float32)
    ours = np.array([faster_exp(x) for x in xs], dtype=np.float64)
    relative = np.abs(ours / np.exp(xs.astype(np.float64)) - 1)
    assert 0.005 < relative.max() < 0.05


def test_fast_log10_softmax_matches_the_twin():
    rng = np.random.default_rng(5)
    z = (rng.standard_normal(37) * 8).astype(np.float32)
    expected = np.log10(naive.fast_softmax(z))
    for index in (0, 11, 36):
        got = class_softmax.log10_softmax_at(z.copy(), z.size, index, True)
        assert abs(got - expected[index]) < 1e-6

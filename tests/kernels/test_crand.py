import ctypes
import ctypes.util

import numpy as np
import pytest

from rnnlm_cli.kernels import crand


def test_first_values_of_glibc_rand_after_srand_1():
    # the widely quoted first outputs of glibc rand() with the default seed 1
    assert list(crand.rand_sequence(1, 5)) == [1804289383, 846930886, 1681692777, 1714636915,
                                               1957747793]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 77, 2**31 - 2])
def test_matches_the_c_library(seed):
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.gnu_get_libc_version
    except (OSError, AttributeError, TypeError):
        pytest.skip("glibc not available")
    libc.srand(ctypes.c_uint(seed))
    expected = [libc.rand() for _ in range(3000)]
    assert list(crand.rand_sequence(seed, 3000)) == expected


def test_weight_draws_are_three_scaled_draws_summed_in_float32():
    values = crand.rand_sequence(5, 30).astype(np.float32)
    uniform = values / np.float32(crand.RAND_MAX) * np.float32(0.2) + np.float32(-0.1)
    expected = uniform[0::3] + uniform[1::3] + uniform[2::3]
    np.testing.assert_array_equal(crand.rnnlm_weight_draws(5, 10, -0.1, 0.1), expected)
    assert np.all(np.abs(expected) <= 0.3)

"""A float32 exponential that the compiler can vectorise.

A call to the C library's expf keeps LLVM from vectorising a loop, and Numba here
has no vector math library (SVML), so softmax and sigmoid loops ran one element
at a time.  exp32 is plain arithmetic: exp(x) = 2^n exp(r) with n the nearest
integer to x / ln 2, r = x - n ln 2 (ln 2 split in two for accuracy), exp(r) a
degree-7 polynomial (Cephes' expf coefficients), and 2^n built from its exponent
bits.  Relative error: below 3e-7 (about 2.5 float32 ulps) on [-87, 88]; inputs
outside are clamped there, so exp32 never returns 0 or inf.  exp32(0) is exactly 1.
"""
import numpy as np
from numba import types
from numba.extending import intrinsic

from ._jit import kernel

_LOW, _HIGH = np.float32(-87.0), np.float32(88.0)
_LOG2_E = np.float32(1.44269504088896341)
_LN2_HIGH, _LN2_LOW = np.float32(0.693359375), np.float32(-2.12194440e-4)
_BIAS = np.int32(127)
_COEFFICIENTS = [np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                         4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)]
_C0, _C1, _C2, _C3, _C4, _C5 = _COEFFICIENTS


@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose bit pattern is the int32 ``bits`` (a register reinterpretation)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float32))
    return types.float32(types.int32), codegen


@kernel
def exp32(x):
    """exp(x) in float32 arithmetic, as the module says."""
    x = min(max(np.float32(x), _LOW), _HIGH)
    biased = np.int32(x * _LOG2_E + np.float32(127.5))   # n + 127, >= 1: truncation is floor
    n = np.float32(biased - _BIAS)
    r = x - n * _LN2_HIGH - n * _LN2_LOW
    p = ((((_C0 * r + _C1) * r + _C2) * r + _C3) * r + _C4) * r + _C5
    return (p * r * r + r + np.float32(1.0)) * _float32_from_bits(biased << np.int32(23))

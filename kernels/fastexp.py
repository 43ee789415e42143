"""rnnlm 0.4b's approximate exponential (Mineiro's ``fasterexp``), bit for bit.

    fasterexp(x) = fasterpow2(1.442695040 * x)
    fasterpow2(p): the float whose bits are (uint32)((1 << 23) * (max(p, -126) + 126.94269504))

in float32 arithmetic.  Its relative error is up to about 1.5%; reproducing rnnlm's
probabilities needs it, our own models use the exact exponential.  Compiled without
fastmath so that no multiply-add is fused.
"""
import math

import numpy as np

from ._jit import exact_kernel

_LOG2_E = np.float32(1.442695040)
_OFFSET = np.float32(126.94269504)
_MANTISSA = np.float32(8388608.0)       # 1 << 23
_POW2 = np.array([math.ldexp(1.0, e - 127) for e in range(256)])   # float of exponent bits e
_SUBNORMAL_UNIT = math.ldexp(1.0, -149)


@exact_kernel
def faster_exp(x):
    p = _LOG2_E * np.float32(x)
    if p < np.float32(-126.0):
        p = np.float32(-126.0)
    bits = np.int64(_MANTISSA * (p + _OFFSET))      # truncation, as the C cast
    exponent = (bits >> 23) & 0xFF
    mantissa = bits & 0x7FFFFF
    # The float with these bits, built exactly in double precision (power-of-two table
    # rather than ldexp, which is twice as slow here).
    if exponent == 0:
        value = mantissa * _SUBNORMAL_UNIT
    elif exponent == 0xFF:
        value = math.inf if mantissa == 0 else math.nan
    else:
        value = _POW2[exponent] * (1.0 + mantissa * (1.0 / 8388608.0))
    if bits & 0x80000000:       # x > 88.7 sets the sign bit, as in C (never reached:
        value = -value          # rnnlm's inputs are clamped to +-50)
    return np.float32(value)

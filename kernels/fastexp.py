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


@exact_kernel
def faster_exp(x):
    p = _LOG2_E * np.float32(x)
    if p < np.float32(-126.0):
        p = np.float32(-126.0)
    bits = np.int64(_MANTISSA * (p + _OFFSET))      # truncation, as the C cast
    exponent = (bits >> 23) & 0xFF
    mantissa = bits & 0x7FFFFF
    if exponent == 0:                                # a subnormal bit pattern
        return np.float32(math.ldexp(float(mantissa), -149))
    return np.float32(math.ldexp(1.0 + mantissa / 8388608.0, int(exponent) - 127))

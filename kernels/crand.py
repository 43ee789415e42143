"""glibc's rand() (the TYPE_3 additive lagged-Fibonacci generator behind srand/rand).

rnnlm 0.4b seeds it with -rand-seed and draws every initial weight as
rand()/RAND_MAX*(max-min)+min in float arithmetic, three draws summed.
Reproducing the generator gives bit-for-bit the same initial weights as rnnlm
for the same seed.

Generator: r[0] = seed (1 if 0); r[i] = 16807*r[i-1] mod (2^31-1) for i < 31
(Schrage's method); r[i] = r[i-31] for 31 <= i < 34; then
r[i] = r[i-3] + r[i-31] mod 2^32, and the k-th output is r[k+344] >> 1.
The ring below keeps the last 31 values, r[i] at position i mod 31.
"""
import numpy as np

from ._jit import exact_kernel, kernel

RAND_MAX = 2147483647
_LAG = 31
_FIRST_OUTPUT = 344
_MASK32 = 0xFFFFFFFF


@kernel
def _seeded_ring(seed):
    ring = np.zeros(_LAG, dtype=np.int64)
    word = seed if seed != 0 else 1
    ring[0] = word
    for i in range(1, _LAG):
        hi = word // 127773
        lo = word % 127773
        word = 16807 * lo - 2836 * hi
        if word < 0:
            word += 2147483647
        ring[i] = word
    for i in range(_LAG, _FIRST_OUTPUT):
        if i < 34:
            ring[i % _LAG] = ring[(i - _LAG) % _LAG]
        else:
            ring[i % _LAG] = (ring[(i - 3) % _LAG] + ring[i % _LAG]) & _MASK32
    return ring


@kernel
def _next(ring, i):
    """rand() number i (counting from the first output at _FIRST_OUTPUT)."""
    value = (ring[(i - 3) % _LAG] + ring[i % _LAG]) & _MASK32
    ring[i % _LAG] = value
    return value >> 1


@kernel
def rand_sequence(seed, count):
    """The first ``count`` values of rand() after srand(seed)."""
    ring = _seeded_ring(seed)
    out = np.empty(count, dtype=np.int64)
    for k in range(count):
        out[k] = _next(ring, _FIRST_OUTPUT + k)
    return out


@exact_kernel
def rnnlm_weight_draws(seed, count, low, high):
    """``count`` float32 weights, each the float sum of three rand()-based uniform(low, high)."""
    ring = _seeded_ring(seed)
    out = np.empty(count, dtype=np.float32)
    scale = np.float32(high) - np.float32(low)
    offset = np.float32(low)
    rand_max = np.float32(RAND_MAX)
    i = _FIRST_OUTPUT
    for k in range(count):
        total = np.float32(0.0)
        for _ in range(3):
            total += np.float32(_next(ring, i)) / rand_max * scale + offset
            i += 1
        out[k] = total
    return out

"""The one place for Numba options.

Every kernel is compiled with ``cache=True`` (pipelines start often),
``nogil=True`` (Hogwild threads must run in parallel) and the same fastmath
flag set.  The set leaves out ``nnan`` and ``ninf`` because log-probabilities
legitimately use -inf and NaN checks must keep working.
"""
from numba import njit

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

JIT_OPTIONS = {"cache": True, "nogil": True, "fastmath": set(FASTMATH_FLAGS)}


def kernel(function):
    """Compile ``function`` with the project's Numba options."""
    return njit(**JIT_OPTIONS)(function)


def inline_kernel(function):
    """Compile with the project's options, inlined into its callers at Numba's level."""
    return njit(inline="always", **JIT_OPTIONS)(function)


def exact_kernel(function):
    """Compile without fastmath: for kernels that must match C arithmetic bit for bit
    (no fused multiply-add, no reassociation), such as reproducing rnnlm's initial weights."""
    return njit(cache=True, nogil=True)(function)


def vector_kernel(function):
    """Compile with the project's options and NumPy's division error model (x / 0 is
    inf or NaN, no exception): Python's model checks every division for zero, and
    that branch keeps a loop calling ``function`` from being vectorised.  For small
    element-wise functions meant for such loops (the batch scorer's sigmoid)."""
    return njit(**JIT_OPTIONS, error_model="numpy")(function)

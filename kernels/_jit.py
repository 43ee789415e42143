"""The one place for Numba options.

Every kernel is compiled with ``cache=True`` (pipelines start often),
``nogil=True`` (Hogwild threads must run in parallel) and the same fastmath
flag set.  The set leaves out ``nnan`` and ``ninf`` because log-probabilities
legitimately use -inf and NaN checks must keep working.  Division follows NumPy's
error model (x / 0 is inf or NaN, no exception): Python's raises, and its check
on every division keeps loops such as the sigmoid's from being vectorised.
"""
from numba import njit

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

JIT_OPTIONS = {"cache": True, "nogil": True, "fastmath": set(FASTMATH_FLAGS),
               "error_model": "numpy"}


def kernel(function):
    """Compile ``function`` with the project's Numba options."""
    return njit(**JIT_OPTIONS)(function)


def exact_kernel(function):
    """Compile without fastmath: for kernels that must match C arithmetic bit for bit
    (no fused multiply-add, no reassociation), such as reproducing rnnlm's initial weights."""
    return njit(cache=True, nogil=True, error_model="numpy")(function)

"""Merging a Hogwild thread's private copies of weights into the shared ones
(rnnlm_cli/passes.py PrivateWeights).

One pass over the three arrays, where the four NumPy operations it replaces made
several; the views it takes are made once per thread (PrivateWeights).
"""
from ._jit import kernel


@kernel
def merge(mine, common, start):
    """common += mine - start, then mine = start = common (2-D arrays of one shape, any
    strides): adds this thread's changes since ``start`` to the shared weights
    ``common`` and starts again from them.  Other threads may add to ``common`` at the
    same time (Hogwild: a lost update now and then)."""
    for r in range(mine.shape[0]):
        for i in range(mine.shape[1]):
            value = common[r, i] + (mine[r, i] - start[r, i])
            common[r, i] = value
            mine[r, i] = value
            start[r, i] = value

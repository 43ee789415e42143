"""Merging a Hogwild thread's private copies of weights into the shared ones
(rnnlm_cli/passes.py merge_private).

One pass over the three arrays, without the interpreter lock: as four NumPy
operations it read and wrote each array several times and held the lock between
them, which the other threads' short calls then waited for.
"""
from ._jit import kernel


@kernel
def merge(mine, common, start):
    """common += mine - start, then mine = start = common (flat arrays of one shape):
    adds this thread's changes since ``start`` to the shared weights ``common`` and
    starts again from them.  Other threads may add to ``common`` at the same time
    (Hogwild: a lost update now and then)."""
    for i in range(mine.shape[0]):
        value = common[i] + (mine[i] - start[i])
        common[i] = value
        mine[i] = value
        start[i] = value

"""SGD pieces shared by the hidden layers' BPTT kernels (kernels/gru.py, lstm.py,
scrn.py): applying a summed gradient with rnnlm's L2 rule, and carrying the error of
one unfolded step to the step before."""
import numpy as np

from ._jit import kernel
from .regularise import clip_norm


@kernel
def apply_matrix(W, grad, alpha, l2):
    """W += alpha * grad - W * l2."""
    alpha = np.float32(alpha)
    l2 = np.float32(l2)
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            W[i, j] += alpha * grad[i, j] - W[i, j] * l2


@kernel
def apply_row(row, grad, alpha, l2):
    """row += alpha * grad - row * l2 (a word's input row, or a bias with l2 = 0)."""
    alpha = np.float32(alpha)
    l2 = np.float32(l2)
    for k in range(row.shape[0]):
        row[k] += alpha * grad[k] - row[k] * l2


@kernel
def carry_error(err, e_prev, stored, cutoff, clip):
    """err = e_prev clipped to +-cutoff, then to an L2 norm of clip (each 0: no
    clipping), + the stored output error of the step before."""
    limit = np.float32(cutoff)
    if cutoff > 0.0:
        for j in range(err.shape[0]):
            e_prev[j] = min(max(e_prev[j], -limit), limit)
    clip_norm(e_prev, clip)
    for j in range(err.shape[0]):
        err[j] = e_prev[j] + stored[j]

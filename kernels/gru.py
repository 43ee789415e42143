"""The GRU hidden layer (Cho et al. 2014's gated recurrent unit) behind the hidden-layer
interface (kernels.hidden):

    z = sigmoid(Uz[w] + Wz h),   r = sigmoid(Ur[w] + Wr h)
    c = tanh(Uc[w] + Wc (r * h)),   s = (1 - z) * h + z * c

for the previous word w (an OOV word, id -1, adds no input) and the previous state
h.  ``Gru(U, W)``: U (V, 3H) holds each word's z, r and c inputs side by side, W
(3H, H) the recurrent matrices Wz, Wr, Wc stacked.  Pre-activations are clamped
to [-50, 50] as the Elman layer's are.  The exact exponential is used always:
rnnlm 0.4b's approximation exists only for its own sigmoid layer.

As a cell (kernels.cell) its input contribution is the 3H values [Uz, Ur, Uc] of
a word's row (or of x @ U in a stacked layer).  Backpropagation recomputes a
step's gates from its input and recurrent input (both in the BPTT ring) instead
of storing them: the ring interface stays the Elman layer's, at the price of one
more forward product per unfolded step.  The gradients of W are summed over the
unfold with W fixed and applied at the end, as rnnlm does for its recurrent
matrix.
"""
import math
from collections import namedtuple

import numpy as np

from . import cell
from ._jit import kernel
from .recurrent_sgd import apply_matrix

PRE_ACTIVATION_LIMIT = np.float32(50.0)

Gru = namedtuple("Gru", "U W")
# xin (3H,) the input contribution; gates and their gradients (H,) each; err/e_prev the
# error at a step and the one carried to the step before; grad_W (3H, H); grad_U
# (steps, 3H) per unfolded step
GruScratch = namedtuple("GruScratch",
                        "xin z r c rh g_z g_r g_c g_rh err e_prev grad_W grad_U")


@kernel
def _clamped(v):
    return min(max(np.float32(v), -PRE_ACTIVATION_LIMIT), PRE_ACTIVATION_LIMIT)


@kernel
def gates(xin, W, h_prev, z, r, c, rh):
    """z, r, c and r * h_prev of one step."""
    size = h_prev.shape[0]
    for i in range(size):
        pre_z = xin[i]
        pre_r = xin[size + i]
        for j in range(size):
            pre_z += W[i, j] * h_prev[j]
            pre_r += W[size + i, j] * h_prev[j]
        z[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-_clamped(pre_z))))
        r[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-_clamped(pre_r))))
    for j in range(size):
        rh[j] = r[j] * h_prev[j]
    for i in range(size):
        pre_c = xin[2 * size + i]
        for j in range(size):
            pre_c += W[2 * size + i, j] * rh[j]
        c[i] = np.float32(math.tanh(_clamped(pre_c)))


@kernel
def step(layer, xin, h_prev, s, work, fast):
    gates(xin, layer.W, h_prev, work.z, work.r, work.c, work.rh)
    for i in range(s.shape[0]):
        s[i] = h_prev[i] + work.z[i] * (work.c[i] - h_prev[i])


@kernel
def back(layer, xin, h_prev, s, err, work, grad_u):
    W = layer.W
    z, r, c, rh = work.z, work.r, work.c, work.rh
    g_z, g_r, g_c, g_rh, e_prev, grad_W = (work.g_z, work.g_r, work.g_c, work.g_rh,
                                           work.e_prev, work.grad_W)
    size = h_prev.shape[0]
    gates(xin, W, h_prev, z, r, c, rh)
    for i in range(size):
        g_z[i] = err[i] * (c[i] - h_prev[i]) * z[i] * (np.float32(1.0) - z[i])
        g_c[i] = err[i] * z[i] * (np.float32(1.0) - c[i] * c[i])
    g_rh[:] = 0.0
    for i in range(size):
        for j in range(size):
            g_rh[j] += W[2 * size + i, j] * g_c[i]
    for j in range(size):
        g_r[j] = g_rh[j] * h_prev[j] * r[j] * (np.float32(1.0) - r[j])
        e_prev[j] = err[j] * (np.float32(1.0) - z[j]) + g_rh[j] * r[j]
    for i in range(size):
        for j in range(size):
            e_prev[j] += W[i, j] * g_z[i] + W[size + i, j] * g_r[i]
            grad_W[i, j] += g_z[i] * h_prev[j]
            grad_W[size + i, j] += g_r[i] * h_prev[j]
            grad_W[2 * size + i, j] += g_c[i] * rh[j]
    for i in range(size):
        grad_u[i] = g_z[i]
        grad_u[size + i] = g_r[i]
        grad_u[2 * size + i] = g_c[i]


@kernel
def clear(layer, work):
    work.grad_W[:, :] = 0.0


@kernel
def apply(layer, work, alpha, l2):
    apply_matrix(layer.W, work.grad_W, alpha, l2)


cell.CELLS.register(Gru, cell.CELLS.with_input_matrix(step, back, clear, apply),
    readout=lambda layer, s: s)

"""The GRU hidden layer (Cho et al. 2014's gated recurrent unit) behind the hidden-layer
interface (kernels.hidden):

    z = sigmoid(Uz[w] + Wz h),   r = sigmoid(Ur[w] + Wr h)
    c = tanh(Uc[w] + Wc (r * h)),   s = (1 - z) * h + z * c

for the previous word w (an OOV word, id -1, adds no input) and the previous state
h.  ``Gru(U, W)``: U (V, 3H) holds each word's z, r and c inputs side by side, W
(3H, H) the recurrent matrices Wz, Wr, Wc stacked.  Pre-activations are clamped
to [-50, 50] as the Elman layer's are.  The exact exponential is used always:
rnnlm 0.4b's approximation exists only for its own sigmoid layer.

Backpropagation recomputes a step's gates from its input word and recurrent input
(both in the BPTT ring) instead of storing them: the ring interface stays the
Elman layer's, at the price of one more forward product per unfolded step.
The gradients of W are summed over the unfold with W fixed and applied at the
end, as rnnlm does for its recurrent matrix.
"""
import math
from collections import namedtuple

import numpy as np

from . import hidden
from ._jit import kernel
from .recurrent_sgd import apply_matrix, apply_row, carry_error

PRE_ACTIVATION_LIMIT = np.float32(50.0)

Gru = namedtuple("Gru", "U W")
# gates and their gradients (H,) each; err/e_prev the error at a step and the one
# carried to the step before; grad_W (3H, H); grad_U (steps, 3H) per unfolded step
GruScratch = namedtuple("GruScratch", "z r c rh g_z g_r g_c g_rh err e_prev grad_W grad_U")


@kernel
def _clamped(v):
    return min(max(np.float32(v), -PRE_ACTIVATION_LIMIT), PRE_ACTIVATION_LIMIT)


@kernel
def gates(U, W, prev_word, h_prev, z, r, c, rh):
    """z, r, c and r * h_prev of one step."""
    size = h_prev.shape[0]
    for i in range(size):
        pre_z = np.float32(0.0)
        pre_r = np.float32(0.0)
        for j in range(size):
            pre_z += W[i, j] * h_prev[j]
            pre_r += W[size + i, j] * h_prev[j]
        if prev_word >= 0:
            pre_z += U[prev_word, i]
            pre_r += U[prev_word, size + i]
        z[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-_clamped(pre_z))))
        r[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-_clamped(pre_r))))
    for j in range(size):
        rh[j] = r[j] * h_prev[j]
    for i in range(size):
        pre_c = np.float32(0.0)
        for j in range(size):
            pre_c += W[2 * size + i, j] * rh[j]
        if prev_word >= 0:
            pre_c += U[prev_word, 2 * size + i]
        c[i] = np.float32(math.tanh(_clamped(pre_c)))


@kernel
def forward(layer, prev_word, h_prev, s, work):
    gates(layer.U, layer.W, prev_word, h_prev, work.z, work.r, work.c, work.rh)
    for i in range(s.shape[0]):
        s[i] = h_prev[i] + work.z[i] * (work.c[i] - h_prev[i])


@kernel
def backward_step(layer, prev_word, h_prev, err, work, grad_u):
    """Given err = d J / d s of one step: add the step's d J / d W to work.grad_W, write
    d J / d U[prev_word] into grad_u (3H,) and d J / d h_prev into work.e_prev."""
    U, W = layer.U, layer.W
    z, r, c, rh = work.z, work.r, work.c, work.rh
    g_z, g_r, g_c, g_rh, e_prev, grad_W = (work.g_z, work.g_r, work.g_c, work.g_rh,
                                           work.e_prev, work.grad_W)
    size = h_prev.shape[0]
    gates(U, W, prev_word, h_prev, z, r, c, rh)
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
def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2):
    work.grad_W[:, :] = 0.0
    backward_step(layer, prev_word, h_prev, e_hidden, work, work.grad_U[0])
    apply_matrix(layer.W, work.grad_W, alpha, l2)
    if prev_word >= 0:
        apply_row(layer.U[prev_word], work.grad_U[0], alpha, l2)


@kernel
def update_bptt(layer, ring_word, ring_ac, ring_er, head, steps, h_prev, alpha, l2, cutoff,
                clip, work):
    """Unfold ``steps`` steps back from ``head`` (step 0 reads h_prev, step k the state
    in slot head-k-1), then W += alpha * sum of its gradients, U rows likewise."""
    slots = ring_ac.shape[0]
    err = work.err
    work.grad_W[:, :] = 0.0
    err[:] = ring_er[head]
    for step in range(steps):
        inputs = h_prev if step == 0 else ring_ac[(head - step - 1) % slots]
        backward_step(layer, ring_word[(head - step) % slots], inputs, err, work,
                      work.grad_U[step])
        carry_error(err, work.e_prev, ring_er[(head - step - 1) % slots], cutoff,
                    clip)
    apply_matrix(layer.W, work.grad_W, alpha, l2)
    for step in range(steps):
        word = ring_word[(head - step) % slots]
        if word >= 0:
            apply_row(layer.U[word], work.grad_U[step], alpha, l2)
    ring_er[:, :] = 0.0


hidden.KERNELS[Gru] = hidden.Implementations(
    forward=lambda layer, prev_word, h_prev, s, work, fast: forward(layer, prev_word, h_prev,
                                                                    s, work),
    update_direct=update_direct.py_func,
    update_bptt=update_bptt.py_func,
    readout=lambda layer, s: s)

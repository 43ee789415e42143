"""The SCRN hidden layer (Mikolov et al. 2015, "structurally constrained recurrent
network") behind the hidden-layer interface (kernels.hidden):

    c = a * c_prev + (1 - a) * B[w]             the slowly changing context, a = 0.95
    h = sigmoid(A[w] + R h_prev + P c)          the fast hidden units
    s = [h, c]                                  what the output layer reads

for the previous word w (an OOV word, id -1, adds no input).  ``Scrn(A, R, P, B)``:
A (V, H) and B (V, N) word rows, R (H, H) recurrent, P (H, N) context to hidden.
The state s, and so the BPTT ring, holds h and c side by side (H + N values).
As a cell (kernels.cell) its input contribution is [A[w], B[w]] (H + N values; x @ A
and x @ B in a stacked layer).  Pre-activations are clamped to [-50, 50] as the
Elman layer's are.
"""
import math
from collections import namedtuple

import numpy as np

from . import cell
from ._jit import kernel
from .recurrent_sgd import apply_matrix

CONTEXT_DECAY = 0.95            # a: the paper's fixed self-connection of the context
PRE_ACTIVATION_LIMIT = np.float32(50.0)

Scrn = namedtuple("Scrn", "A R P B")
# xin (H+N,) the input contribution; delta (H,) and dc (N,): the step's hidden and
# context gradients; err/e_prev (H+N,); grad_R (H, H), grad_P (H, N); grad_U (steps, H+N)
ScrnScratch = namedtuple("ScrnScratch", "xin delta dc err e_prev grad_R grad_P grad_U")


@kernel
def step(layer, xin, h_prev, s, work, fast):
    R, P = layer.R, layer.P
    size_h, size_c = R.shape[0], P.shape[1]
    decay = np.float32(CONTEXT_DECAY)
    for k in range(size_c):
        s[size_h + k] = decay * h_prev[size_h + k] + (np.float32(1.0) - decay) * xin[size_h + k]
    for i in range(size_h):
        pre = xin[i]
        for j in range(size_h):
            pre += R[i, j] * h_prev[j]
        for k in range(size_c):
            pre += P[i, k] * s[size_h + k]
        pre = min(max(pre, -PRE_ACTIVATION_LIMIT), PRE_ACTIVATION_LIMIT)
        s[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-pre)))


@kernel
def back(layer, xin, h_prev, s, err, work, grad_u):
    """err = d J / d s_now of one step (kernels.cell.back)."""
    s_prev, s_now = h_prev, s
    R, P = layer.R, layer.P
    size_h, size_c = R.shape[0], P.shape[1]
    decay = np.float32(CONTEXT_DECAY)
    delta, dc, e_prev = work.delta, work.dc, work.e_prev
    for i in range(size_h):
        h = s_now[i]
        delta[i] = err[i] * h * (np.float32(1.0) - h)
        grad_u[i] = delta[i]
    for k in range(size_c):
        dc[k] = err[size_h + k]
    e_prev[:size_h] = 0.0
    for i in range(size_h):
        for j in range(size_h):
            work.grad_R[i, j] += delta[i] * s_prev[j]
            e_prev[j] += R[i, j] * delta[i]
        for k in range(size_c):
            work.grad_P[i, k] += delta[i] * s_now[size_h + k]
            dc[k] += P[i, k] * delta[i]
    for k in range(size_c):
        grad_u[size_h + k] = (np.float32(1.0) - decay) * dc[k]
        e_prev[size_h + k] = decay * dc[k]


@kernel
def clear(layer, work):
    work.grad_R[:, :] = 0.0
    work.grad_P[:, :] = 0.0


@kernel
def apply(layer, work, alpha, l2):
    apply_matrix(layer.R, work.grad_R, alpha, l2)
    apply_matrix(layer.P, work.grad_P, alpha, l2)


@kernel
def add_input(layer, row, scale, xin):
    size_h = layer.R.shape[0]
    cell.add_matrix_row(layer.A, row, scale, xin[:size_h])
    cell.add_matrix_row(layer.B, row, scale, xin[size_h:])


@kernel
def input_dot(layer, row, grad_u):
    size_h = layer.R.shape[0]
    return (cell.matrix_row_dot(layer.A, row, grad_u[:size_h])
            + cell.matrix_row_dot(layer.B, row, grad_u[size_h:]))


@kernel
def apply_input(layer, row, grad_u, alpha, l2):
    size_h = layer.R.shape[0]
    cell.apply_matrix_row(layer.A, row, grad_u[:size_h], alpha, l2)
    cell.apply_matrix_row(layer.B, row, grad_u[size_h:], alpha, l2)


cell.CELLS.register(Scrn, cell.CELLS.Implementations(
    add_input=add_input.py_func, input_dot=input_dot.py_func,
    apply_input=apply_input.py_func, step=step.py_func, back=back.py_func,
    clear=clear.py_func, apply=apply.py_func),
    readout=lambda layer, s: s)

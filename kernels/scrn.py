"""The SCRN hidden layer (Mikolov et al. 2015, "structurally constrained recurrent
network") behind the hidden-layer interface (kernels.hidden):

    c = a * c_prev + (1 - a) * B[w]             the slowly changing context, a = 0.95
    h = sigmoid(A[w] + R h_prev + P c)          the fast hidden units
    s = [h, c]                                  what the output layer reads

for the previous word w (an OOV word, id -1, adds no input).  ``Scrn(A, R, P, B)``:
A (V, H) and B (V, N) word rows, R (H, H) recurrent, P (H, N) context to hidden.
The state s, and so the BPTT ring, holds h and c side by side (H + N values).
Pre-activations are clamped to [-50, 50] as the Elman layer's are.
"""
import math
from collections import namedtuple

import numpy as np

from . import hidden
from ._jit import kernel
from .recurrent_sgd import apply_matrix, apply_row, carry_error

CONTEXT_DECAY = 0.95            # a: the paper's fixed self-connection of the context
PRE_ACTIVATION_LIMIT = np.float32(50.0)

Scrn = namedtuple("Scrn", "A R P B")
# delta (H,) and dc (N,): the step's hidden and context gradients; err/e_prev (H+N,);
# grad_R (H, H), grad_P (H, N); grad_A (steps, H), grad_B (steps, N) per unfolded step
ScrnScratch = namedtuple("ScrnScratch", "delta dc err e_prev grad_R grad_P grad_A grad_B")


@kernel
def forward(layer, prev_word, h_prev, s, work, fast):
    A, R, P, B = layer.A, layer.R, layer.P, layer.B
    size_h, size_c = R.shape[0], P.shape[1]
    decay = np.float32(CONTEXT_DECAY)
    for k in range(size_c):
        s[size_h + k] = decay * h_prev[size_h + k]
        if prev_word >= 0:
            s[size_h + k] += (np.float32(1.0) - decay) * B[prev_word, k]
    for i in range(size_h):
        pre = np.float32(0.0)
        for j in range(size_h):
            pre += R[i, j] * h_prev[j]
        for k in range(size_c):
            pre += P[i, k] * s[size_h + k]
        if prev_word >= 0:
            pre += A[prev_word, i]
        pre = min(max(pre, -PRE_ACTIVATION_LIMIT), PRE_ACTIVATION_LIMIT)
        s[i] = np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-pre)))


@kernel
def backward_step(layer, s_prev, s_now, err, work, grad_a, grad_b):
    """Given err = d J / d s_now of one step: add d J / d R and d J / d P to the
    scratch sums, write the word rows' gradients into grad_a (H,) and grad_b (N,) and
    d J / d s_prev into work.e_prev."""
    R, P = layer.R, layer.P
    size_h, size_c = R.shape[0], P.shape[1]
    decay = np.float32(CONTEXT_DECAY)
    delta, dc, e_prev = work.delta, work.dc, work.e_prev
    for i in range(size_h):
        h = s_now[i]
        delta[i] = err[i] * h * (np.float32(1.0) - h)
        grad_a[i] = delta[i]
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
        grad_b[k] = (np.float32(1.0) - decay) * dc[k]
        e_prev[size_h + k] = decay * dc[k]


@kernel
def _apply(layer, work, alpha, l2):
    apply_matrix(layer.R, work.grad_R, alpha, l2)
    apply_matrix(layer.P, work.grad_P, alpha, l2)


@kernel
def _apply_rows(layer, word, grad_a, grad_b, alpha, l2):
    if word >= 0:
        apply_row(layer.A[word], grad_a, alpha, l2)
        apply_row(layer.B[word], grad_b, alpha, l2)


@kernel
def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2):
    work.grad_R[:, :] = 0.0
    work.grad_P[:, :] = 0.0
    backward_step(layer, h_prev, s, e_hidden, work, work.grad_A[0], work.grad_B[0])
    _apply(layer, work, alpha, l2)
    _apply_rows(layer, prev_word, work.grad_A[0], work.grad_B[0], alpha, l2)


@kernel
def update_bptt(layer, ring_word, ring_ac, ring_er, head, steps, h_prev, alpha, l2, cutoff,
                clip, work):
    """Unfold ``steps`` steps back from ``head`` (step 0 reads h_prev, step k the state
    in slot head-k-1), then R, P += alpha * their summed gradients, A, B rows likewise."""
    slots = ring_ac.shape[0]
    err = work.err
    work.grad_R[:, :] = 0.0
    work.grad_P[:, :] = 0.0
    err[:] = ring_er[head]
    for step in range(steps):
        s_prev = h_prev if step == 0 else ring_ac[(head - step - 1) % slots]
        backward_step(layer, s_prev, ring_ac[(head - step) % slots], err, work,
                      work.grad_A[step], work.grad_B[step])
        carry_error(err, work.e_prev, ring_er[(head - step - 1) % slots], cutoff,
                    clip)
    _apply(layer, work, alpha, l2)
    for step in range(steps):
        _apply_rows(layer, ring_word[(head - step) % slots], work.grad_A[step],
                    work.grad_B[step], alpha, l2)
    ring_er[:, :] = 0.0


hidden.KERNELS[Scrn] = hidden.Implementations(
    forward=forward.py_func, update_direct=update_direct.py_func,
    update_bptt=update_bptt.py_func,
    readout=lambda layer, s: s)

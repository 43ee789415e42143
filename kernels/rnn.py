"""Elman hidden layer and its truncated-BPTT update (rnnlm 0.4b; more unit types).

    s_t = f( U[w_{t-1}] + W . h_{t-1} ),  pre-activation clamped to [-50, 50]

f is the hidden type ``kind``: sigmoid (rnnlm's), tanh, relu, or relu-trunc (relu
capped at 20, faster-rnnlm's).

Arrays: U (V, H) input-word rows (an OOV previous word, id -1, adds nothing);
W (H, H) recurrent matrix, W[i, j] connects h_{t-1}[j] to s_t[i].

BPTT history is a ring buffer of ``slots`` time steps: ``ring_ac`` (slots, H)
hidden activations, ``ring_er`` (slots, H) output-derived hidden errors,
``ring_word`` (slots,) the input word of each step; ``head`` is the newest slot.
"""
import math

import numpy as np

from ._jit import kernel, vector_kernel
from .dense import add_outer_products, add_weighted_rows, rows_dot
from .exp32 import exp32
from .fastexp import faster_exp
from .regularise import clip_norm

PRE_ACTIVATION_LIMIT = 50.0
SIGMOID, TANH, RELU, RELU_TRUNC = range(4)     # numbered as config.HIDDEN_TYPES
RELU_TRUNC_MAX = 20.0


@vector_kernel
def _sigmoid(v):
    """The exact sigmoid of clamped v, through exp32 (libm's expf would keep every loop
    over units scalar)."""
    limit = np.float32(PRE_ACTIVATION_LIMIT)
    v = min(max(np.float32(v), -limit), limit)
    return np.float32(1.0) / (np.float32(1.0) + exp32(-v))


@kernel
def activate(v, kind, fast):
    """f(clamped v); ``fast``: the sigmoid with rnnlm 0.4b's fasterexp."""
    if kind == SIGMOID and not fast:
        return _sigmoid(v)
    limit = np.float32(PRE_ACTIVATION_LIMIT)
    v = min(max(np.float32(v), -limit), limit)
    if kind == SIGMOID:
        return np.float32(1.0) / (np.float32(1.0) + faster_exp(-v))
    if kind == TANH:
        return np.float32(math.tanh(v))
    if kind == RELU:
        return max(v, np.float32(0.0))
    return min(max(v, np.float32(0.0)), np.float32(RELU_TRUNC_MAX))


@kernel
def activate_all(row, kind, fast):
    """row[i] = activate(row[i], kind, fast) for every i, the exact sigmoid in a loop of
    its own: a branch on the unit type inside the loop would keep it scalar."""
    if kind == SIGMOID and not fast:
        for i in range(row.shape[0]):
            row[i] = _sigmoid(row[i])
    else:
        for i in range(row.shape[0]):
            row[i] = activate(row[i], kind, fast)


@kernel
def derivative(ac, kind):
    """f'(pre-activation) from the activation ac = f(pre-activation)."""
    if kind == SIGMOID:
        return ac * (np.float32(1.0) - ac)
    if kind == TANH:
        return np.float32(1.0) - ac * ac
    if kind == RELU:
        return np.float32(1.0) if ac > 0 else np.float32(0.0)
    return np.float32(1.0) if np.float32(0.0) < ac < np.float32(RELU_TRUNC_MAX) \
        else np.float32(0.0)


@kernel
def forward(U, W, prev_word, h_prev, s, kind, fast):
    """s = f(U[prev_word] + W . h_prev); ``fast``: sigmoid with rnnlm 0.4b's fasterexp."""
    hidden = s.shape[0]
    rows_dot(W, 0, hidden, h_prev, s)
    if prev_word >= 0:
        column = U[prev_word]
        for i in range(hidden):
            s[i] += column[i]
    activate_all(s, kind, fast)


@kernel
def update_direct(U, W, prev_word, h_prev, s, e_hidden, alpha, l2, kind):
    """One-step backprop (no BPTT): delta = e_hidden * f'; U, W += alpha * gradient.

    e_hidden is overwritten with delta.
    """
    hidden = s.shape[0]
    alpha = np.float32(alpha)
    l2 = np.float32(l2)
    for i in range(hidden):
        e_hidden[i] = e_hidden[i] * derivative(s[i], kind)
    if prev_word >= 0:
        column = U[prev_word]
        for i in range(hidden):
            column[i] += alpha * e_hidden[i] - column[i] * l2
    for i in range(hidden):
        row = W[i]
        step = alpha * e_hidden[i]
        for j in range(hidden):
            row[j] += step * h_prev[j] - row[j] * l2


@kernel
def update_bptt(U, W, ring_word, ring_ac, ring_er, head, steps, h_prev, alpha, l2, cutoff,
                clip, grad_U, delta, e_prev, err, kind):
    """Unfold ``steps`` time steps back from ``head`` and apply the accumulated update.

    Step 0 is the newest token, whose recurrent input is ``h_prev``; step k>0
    reads its activation from slot head-k and its input from slot head-k-1.
    At each step: delta = err * f'; grad_U[k] = alpha*delta; err = clip(W^T delta)
    + stored error of the step before (clipped to +-cutoff, then to an L2 norm of
    ``clip``; 0: no clipping).  W is not changed during the unfold, so
    its update sum_k grad_U[k] (x) input_k is formed afterwards row by row from the
    steps' inputs gathered into one small matrix (no H x H gradient buffer is written
    per step).  Then
    W += that - W*l2, U[word_k] += grad_U[k] - U*l2, and the stored errors are
    cleared.  Scratch: grad_U (steps, H); delta, e_prev, err (H,).
    """
    slots = ring_ac.shape[0]
    hidden = h_prev.shape[0]
    alpha = np.float32(alpha)
    l2 = np.float32(l2)
    limit = np.float32(cutoff)
    err[:] = ring_er[head]
    for step in range(steps):
        now = (head - step) % slots
        ac = ring_ac[now]
        for i in range(hidden):
            delta[i] = err[i] * derivative(ac[i], kind)
            grad_U[step, i] = alpha * delta[i]
        e_prev[:] = 0.0
        add_weighted_rows(e_prev, W, delta, hidden)
        if cutoff > 0.0:
            for j in range(hidden):
                e_prev[j] = min(max(e_prev[j], -limit), limit)
        if clip > 0.0:
            clip_norm(e_prev, clip)
        stored = ring_er[(head - step - 1) % slots]
        for j in range(hidden):
            err[j] = e_prev[j] + stored[j]
    inputs = np.empty((steps, hidden), np.float32)    # the recurrent input of each step
    inputs[0] = h_prev
    for step in range(1, steps):
        inputs[step] = ring_ac[(head - step - 1) % slots]
    add_outer_products(W, grad_U, inputs, steps, e_prev, l2)
    for step in range(steps):
        word = ring_word[(head - step) % slots]
        if word >= 0:
            column = U[word]
            for i in range(hidden):
                column[i] += grad_U[step, i] - column[i] * l2
    ring_er[:, :] = 0.0

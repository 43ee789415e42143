"""Stacked hidden layers (-layers N) behind the hidden-layer interface (kernels.hidden),
for every cell type (kernels.cell):

    layer 1 reads the previous word:          xin_1 = U_1[w]
    layer k > 1 reads the layer below:        xin_k = y_{k-1} @ U_k
    each layer steps on its own recurrence:   s_k = cell(xin_k, s_k(t-1))

where y_{k-1} is the readout of layer k-1 at the same time step (an LSTM's h, not
its cells) and U_k has one input row per readout unit below, in the cell's own
input layout.  The output layer reads the top layer.  ``Stack(layers)``: a tuple
of N layers of one type.  The state s is the N layers' states side by side, so
the BPTT ring of the span kernels (kernels.sgd) holds the whole stack.

BPTT unfolds the top layer first, over the whole window, with every weight fixed:
its input gradients give the errors of the layer below at each step (added to
that layer's slots in the error ring) and the gradient of its input rows; then
the layer below unfolds, and so on down to the word rows.  Each layer's summed
gradients are applied after its unfold.  One-step backprop (no -bptt) is the
same with a window of one step.
"""
from collections import namedtuple

from . import cell, hidden
from ._jit import kernel
from .recurrent_sgd import carry_error

Stack = namedtuple("Stack", "layers")
# works: each layer's own cell scratch; grad_in (N-1, R, G): the summed gradients of the
# upper layers' input rows; ring_word/ring_ac/ring_er: a one-step window for update_direct
StackScratch = namedtuple("StackScratch", "works grad_in ring_word ring_ac ring_er")


@kernel
def dense_input(layer, x, xin):
    """xin = x @ the layer's input rows (one row per unit of x)."""
    xin[:] = 0.0
    for j in range(x.shape[0]):
        cell.add_input(layer, j, x[j], xin)


@kernel
def forward(layer, prev_word, h_prev, s, work, fast):
    layers = layer.layers
    size = s.shape[0] // len(layers)
    for k in range(len(layers)):
        one, own = layers[k], work.works[k]
        first = k * size
        if k == 0:
            cell.word_input(one, prev_word, own.xin)
        else:
            dense_input(one, hidden.readout(layers[k - 1], s[first - size:first]), own.xin)
        cell.step(one, own.xin, h_prev[first:first + size], s[first:first + size], own, fast)


@kernel
def update_bptt(layer, ring_word, ring_ac, ring_er, head, steps, h_prev, alpha, l2, cutoff,
                clip, work):
    layers = layer.layers
    slots = ring_ac.shape[0]
    size = ring_ac.shape[1] // len(layers)
    for k in range(len(layers) - 1, -1, -1):
        one, own = layers[k], work.works[k]
        first, end = k * size, (k + 1) * size
        err = own.err
        cell.clear_sums(one, own)
        if k > 0:
            work.grad_in[k - 1][:, :] = 0.0
        err[:] = ring_er[head, first:end]
        for t in range(steps):
            now = (head - t) % slots
            before = (head - t - 1) % slots
            s_prev = h_prev[first:end] if t == 0 else ring_ac[before, first:end]
            if k == 0:
                cell.word_input(one, ring_word[now], own.xin)
            else:
                x = hidden.readout(layers[k - 1], ring_ac[now, first - size:first])
                dense_input(one, x, own.xin)
            grad_u = own.grad_U[t]
            cell.back(one, own.xin, s_prev, ring_ac[now, first:end], err, own, grad_u)
            if k > 0:
                _send_down(one, x, grad_u, work.grad_in[k - 1],
                           hidden.readout(layers[k - 1], ring_er[now, first - size:first]))
            carry_error(err, own.e_prev, ring_er[before, first:end], cutoff, clip)
        cell.apply(one, own, alpha, l2)
        if k == 0:
            for t in range(steps):
                cell.apply_input(one, ring_word[(head - t) % slots], own.grad_U[t], alpha, l2)
        else:
            grad_in = work.grad_in[k - 1]
            for j in range(grad_in.shape[0]):
                cell.apply_input(one, j, grad_in[j], alpha, l2)
    ring_er[:, :] = 0.0


@kernel
def _send_down(layer, x, grad_u, grad_in, below):
    """below += d J / d x (the input rows times grad_u); grad_in += x (outer) grad_u."""
    for j in range(x.shape[0]):
        below[j] += cell.input_dot(layer, j, grad_u)
        for g in range(grad_u.shape[0]):
            grad_in[j, g] += x[j] * grad_u[g]


@kernel
def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2):
    work.ring_word[1] = prev_word
    work.ring_ac[1] = s
    work.ring_er[0] = 0.0
    work.ring_er[1] = e_hidden
    update_bptt(layer, work.ring_word, work.ring_ac, work.ring_er, 1, 1, h_prev, alpha, l2,
                0.0, 0.0, work)


@kernel
def readout(layer, s):
    layers = layer.layers
    top = len(layers) - 1
    size = s.shape[0] // len(layers)
    return hidden.readout(layers[top], s[top * size:])


hidden.KERNELS[Stack] = hidden.Implementations(
    forward=forward.py_func, update_direct=update_direct.py_func,
    update_bptt=update_bptt.py_func, readout=readout.py_func)

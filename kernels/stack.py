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

Training drops (-dropout, kernels.regularise) the first layer's word input and the
readout each layer above reads, with the step's mask key; the unfold masks their
gradients the same way.
"""
from collections import namedtuple

from . import cell, hidden, regularise
from ._jit import kernel
from .recurrent_sgd import carry_error

Stack = namedtuple("Stack", "layers")
# works: each layer's own cell scratch; grad_in (N-1, R, G): the summed gradients of the
# upper layers' input rows; below (R,): a dropped readout of a layer below, err_below (R,)
# the error sent down to it; ring_word/ring_key/ring_ac/ring_er: a one-step window for
# update_direct
StackScratch = namedtuple("StackScratch",
                          "works grad_in below err_below ring_word ring_key ring_ac ring_er")


@kernel
def dense_input(layer, x, xin):
    """xin = x @ the layer's input rows (one row per unit of x)."""
    xin[:] = 0.0
    for j in range(x.shape[0]):
        cell.add_input(layer, j, x[j], xin)


@kernel
def forward(layer, prev_word, h_prev, s, work, fast):
    train_forward(layer, prev_word, h_prev, s, work, fast, 0, 0.0)


@kernel
def _layer_input(layers, k, word, s, key, rate, work):
    """Layer k's input contribution at a step (into its xin): the word's row, or the
    readout of layer k-1 in the step's state ``s``, each dropped with ``key``.  Returns
    the dropped readout below (work.below; unused at k = 0)."""
    one, own = layers[k], work.works[k]
    if k == 0:
        cell.dropped_word_input(one, word, own.xin, key, rate)
    else:
        size = s.shape[0] // len(layers)
        regularise.drop_units(hidden.readout(layers[k - 1], s[(k - 1) * size:k * size]),
                              work.below, key, regularise.INPUT + k, rate)
        dense_input(one, work.below, own.xin)
    return work.below


@kernel
def train_forward(layer, prev_word, h_prev, s, work, fast, key, rate):
    layers = layer.layers
    size = s.shape[0] // len(layers)
    for k in range(len(layers)):
        first = k * size
        _layer_input(layers, k, prev_word, s, key, rate, work)
        cell.step(layers[k], work.works[k].xin, h_prev[first:first + size],
                  s[first:first + size], work.works[k], fast)


@kernel
def update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
                cutoff, clip, rate, work):
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
            x = _layer_input(layers, k, ring_word[now], ring_ac[now], ring_key[now], rate,
                             work)
            grad_u = own.grad_U[t]
            cell.back(one, own.xin, s_prev, ring_ac[now, first:end], err, own, grad_u)
            if k == 0:
                regularise.drop_in_place(grad_u, ring_key[now], regularise.INPUT, rate)
            else:
                _send_down(one, x, grad_u, work.grad_in[k - 1], work.err_below)
                regularise.drop_in_place(work.err_below, ring_key[now], regularise.INPUT + k,
                                         rate)
                below = hidden.readout(layers[k - 1], ring_er[now, first - size:first])
                below += work.err_below
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
    """below = d J / d x (the input rows times grad_u); grad_in += x (outer) grad_u."""
    for j in range(x.shape[0]):
        below[j] = cell.input_dot(layer, j, grad_u)
        for g in range(grad_u.shape[0]):
            grad_in[j, g] += x[j] * grad_u[g]


@kernel
def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate):
    work.ring_word[1] = prev_word
    work.ring_key[1] = key
    work.ring_ac[1] = s
    work.ring_er[0] = 0.0
    work.ring_er[1] = e_hidden
    update_bptt(layer, work.ring_word, work.ring_key, work.ring_ac, work.ring_er, 1, 1, h_prev,
                alpha, l2, 0.0, 0.0, rate, work)


@kernel
def readout(layer, s):
    layers = layer.layers
    top = len(layers) - 1
    size = s.shape[0] // len(layers)
    return hidden.readout(layers[top], s[top * size:])


hidden.KERNELS[Stack] = hidden.Implementations(
    forward=forward.py_func, train_forward=train_forward.py_func,
    update_direct=update_direct.py_func, update_bptt=update_bptt.py_func,
    readout=readout.py_func)

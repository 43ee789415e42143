"""The LSTM hidden layer (input, forget and output gates; no peepholes) behind the
hidden-layer interface (kernels.hidden):

    i = sigmoid(Ui[w] + Wi h + bi)      f = sigmoid(Uf[w] + Wf h + bf)
    o = sigmoid(Uo[w] + Wo h + bo)      g = tanh(Ug[w] + Wg h + bg)
    c = f * c_prev + i * g              h' = o * tanh(c)

for the previous word w (an OOV word, id -1, adds no input), previous output h and
cells c_prev.  ``Lstm(U, W, b)``: U (V, 4H) each word's i, f, o, g inputs side by
side, W (4H, H) the recurrent matrices stacked, b (4H,) the biases (the forget
gate's start at 1, so that cells remember from the start).  The state s is
[h', c] (2H values: the BPTT ring keeps both); the output layer reads h'
(readout).  As a cell (kernels.cell) its input contribution is a word's 4H-value
row (or x @ U in a stacked layer).  Backpropagation recomputes a step's gates
from its input and recurrent input, as kernels/gru.py does.  Biases take no L2
decay.
"""
import math
from collections import namedtuple

import numpy as np

from . import cell
from ._jit import kernel
from .recurrent_sgd import apply_matrix, apply_row

PRE_ACTIVATION_LIMIT = np.float32(50.0)

Lstm = namedtuple("Lstm", "U W b")
# xin (4H,) the input contribution; gates (4H,) [i f o g]; their gradients (4H,);
# err/e_prev (2H,) errors of [h, c] at a step and carried to the step before;
# grad_W (4H, H), grad_b (4H,); grad_U (steps, 4H)
LstmScratch = namedtuple("LstmScratch", "xin gates grads err e_prev grad_W grad_b grad_U")


@kernel
def _sigmoid(v):
    v = min(max(np.float32(v), -PRE_ACTIVATION_LIMIT), PRE_ACTIVATION_LIMIT)
    return np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-v)))


@kernel
def compute_gates(layer, xin, h_prev, gates):
    """gates = [i, f, o, g] of one step (h_prev: the previous output, H values)."""
    W, b = layer.W, layer.b
    size = W.shape[1]
    for row in range(4 * size):
        pre = b[row] + xin[row]
        for j in range(size):
            pre += W[row, j] * h_prev[j]
        if row < 3 * size:
            gates[row] = _sigmoid(pre)
        else:
            gates[row] = np.float32(math.tanh(min(max(pre, -PRE_ACTIVATION_LIMIT),
                                                  PRE_ACTIVATION_LIMIT)))


@kernel
def step(layer, xin, h_prev, s, work, fast):
    """s = [h', c] from h_prev = the previous state [h, c_prev]."""
    size = layer.W.shape[1]
    gates = work.gates
    compute_gates(layer, xin, h_prev[:size], gates)
    for k in range(size):
        cell_value = gates[size + k] * h_prev[size + k] + gates[k] * gates[3 * size + k]
        s[size + k] = cell_value
        s[k] = gates[2 * size + k] * np.float32(math.tanh(cell_value))


@kernel
def back(layer, xin, h_prev, s, err, work, grad_u):
    """err = d J / d [h', c] of one step (kernels.cell.back)."""
    s_prev, s_now = h_prev, s
    W = layer.W
    size = W.shape[1]
    gates, grads, e_prev = work.gates, work.grads, work.e_prev
    compute_gates(layer, xin, s_prev[:size], gates)
    one = np.float32(1.0)
    for k in range(size):
        i, f, o, g = gates[k], gates[size + k], gates[2 * size + k], gates[3 * size + k]
        squashed = np.float32(math.tanh(s_now[size + k]))
        d_cell = err[size + k] + err[k] * o * (one - squashed * squashed)
        grads[k] = d_cell * g * i * (one - i)
        grads[size + k] = d_cell * s_prev[size + k] * f * (one - f)
        grads[2 * size + k] = err[k] * squashed * o * (one - o)
        grads[3 * size + k] = d_cell * i * (one - g * g)
        e_prev[size + k] = d_cell * f
        e_prev[k] = 0.0
    for row in range(4 * size):
        gradient = grads[row]
        work.grad_b[row] += gradient
        grad_u[row] = gradient
        for j in range(size):
            e_prev[j] += W[row, j] * gradient
            work.grad_W[row, j] += gradient * s_prev[j]


@kernel
def clear(layer, work):
    work.grad_W[:, :] = 0.0
    work.grad_b[:] = 0.0


@kernel
def apply(layer, work, alpha, l2):
    apply_matrix(layer.W, work.grad_W, alpha, l2)
    apply_row(layer.b, work.grad_b, alpha, 0.0)


cell.CELLS.register(Lstm, cell.CELLS.with_input_matrix(step, back, clear, apply),
    readout=lambda layer, s: s[:layer.W.shape[1]])

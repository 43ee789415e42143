"""The Elman layer (rnnlm 0.4b's hidden layer) behind the hidden-layer interface
(kernels.hidden): the arithmetic is kernels.rnn's, except in training with
-dropout, which goes through the cell form (kernels.cell) to drop the input rows.

``Elman(U, W, kind)``: U (V, H) input-word rows, W (H, H) recurrent matrix,
kind the unit type (rnn.SIGMOID, TANH, RELU, RELU_TRUNC).  Its scratch is an
``ElmanScratch``: grad_U (steps, H) and three (H,) vectors for the BPTT unfold;
xin (H,) and grad_W (H, H) serve the cell form.

The implementations are plain functions that unpack the layer for kernels.rnn;
kernels.hidden compiles them in place of its generic functions, so a span
kernel calls kernels.rnn as directly as it would without the interface.  As a
cell (kernels.cell, for stacked layers) its input contribution is H values: a
word's row of U, or x @ U above another layer.
"""
from collections import namedtuple

import numpy as np

from . import cell, hidden, rnn
from ._jit import kernel
from .recurrent_sgd import apply_matrix

Elman = namedtuple("Elman", "U W kind")
ElmanScratch = namedtuple("ElmanScratch", "grad_U delta e_prev err xin grad_W")


def _forward(layer, prev_word, h_prev, s, work, fast):
    rnn.forward(layer.U, layer.W, prev_word, h_prev, s, layer.kind, fast)


def _train_forward(layer, prev_word, h_prev, s, work, fast, key, rate):
    if rate > 0.0:
        cell.train_forward(layer, prev_word, h_prev, s, work, fast, key, rate)
    else:
        rnn.forward(layer.U, layer.W, prev_word, h_prev, s, layer.kind, fast)


def _update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate):
    if rate > 0.0:
        cell.update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate)
    else:
        rnn.update_direct(layer.U, layer.W, prev_word, h_prev, s, e_hidden, alpha, l2,
                          layer.kind)


def _update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
                 cutoff, clip, rate, work):
    if rate > 0.0:
        cell.update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev,
                         alpha, l2, cutoff, clip, rate, work)
    else:
        rnn.update_bptt(layer.U, layer.W, ring_word, ring_ac, ring_er, head, steps, h_prev,
                        alpha, l2, cutoff, clip, work.grad_U, work.delta, work.e_prev,
                        work.err, layer.kind)


# Without dropout the word-level kernels are rnnlm's (kernels.rnn, bit for bit); with
# input dropout they are the cell form's (kernels.cell), which masks the input rows.
hidden.KERNELS[Elman] = hidden.Implementations(
    forward=_forward, train_forward=_train_forward, update_direct=_update_direct,
    update_bptt=_update_bptt, readout=lambda layer, s: s)


@kernel
def step(layer, xin, h_prev, s, work, fast):
    """s = f(xin + W . h_prev)."""
    W = layer.W
    for i in range(s.shape[0]):
        pre = xin[i]
        for j in range(h_prev.shape[0]):
            pre += W[i, j] * h_prev[j]
        s[i] = rnn.activate(pre, layer.kind, fast)


@kernel
def back(layer, xin, h_prev, s, err, work, grad_u):
    W = layer.W
    size = s.shape[0]
    e_prev = work.e_prev
    e_prev[:] = 0.0
    for i in range(size):
        delta = err[i] * rnn.derivative(s[i], layer.kind)
        grad_u[i] = delta
        for j in range(size):
            e_prev[j] += W[i, j] * delta
            work.grad_W[i, j] += delta * h_prev[j]


@kernel
def clear(layer, work):
    work.grad_W[:, :] = np.float32(0.0)


@kernel
def apply(layer, work, alpha, l2):
    apply_matrix(layer.W, work.grad_W, alpha, l2)


cell.CELLS[Elman] = cell.CELLS.with_input_matrix(step, back, clear, apply)

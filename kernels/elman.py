"""The Elman layer (rnnlm 0.4b's hidden layer) behind the hidden-layer interface
(kernels.hidden): the arithmetic is kernels.rnn's.

``Elman(U, W, kind)``: U (V, H) input-word rows, W (H, H) recurrent matrix,
kind the unit type (rnn.SIGMOID, TANH, RELU, RELU_TRUNC).  Its scratch is an
``ElmanScratch``: grad_U (steps, H) and three (H,) vectors for the BPTT unfold.

The implementations are plain functions that unpack the layer for kernels.rnn;
kernels.hidden compiles them in place of its generic functions, so a span
kernel calls kernels.rnn as directly as it would without the interface.
"""
from collections import namedtuple

from . import hidden, rnn

Elman = namedtuple("Elman", "U W kind")
ElmanScratch = namedtuple("ElmanScratch", "grad_U delta e_prev err")

hidden.KERNELS[Elman] = hidden.Implementations(
    forward=lambda layer, prev_word, h_prev, s, work, fast: rnn.forward(
        layer.U, layer.W, prev_word, h_prev, s, layer.kind, fast),
    update_direct=lambda layer, prev_word, h_prev, s, e_hidden, work, alpha, l2:
        rnn.update_direct(layer.U, layer.W, prev_word, h_prev, s, e_hidden, alpha, l2,
                          layer.kind),
    update_bptt=lambda layer, ring_word, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
        cutoff, clip, work: rnn.update_bptt(layer.U, layer.W, ring_word, ring_ac, ring_er,
                                            head, steps, h_prev, alpha, l2, cutoff, clip,
                                            work.grad_U, work.delta, work.e_prev, work.err,
                                            layer.kind),
    readout=lambda layer, s: s)

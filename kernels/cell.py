"""A hidden layer's arithmetic on a given input: the interface that lets one
implementation of the word-level kernels (kernels.hidden) and of stacking
(kernels.stack) serve every layer type.

A cell's input is an *input contribution* ``xin`` (G values: what its input
weights add to its pre-activations, e.g. an LSTM's 4H gate inputs).  At the bottom
of a network it is the row of the previous word; in a stacked layer it is
``x @ rows``, the readout x of the layer below times the same kind of input rows
(one per unit below instead of one per word).  So a cell declares how to use its
input rows (add_input, input_dot, apply_input) and how to step and back-propagate
given xin; everything else is written once here and in kernels/stack.py.

Generic functions (overloaded per cell type, like kernels.hidden's):

    add_input(layer, row, scale, xin)   xin += scale * input row ``row`` (row < 0: nothing)
    input_dot(layer, row, grad_u)       input row ``row`` . grad_u
    apply_input(layer, row, grad_u, alpha, l2)   row += alpha * grad_u - row * l2
    step(layer, xin, h_prev, s, work, fast)      s = the new state
    back(layer, xin, h_prev, s, err, work, grad_u)
        given err = d J / d s: add the step's gradients of the recurrent weights
        to the scratch sums, write d J / d xin into grad_u and d J / d h_prev into
        work.e_prev (recomputing the step's gates from xin and h_prev)
    clear_sums(layer, work)              zero the scratch sums (a cell's ``clear``)
    apply(layer, work, alpha, l2)        recurrent weights += alpha * sums (L2 as rnnlm)

A cell's scratch has at least xin (G,), err and e_prev (state size) and grad_U
(steps, G).
"""
import numpy as np
from numba.extending import overload

from . import hidden, regularise
from ._jit import JIT_OPTIONS, kernel
from .dispatch import LayerKernels
from .recurrent_sgd import apply_row, carry_error


class CellKernels(LayerKernels):
    """The cell table, with the two ways a cell type joins it."""

    def with_input_matrix(self, step, back, clear, apply):
        """The Implementations of a cell whose input rows are the rows of its ``U``
        matrix (given its step, back, clear and apply kernels)."""
        return self.Implementations(
            add_input=lambda layer, row, scale, xin: add_matrix_row(layer.U, row, scale, xin),
            input_dot=lambda layer, row, grad_u: matrix_row_dot(layer.U, row, grad_u),
            apply_input=lambda layer, row, grad_u, alpha, l2: apply_matrix_row(
                layer.U, row, grad_u, alpha, l2),
            step=step.py_func, back=back.py_func, clear=clear.py_func, apply=apply.py_func)

    def register(self, layer_type, implementations, readout):
        """Add a cell type: its cell kernels, and the word-level hidden-layer kernels
        built on them (``readout``: the hidden interface's readout of its state)."""
        self[layer_type] = implementations
        hidden.KERNELS[layer_type] = hidden.Implementations(
            forward=forward.py_func, train_forward=train_forward.py_func,
            update_direct=update_direct.py_func, update_bptt=update_bptt.py_func,
            readout=readout)


CELLS = CellKernels("cell", "add_input input_dot apply_input step back clear apply")


def add_input(layer, row, scale, xin):
    """xin += scale * the layer's input row ``row``."""


def input_dot(layer, row, grad_u):
    """The layer's input row ``row`` . grad_u."""


def apply_input(layer, row, grad_u, alpha, l2):
    """Input row ``row`` += alpha * grad_u - row * l2."""


def step(layer, xin, h_prev, s, work, fast):
    """s = the layer's new state from its input contribution and h_prev."""


def back(layer, xin, h_prev, s, err, work, grad_u):
    """One step's backpropagation (see the module docstring)."""


def apply(layer, work, alpha, l2):
    """Apply the scratch gradient sums to the recurrent weights."""


@overload(add_input, jit_options=JIT_OPTIONS)
def _add_input(layer, row, scale, xin):
    return CELLS.of(layer).add_input


@overload(input_dot, jit_options=JIT_OPTIONS)
def _input_dot(layer, row, grad_u):
    return CELLS.of(layer).input_dot


@overload(apply_input, jit_options=JIT_OPTIONS)
def _apply_input(layer, row, grad_u, alpha, l2):
    return CELLS.of(layer).apply_input


@overload(step, jit_options=JIT_OPTIONS)
def _step(layer, xin, h_prev, s, work, fast):
    return CELLS.of(layer).step


@overload(back, jit_options=JIT_OPTIONS)
def _back(layer, xin, h_prev, s, err, work, grad_u):
    return CELLS.of(layer).back


@overload(apply, jit_options=JIT_OPTIONS)
def _apply(layer, work, alpha, l2):
    return CELLS.of(layer).apply


def clear_sums(layer, work):
    """Zero the scratch sums of ``layer``'s cell."""


@overload(clear_sums, jit_options=JIT_OPTIONS)
def _clear_sums(layer, work):
    return CELLS.of(layer).clear


# Input rows kept in one (rows, G) matrix, as most cells keep them.

@kernel
def add_matrix_row(U, row, scale, xin):
    if row >= 0:
        scale = np.float32(scale)
        source = U[row]
        for g in range(xin.shape[0]):
            xin[g] += scale * source[g]


@kernel
def matrix_row_dot(U, row, grad_u):
    source = U[row]
    total = np.float32(0.0)
    for g in range(grad_u.shape[0]):
        total += source[g] * grad_u[g]
    return total


@kernel
def apply_matrix_row(U, row, grad_u, alpha, l2):
    if row >= 0:
        apply_row(U[row], grad_u, alpha, l2)


# The word-level kernels of kernels.hidden, once for every cell type.

@kernel
def word_input(layer, word, xin):
    """xin = the input row of ``word`` (zeros for an OOV word, id -1)."""
    xin[:] = 0.0
    add_input(layer, word, 1.0, xin)


@kernel
def dropped_word_input(layer, word, xin, key, rate):
    """word_input with the step's input dropout (its "embedding" units)."""
    word_input(layer, word, xin)
    regularise.drop_in_place(xin, key, regularise.INPUT, rate)


@kernel
def forward(layer, prev_word, h_prev, s, work, fast):
    word_input(layer, prev_word, work.xin)
    step(layer, work.xin, h_prev, s, work, fast)


@kernel
def train_forward(layer, prev_word, h_prev, s, work, fast, key, rate):
    dropped_word_input(layer, prev_word, work.xin, key, rate)
    step(layer, work.xin, h_prev, s, work, fast)


@kernel
def update_direct(layer, prev_word, h_prev, s, e_hidden, work, alpha, l2, key, rate):
    clear_sums(layer, work)
    dropped_word_input(layer, prev_word, work.xin, key, rate)
    back(layer, work.xin, h_prev, s, e_hidden, work, work.grad_U[0])
    regularise.drop_in_place(work.grad_U[0], key, regularise.INPUT, rate)
    apply(layer, work, alpha, l2)
    apply_input(layer, prev_word, work.grad_U[0], alpha, l2)


@kernel
def update_bptt(layer, ring_word, ring_key, ring_ac, ring_er, head, steps, h_prev, alpha, l2,
                cutoff, clip, rate, work):
    """Unfold ``steps`` steps back from ``head`` (step 0 reads h_prev, step k the state in
    slot head-k-1) with the weights fixed, then apply the summed gradients: the
    recurrent weights, then each step's input row (through the step's dropout mask)."""
    slots = ring_ac.shape[0]
    err = work.err
    clear_sums(layer, work)
    err[:] = ring_er[head]
    for k in range(steps):
        now = (head - k) % slots
        before = (head - k - 1) % slots
        s_prev = h_prev if k == 0 else ring_ac[before]
        dropped_word_input(layer, ring_word[now], work.xin, ring_key[now], rate)
        back(layer, work.xin, s_prev, ring_ac[now], err, work, work.grad_U[k])
        regularise.drop_in_place(work.grad_U[k], ring_key[now], regularise.INPUT, rate)
        carry_error(err, work.e_prev, ring_er[before], cutoff, clip)
    apply(layer, work, alpha, l2)
    for k in range(steps):
        apply_input(layer, ring_word[(head - k) % slots], work.grad_U[k], alpha, l2)
    ring_er[:, :] = 0.0

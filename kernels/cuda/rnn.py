"""The hidden layer on the device: activation after the recurrent product, its
derivative for backpropagation, and the sparse input-row reads and updates.
Hidden types and limits are kernels/rnn.py's."""
import math

from numba import cuda, float32

from ..rnn import PRE_ACTIVATION_LIMIT, RELU, RELU_TRUNC_MAX, SIGMOID, TANH
from .linalg import clamp, grid_1d, larger


@cuda.jit(device=True)
def activate(v, kind):
    v = clamp(v, -PRE_ACTIVATION_LIMIT, PRE_ACTIVATION_LIMIT)
    if kind == SIGMOID:
        return 1.0 / (1.0 + math.exp(-v))
    if kind == TANH:
        return math.tanh(v)
    if kind == RELU:
        return larger(v, 0.0)
    return clamp(v, 0.0, RELU_TRUNC_MAX)


@cuda.jit(device=True)
def derivative(ac, kind):
    if kind == SIGMOID:
        return ac * (1.0 - ac)
    if kind == TANH:
        return 1.0 - ac * ac
    if kind == RELU:
        return 1.0 if ac > 0.0 else 0.0
    return 1.0 if 0.0 < ac < RELU_TRUNC_MAX else 0.0


@cuda.jit
def _add_inputs_and_activate(pre, U, inputs, kind):
    n = cuda.grid(1)
    hidden = pre.shape[1]
    if n < pre.shape[0] * hidden:
        r, i = n // hidden, n % hidden
        v = pre[r, i]
        x = inputs[r]
        if x >= 0:
            v += U[x, i]
        pre[r, i] = activate(v, kind)


def add_inputs_and_activate(pre, U, inputs, kind):
    """pre[r] = f(pre[r] + U[inputs[r]]) in place (inputs[r] < 0: no input row)."""
    blocks, threads = grid_1d(pre.shape[0] * pre.shape[1])
    _add_inputs_and_activate[blocks, threads](pre, U, inputs, kind)


@cuda.jit
def _times_derivative(err, H, kind):
    n = cuda.grid(1)
    hidden = err.shape[1]
    if n < err.shape[0] * hidden:
        r, i = n // hidden, n % hidden
        err[r, i] *= derivative(H[r, i], kind)


def times_derivative(err, H, kind):
    """err *= f'(H) element-wise."""
    blocks, threads = grid_1d(err.shape[0] * err.shape[1])
    _times_derivative[blocks, threads](err, H, kind)


@cuda.jit
def _add_rows(U, words, G, scale):
    n = cuda.grid(1)
    hidden = G.shape[1]
    if n < G.shape[0] * hidden:
        r, i = n // hidden, n % hidden
        w = words[r]
        if w >= 0:
            cuda.atomic.add(U, (w, i), scale * G[r, i])


def add_rows(U, words, G, scale):
    """U[words[r]] += scale * G[r] for words[r] >= 0 (rows may repeat: atomic adds)."""
    blocks, threads = grid_1d(G.shape[0] * G.shape[1])
    _add_rows[blocks, threads](U, words, G, float32(scale))


@cuda.jit
def _fill_rows(H, rows, value):
    n = cuda.grid(1)
    hidden = H.shape[1]
    if n < H.shape[0] * hidden:
        r, i = n // hidden, n % hidden
        if rows[r]:
            H[r, i] = value


def fill_rows(H, rows, value):
    """H[r] = value where rows[r] is true."""
    blocks, threads = grid_1d(H.shape[0] * H.shape[1])
    _fill_rows[blocks, threads](H, rows, float32(value))

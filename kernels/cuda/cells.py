"""The hidden layers on the device, one step of many rows at a time: the Elman layer
and the gated ones (GRU, LSTM, SCRN), each as device copies of its weights plus
element-wise kernels around tiled matrix products (linalg.gemm).  The equations
are the layer specs' batch_forward/batch_backward (rnnlm_cli/layers), the same
clamps and update rules; tests compare both in the simulator.

A cell's host side (what HiddenSpec.cuda_cell returns):

    forward(words, state, new) -> cache     new = the step's states (B, S) from the
                                           previous words (B,) and states
    backward(words, state, new, cache, err, grads) -> (d_x, e_prev)
        err (B, S) = d J / d new (overwritten); adds the recurrent gradients to
        grads (zero_grads()); d_x (B, G) the error of the input contributions,
        e_prev (B, S) d J / d state
    apply(grads, inputs, scale, l2)        recurrent weights = (1 - l2) W + scale * grad
                                           (vectors without l2); input rows +=
                                           scale * d_x for each (words, d_x) in inputs
    readout(new)                           what the output layer reads (a view)
"""
import math

import numpy as np
from numba import cuda, float32

from ..rnn import PRE_ACTIVATION_LIMIT
from ..scrn import CONTEXT_DECAY
from .linalg import clamp, gemm, grid_1d, scale_add
from .rnn import add_inputs_and_activate, add_rows, times_derivative


@cuda.jit(device=True)
def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-clamp(v, -PRE_ACTIVATION_LIMIT, PRE_ACTIVATION_LIMIT)))


@cuda.jit(device=True)
def _tanh(v):
    return math.tanh(clamp(v, -PRE_ACTIVATION_LIMIT, PRE_ACTIVATION_LIMIT))


def _launch(kernel, rows, cols, *args):
    """Run an element-wise kernel over a (rows, cols) index space."""
    blocks, threads = grid_1d(rows * cols)
    kernel[blocks, threads](*args)


@cuda.jit
def _fill(X, value):
    n = cuda.grid(1)
    cols = X.shape[1]
    if n < X.shape[0] * cols:
        X[n // cols, n % cols] = value


def zeros(shape):
    array = cuda.device_array(shape, np.float32)
    _launch(_fill, shape[0], shape[1], array, float32(0.0))
    return array


@cuda.jit
def _copy(source, target):
    n = cuda.grid(1)
    cols = target.shape[1]
    if n < target.shape[0] * cols:
        target[n // cols, n % cols] = source[n // cols, n % cols]


def copy(source, target):
    """target = source (device matrices of one shape, views allowed)."""
    _launch(_copy, target.shape[0], target.shape[1], source, target)


@cuda.jit
def _gather_rows(U, words, out):
    n = cuda.grid(1)
    cols = out.shape[1]
    if n < out.shape[0] * cols:
        r, i = n // cols, n % cols
        w = words[r]
        out[r, i] = U[w, i] if w >= 0 else 0.0


class DeviceCell:
    """Device copies of a hidden layer's arrays; ``recurrent`` names the weights the
    unfold sums gradients for, ``inputs`` the input-row matrices (side by side in x)."""

    recurrent = ()
    inputs = ("U",)

    def __init__(self, layer):
        self.arrays = {name: cuda.to_device(np.ascontiguousarray(getattr(layer, name)))
                       for name in (*self.recurrent, *self.inputs)}

    def download(self, layer):
        for name, array in self.arrays.items():
            array.copy_to_host(getattr(layer, name))

    def gather(self, words):
        """x (B, G): each row's input rows side by side (zeros for words < 0)."""
        widths = [self.arrays[name].shape[1] for name in self.inputs]
        x = cuda.device_array((words.shape[0], sum(widths)), np.float32)
        first = 0
        for name, width in zip(self.inputs, widths):
            part = x[:, first:first + width]
            _launch(_gather_rows, words.shape[0], width, self.arrays[name], words, part)
            first += width
        return x

    def zero_grads(self) -> dict:
        grads = {}
        for name in self.recurrent:
            shape = self.arrays[name].shape
            grads[name] = zeros(shape if len(shape) == 2 else (1, shape[0]))
        return grads

    def apply(self, grads, inputs, scale, l2):
        for name, grad in grads.items():
            weights = self.arrays[name]
            if len(weights.shape) == 2:
                scale_add(weights, grad, 1.0 - l2, scale)
            else:
                scale_add(weights.reshape(1, weights.shape[0]), grad, 1.0, scale)
        for words, d_x in inputs:
            if d_x is None:
                continue
            first = 0
            for name in self.inputs:
                rows = self.arrays[name]
                add_rows(rows, words, d_x[:, first:first + rows.shape[1]], scale)
                first += rows.shape[1]

    def readout(self, new):
        return new


class ElmanCell(DeviceCell):
    """s = f(U[w] + W h): the unit type's activation after one product."""

    recurrent = ("W",)

    def __init__(self, layer):
        super().__init__(layer)
        self.kind = layer.kind

    def forward(self, words, state, new):
        gemm(state, self.arrays["W"], new, trans_b=True)
        add_inputs_and_activate(new, self.arrays["U"], words, self.kind)
        return None

    def backward(self, words, state, new, cache, err, grads):
        times_derivative(err, new, self.kind)
        gemm(err, state, grads["W"], beta=1.0, trans_a=True)
        e_prev = cuda.device_array(state.shape, np.float32)
        gemm(err, self.arrays["W"], e_prev)
        return err, e_prev


@cuda.jit
def _gru_gates(pre, x, h, zr, rh):
    n = cuda.grid(1)
    size = h.shape[1]
    if n < h.shape[0] * size:
        r, k = n // size, n % size
        z = _sigmoid(pre[r, k] + x[r, k])
        reset = _sigmoid(pre[r, size + k] + x[r, size + k])
        zr[r, k] = z
        zr[r, size + k] = reset
        rh[r, k] = reset * h[r, k]


@cuda.jit
def _gru_out(pre, x, h, zr, c, new):
    n = cuda.grid(1)
    size = h.shape[1]
    if n < h.shape[0] * size:
        r, k = n // size, n % size
        candidate = _tanh(pre[r, k] + x[r, 2 * size + k])
        c[r, k] = candidate
        new[r, k] = h[r, k] + zr[r, k] * (candidate - h[r, k])


@cuda.jit
def _gru_back_candidate(err, zr, c, d_x):
    n = cuda.grid(1)
    size = c.shape[1]
    if n < c.shape[0] * size:
        r, k = n // size, n % size
        d_x[r, 2 * size + k] = err[r, k] * zr[r, k] * (1.0 - c[r, k] * c[r, k])


@cuda.jit
def _gru_back_gates(err, h, zr, c, g_rh, d_x, e_prev):
    n = cuda.grid(1)
    size = c.shape[1]
    if n < c.shape[0] * size:
        r, k = n // size, n % size
        z, reset = zr[r, k], zr[r, size + k]
        d_x[r, k] = err[r, k] * (c[r, k] - h[r, k]) * z * (1.0 - z)
        d_x[r, size + k] = g_rh[r, k] * h[r, k] * reset * (1.0 - reset)
        e_prev[r, k] = err[r, k] * (1.0 - z) + g_rh[r, k] * reset


class GruCell(DeviceCell):
    """Update and reset gates (one product), then the candidate from r * h (another)."""

    recurrent = ("W",)

    def forward(self, words, state, new):
        W = self.arrays["W"]
        rows, size = state.shape
        x = self.gather(words)
        pre = cuda.device_array((rows, 2 * size), np.float32)
        gemm(state, W[:2 * size], pre, trans_b=True)
        zr = cuda.device_array((rows, 2 * size), np.float32)
        rh = cuda.device_array((rows, size), np.float32)
        _launch(_gru_gates, rows, size, pre, x, state, zr, rh)
        pre_c = cuda.device_array((rows, size), np.float32)
        gemm(rh, W[2 * size:], pre_c, trans_b=True)
        c = cuda.device_array((rows, size), np.float32)
        _launch(_gru_out, rows, size, pre_c, x, state, zr, c, new)
        return zr, rh, c

    def backward(self, words, state, new, cache, err, grads):
        zr, rh, c = cache
        W, grad_W = self.arrays["W"], grads["W"]
        rows, size = state.shape
        d_x = cuda.device_array((rows, 3 * size), np.float32)
        _launch(_gru_back_candidate, rows, size, err, zr, c, d_x)
        g_c = d_x[:, 2 * size:]
        g_rh = cuda.device_array((rows, size), np.float32)
        gemm(g_c, W[2 * size:], g_rh)
        e_prev = cuda.device_array((rows, size), np.float32)
        _launch(_gru_back_gates, rows, size, err, state, zr, c, g_rh, d_x, e_prev)
        g_zr = d_x[:, :2 * size]
        gemm(g_zr, W[:2 * size], e_prev, beta=1.0)
        gemm(g_zr, state, grad_W[:2 * size], beta=1.0, trans_a=True)
        gemm(g_c, rh, grad_W[2 * size:], beta=1.0, trans_a=True)
        return d_x, e_prev


@cuda.jit
def _lstm_step(pre, x, b, state, new, gates, squashed):
    n = cuda.grid(1)
    size = squashed.shape[1]
    if n < squashed.shape[0] * size:
        r, k = n // size, n % size
        i = _sigmoid(pre[r, k] + x[r, k] + b[k])
        f = _sigmoid(pre[r, size + k] + x[r, size + k] + b[size + k])
        o = _sigmoid(pre[r, 2 * size + k] + x[r, 2 * size + k] + b[2 * size + k])
        g = _tanh(pre[r, 3 * size + k] + x[r, 3 * size + k] + b[3 * size + k])
        gates[r, k] = i
        gates[r, size + k] = f
        gates[r, 2 * size + k] = o
        gates[r, 3 * size + k] = g
        cell = f * state[r, size + k] + i * g
        s = math.tanh(cell)
        squashed[r, k] = s
        new[r, k] = o * s
        new[r, size + k] = cell


@cuda.jit
def _lstm_back(err, state, gates, squashed, grads_pre, e_prev):
    n = cuda.grid(1)
    size = squashed.shape[1]
    if n < squashed.shape[0] * size:
        r, k = n // size, n % size
        i, f, o = gates[r, k], gates[r, size + k], gates[r, 2 * size + k]
        g, s = gates[r, 3 * size + k], squashed[r, k]
        d_h = err[r, k]
        d_cell = d_h * o * (1.0 - s * s) + err[r, size + k]
        grads_pre[r, k] = d_cell * g * i * (1.0 - i)
        grads_pre[r, size + k] = d_cell * state[r, size + k] * f * (1.0 - f)
        grads_pre[r, 2 * size + k] = d_h * s * o * (1.0 - o)
        grads_pre[r, 3 * size + k] = d_cell * i * (1.0 - g * g)
        e_prev[r, size + k] = d_cell * f


class LstmCell(DeviceCell):
    """The four gates from one product; the state is [h, c], the readout h."""

    recurrent = ("W", "b")

    def __init__(self, layer):
        super().__init__(layer)
        self.ones = None

    def forward(self, words, state, new):
        W = self.arrays["W"]
        rows, size = state.shape[0], W.shape[1]
        x = self.gather(words)
        pre = cuda.device_array((rows, 4 * size), np.float32)
        gemm(state[:, :size], W, pre, trans_b=True)
        gates = cuda.device_array((rows, 4 * size), np.float32)
        squashed = cuda.device_array((rows, size), np.float32)
        _launch(_lstm_step, rows, size, pre, x, self.arrays["b"], state, new, gates, squashed)
        return gates, squashed

    def backward(self, words, state, new, cache, err, grads):
        gates, squashed = cache
        W = self.arrays["W"]
        rows, size = state.shape[0], W.shape[1]
        grads_pre = cuda.device_array((rows, 4 * size), np.float32)
        e_prev = cuda.device_array(state.shape, np.float32)
        _launch(_lstm_back, rows, size, err, state, gates, squashed, grads_pre, e_prev)
        gemm(grads_pre, W, e_prev[:, :size])
        gemm(grads_pre, state[:, :size], grads["W"], beta=1.0, trans_a=True)
        gemm(self._ones(rows), grads_pre, grads["b"], beta=1.0)
        return grads_pre, e_prev

    def readout(self, new):
        return new[:, :self.arrays["W"].shape[1]]

    def _ones(self, rows: int):
        """A (1, rows) row of ones on the device (the bias gradient sums the rows), made
        once per batch size."""
        if self.ones is None or self.ones.shape[1] != rows:
            self.ones = cuda.to_device(np.ones((1, rows), np.float32))
        return self.ones


@cuda.jit
def _scrn_context(state, x, new, size_h):
    n = cuda.grid(1)
    size_c = state.shape[1] - size_h
    if n < state.shape[0] * size_c:
        r, k = n // size_c, size_h + n % size_c
        new[r, k] = CONTEXT_DECAY * state[r, k] + (1.0 - CONTEXT_DECAY) * x[r, k]


@cuda.jit
def _scrn_hidden(pre, x, new):
    n = cuda.grid(1)
    size = pre.shape[1]
    if n < pre.shape[0] * size:
        r, k = n // size, n % size
        new[r, k] = _sigmoid(pre[r, k] + x[r, k])


@cuda.jit
def _scrn_delta(err, new, d_x, size_h):
    n = cuda.grid(1)
    if n < err.shape[0] * size_h:
        r, k = n // size_h, n % size_h
        h = new[r, k]
        d_x[r, k] = err[r, k] * h * (1.0 - h)


@cuda.jit
def _scrn_context_back(d_context, d_x, e_prev, size_h):
    n = cuda.grid(1)
    size_c = d_context.shape[1]
    if n < d_context.shape[0] * size_c:
        r, k = n // size_c, n % size_c
        d_x[r, size_h + k] = (1.0 - CONTEXT_DECAY) * d_context[r, k]
        e_prev[r, size_h + k] = CONTEXT_DECAY * d_context[r, k]


class ScrnCell(DeviceCell):
    """The slow context, then sigmoid units from two products; the state [h, c] is
    the readout."""

    recurrent = ("R", "P")
    inputs = ("A", "B")

    def forward(self, words, state, new):
        R, P = self.arrays["R"], self.arrays["P"]
        rows, size_h = state.shape[0], R.shape[0]
        x = self.gather(words)
        _launch(_scrn_context, rows, P.shape[1], state, x, new, size_h)
        pre = cuda.device_array((rows, size_h), np.float32)
        gemm(state[:, :size_h], R, pre, trans_b=True)
        gemm(new[:, size_h:], P, pre, beta=1.0, trans_b=True)
        _launch(_scrn_hidden, rows, size_h, pre, x, new)
        return None

    def backward(self, words, state, new, cache, err, grads):
        R, P = self.arrays["R"], self.arrays["P"]
        rows, size_h = state.shape[0], R.shape[0]
        d_x = cuda.device_array((rows, state.shape[1]), np.float32)
        _launch(_scrn_delta, rows, size_h, err, new, d_x, size_h)
        delta = d_x[:, :size_h]
        d_context = err[:, size_h:]
        gemm(delta, P, d_context, beta=1.0)
        e_prev = cuda.device_array(state.shape, np.float32)
        gemm(delta, R, e_prev[:, :size_h])
        gemm(delta, state[:, :size_h], grads["R"], beta=1.0, trans_a=True)
        gemm(delta, new[:, size_h:], grads["P"], beta=1.0, trans_a=True)
        _launch(_scrn_context_back, rows, P.shape[1], d_context, d_x, e_prev, size_h)
        return d_x, e_prev

"""The host side of the GPU backend (--device cuda): a network's weights on the
device, batched scoring of sentence layouts (rnnlm_cli/batch.py), and the
primitives of the mini-batch trainer (rnnlm_cli/batch_train.py, CpuOps).

Imported only when cuda is asked for (rnnlm_cli/device.py checks first).
Everything is float32 with the exact exponential.  ``net`` is an
rnnlm_cli.network.Network.
"""
import numpy as np
from numba import cuda

from . import cells, linalg, rnn


class DeviceNetwork:
    """Device copies of a Network's weights; ``download`` writes them back.

    The hidden layer's device cell (kernels/cuda/cells.py) comes from its spec
    (``cuda_cell``), and so does the output layer's host-side device object
    (``cuda_device``); each spec refuses a layer without device kernels.
    """

    def __init__(self, net):
        self.net = net
        self.upload()

    def upload(self):
        net = self.net
        self.cell = net.hidden_spec.cuda_cell(net.hidden)
        # an empty maxent array is sent as two zeros (order 0 never reads them)
        self.d = cuda.to_device(net.d if net.d.size else np.zeros(2, np.float32))
        self.output = net.output_spec.cuda_device(net.output)

    @property
    def U(self):
        return self.cell.arrays["U"]

    @property
    def W(self):
        return self.cell.arrays["W"]

    def download(self):
        net = self.net
        self.cell.download(net.hidden)
        if net.d.size:
            self.d.copy_to_host(net.d)
        self.output.download(net.output)

    def forward_outputs(self, S, targets, hist, errors: bool):
        """log10 P of every position (NaN where targets < 0) and the error scratch."""
        logp = cuda.device_array(S.shape[0], np.float64)
        scratch = self.output.forward(S, targets, hist, self.d, self.net.maxent_order, logp,
                                      errors)
        return logp, scratch

    def hidden_errors(self, targets, scratch, cutoff, keeps):
        """d ln P / d s of every position through the current (old) output weights."""
        width = self.net.output_spec.input_width(self.net.output)
        E = cuda.device_array((targets.shape[0], width), np.float32)
        self.output.hidden_errors(targets, scratch, cutoff, keeps, E)
        return E

    def update_outputs(self, S, targets, hist, scratch, alpha, l2, decay):
        self.output.update(S, targets, hist, scratch, self.d, self.net.maxent_order, alpha, l2,
                           decay)


def score_layout(net, layout, start: np.ndarray) -> np.ndarray:
    """(count, steps) log10 P of a sentence layout (batch.py), computed on the GPU.

    All rows advance at every step (padding included: the kernels skip targets
    < 0), so the readouts of all positions are one (steps * count, R) matrix.
    """
    dev = _device_network(net)
    count, steps = layout.count, layout.steps
    state = cuda.to_device(np.ascontiguousarray(
        np.broadcast_to(start, (count, start.shape[0])), np.float32))
    width = dev.cell.readout(state).shape[1]
    readouts = cuda.device_array((steps, count, width), np.float32)
    inputs = cuda.to_device(np.ascontiguousarray(layout.inputs.T))
    for t in range(steps):
        new = cuda.device_array(state.shape, np.float32)
        dev.cell.forward(inputs[t], state, new)
        cells.copy(dev.cell.readout(new), readouts[t])
        state = new
    positions = np.argwhere(np.ones((steps, count), bool))           # (t, row), by t
    targets = cuda.to_device(np.ascontiguousarray(layout.targets.T.reshape(-1)))
    hist = cuda.to_device(layout.histories(positions))
    logp, _ = dev.forward_outputs(readouts.reshape(steps * count, width), targets, hist, False)
    return logp.copy_to_host().reshape(steps, count).T


_CACHE: dict = {}


def _device_network(net) -> DeviceNetwork:
    """The device copy of a network that is only scored (uploaded once per process)."""
    key = id(net)
    if key not in _CACHE or _CACHE[key].net is not net:
        _CACHE[key] = DeviceNetwork(net)
    return _CACHE[key]


class CudaOps:
    """The mini-batch trainer's backend on the GPU (see batch_train.CpuOps)."""

    def __init__(self, net):
        self.net = net
        self.dev = None

    def begin(self):
        self.dev = DeviceNetwork(self.net)

    def end(self):
        self.dev.download()
        cuda.synchronize()

    @property
    def W(self):
        return self.dev.W

    @staticmethod
    def asarray(array: np.ndarray):
        return cuda.to_device(np.ascontiguousarray(array))

    @staticmethod
    def empty(shape):
        return cuda.device_array(shape, np.float32)

    @staticmethod
    def full(shape, value):
        return cuda.to_device(np.full(shape, value, np.float32))

    @staticmethod
    def copy(array):
        result = cuda.device_array(array.shape, np.float32)
        result.copy_to_device(array)
        return result

    gemm = staticmethod(linalg.gemm)
    scale_add = staticmethod(linalg.scale_add)
    clip_mask = staticmethod(linalg.clip_mask)
    fill_rows = staticmethod(rnn.fill_rows)

    def add_inputs_and_activate(self, pre, inputs):
        rnn.add_inputs_and_activate(pre, self.dev.U, inputs, self.net.hidden.kind)

    def times_derivative(self, err, H):
        rnn.times_derivative(err, H, self.net.hidden.kind)

    def add_rows(self, words, G, scale):
        rnn.add_rows(self.dev.U, words, G, scale)

    def train_outputs(self, S, targets, hist, alpha, l2, maxent_decay, cutoff):
        """One SGD step of the output layer on all positions together (errors from the
        old weights, then every update); returns (sum of log10 P, hidden errors)."""
        dev = self.dev
        logp, scratch = dev.forward_outputs(S, targets, hist, True)
        keeps = cuda.to_device(np.ones(S.shape[0], np.float32))
        E = dev.hidden_errors(targets, scratch, np.float32(cutoff), keeps)
        dev.update_outputs(S, targets, hist, scratch, alpha, l2, maxent_decay)
        return float(np.nansum(logp.copy_to_host())), E

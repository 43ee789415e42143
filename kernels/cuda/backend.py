"""The host side of the GPU backend (--device cuda): a network's weights on the
device, batched scoring of sentence layouts (rnnlm_cli/batch.py), and the
primitives of the mini-batch trainer (rnnlm_cli/batch_train.py, CpuOps).

Imported only when cuda is asked for (rnnlm_cli/device.py checks first).
Everything is float32 with the exact exponential.  ``net`` is an
rnnlm_cli.network.Network.
"""
import numpy as np
from numba import cuda

from ..class_softmax import ClassSoftmax
from . import linalg, output, rnn

TPB = output.TPB


class DeviceNetwork:
    """Device copies of a Network's weights; ``download`` writes them back."""

    def __init__(self, net):
        self.net = net
        self.tree = not isinstance(net.output, ClassSoftmax)
        self.upload()

    def upload(self):
        net, layer = self.net, self.net.output
        self.U, self.W = cuda.to_device(net.U), cuda.to_device(net.W)
        # an empty maxent array is sent as two zeros (order 0 never reads them)
        self.d = cuda.to_device(net.d if net.d.size else np.zeros(2, np.float32))
        self.layer = {name: cuda.to_device(np.ascontiguousarray(array))
                      for name, array in layer._asdict().items()}
        if self.tree:
            self.scratch_width = int(np.max(np.diff(layer.path_start)))
        else:
            self.scratch_width = int(np.max(np.diff(layer.class_start)))

    def download(self):
        net = self.net
        self.U.copy_to_host(net.U)
        self.W.copy_to_host(net.W)
        if net.d.size:
            self.d.copy_to_host(net.d)
        for name in ("On",) if self.tree else ("Oc", "Ow"):
            self.layer[name].copy_to_host(getattr(net.output, name))

    def forward_outputs(self, S, targets, hist, errors: bool):
        """log10 P of every position (NaN where targets < 0) and the error scratch."""
        positions = S.shape[0]
        logp = cuda.device_array(positions, np.float64)
        L, order = self.layer, self.net.maxent_order
        wide = cuda.device_array((positions, max(self.scratch_width, 1)), np.float32)
        if self.tree:
            output.tree_forward[positions, TPB](S, targets, hist, L["On"], L["path_start"],
                                                L["path_nodes"], L["path_codes"], self.d, order,
                                                logp, wide, errors)
            return logp, (wide,)
        classes = cuda.device_array((positions, L["Oc"].shape[0]), np.float32)
        output.class_forward[positions, TPB](S, targets, hist, L["Oc"], L["Ow"],
                                             L["word_class"], L["class_start"], self.d, order,
                                             logp, classes, wide, errors)
        return logp, (classes, wide)

    def hidden_errors(self, targets, scratch, cutoff, keeps):
        """d ln P / d s of every position through the current (old) output weights."""
        L = self.layer
        E = cuda.device_array((targets.shape[0], self.W.shape[0]), np.float32)
        if self.tree:
            output.tree_hidden_errors[targets.shape[0], TPB](
                targets, L["On"], L["path_start"], L["path_nodes"], scratch[0], cutoff, E)
            return E
        classes, words = scratch
        output.class_hidden_errors[targets.shape[0], TPB](
            targets, L["Ow"], L["word_class"], L["class_start"], words, cutoff, E)
        linalg.gemm(classes, L["Oc"], E, beta=1.0)
        linalg.clip_mask(E, cutoff, keeps)
        return E

    def update_outputs(self, S, targets, hist, scratch, alpha, l2, decay):
        L, order, positions = self.layer, self.net.maxent_order, S.shape[0]
        if self.tree:
            output.tree_update[positions, TPB](S, targets, hist, L["On"], L["path_start"],
                                               L["path_nodes"], self.d, order, scratch[0],
                                               np.float32(alpha), np.float32(l2),
                                               np.float32(decay))
            return
        classes, words = scratch
        output.class_update[positions, TPB](S, targets, hist, L["Ow"], L["word_class"],
                                            L["class_start"], self.d, order, classes, words,
                                            np.float32(alpha), np.float32(l2), np.float32(decay))
        linalg.gemm(classes, S, L["Oc"], alpha, 1.0 - l2 * positions, trans_a=True)


def score_layout(net, layout, start: np.ndarray) -> np.ndarray:
    """(count, steps) log10 P of a sentence layout (batch.py), computed on the GPU.

    All rows advance at every step (padding included: the kernels skip targets
    < 0), so the states of all positions are one (steps * count, H) matrix.
    """
    dev = _device_network(net)
    count, steps, hidden = layout.count, layout.steps, net.hidden_size
    states = cuda.device_array((steps, count, hidden), np.float32)
    h = cuda.to_device(np.ascontiguousarray(np.broadcast_to(start, (count, hidden)),
                                            np.float32))
    inputs = cuda.to_device(np.ascontiguousarray(layout.inputs.T))
    for t in range(steps):
        linalg.gemm(h, dev.W, states[t], trans_b=True)
        rnn.add_inputs_and_activate(states[t], dev.U, inputs[t], net.kind)
        h = states[t]
    positions = np.argwhere(np.ones((steps, count), bool))           # (t, row), by t
    targets = cuda.to_device(np.ascontiguousarray(layout.targets.T.reshape(-1)))
    hist = cuda.to_device(layout.histories(positions))
    logp, _ = dev.forward_outputs(states.reshape(steps * count, hidden), targets, hist, False)
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
        rnn.add_inputs_and_activate(pre, self.dev.U, inputs, self.net.kind)

    def times_derivative(self, err, H):
        rnn.times_derivative(err, H, self.net.kind)

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

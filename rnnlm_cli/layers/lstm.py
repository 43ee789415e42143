"""The LSTM hidden layer: input, forget and output gates over memory cells, the forget
gate's bias starting at 1 (kernels/lstm.py).  Its state is [h, c]; the output layer
reads h.

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) and mini-batch training
(-batch, rnnlm_cli/batch_layers.py) in NumPy with BLAS products; on the GPU
(--device cuda) through its device cell, kernels/cuda/cells.py.
"""
from __future__ import annotations

from .base import HiddenSpec, add_gradient, check_shapes, require, sigmoid

FORGET_BIAS = 1.0


class LstmSpec(HiddenSpec):
    title = "LSTM"
    names = ("lstm",)
    help = "lstm (input, forget and output gates over memory cells)"
    cuda = True
    weights = ("U", "W", "b")
    hot = {"W": None, "b": None}     # every BPTT block rewrites them all

    @property
    def layer_type(self):
        from ..kernels.lstm import Lstm
        return Lstm

    def state_size(self, config) -> int:
        return 2 * config.hidden

    def readout_size(self, config) -> int:
        return config.hidden

    def draw_count(self, config, vocab) -> int:
        return 4 * config.hidden * (len(vocab) + config.hidden)

    def initialise(self, config, vocab, draws):
        """rnnlm's draws, gate by gate and unit by unit over [words, recurrent inputs];
        biases 0 but the forget gate's, 1."""
        import numpy as np
        size_v, size_h = len(vocab), config.hidden
        inputs = draws.reshape(4 * size_h, size_v + size_h)
        bias = np.zeros(4 * size_h, np.float32)
        bias[size_h:2 * size_h] = FORGET_BIAS
        return self.layer_type(np.ascontiguousarray(inputs[:, :size_v].T),
                               np.ascontiguousarray(inputs[:, size_v:]), bias)

    def from_arrays(self, path, config, vocab, arrays):
        require(path, arrays, self.weights)
        size_h = config.hidden
        check_shapes(path, arrays, {"U": (len(vocab), 4 * size_h), "W": (4 * size_h, size_h),
                                    "b": (4 * size_h,)})
        return self.layer_type(arrays["U"], arrays["W"], arrays["b"])

    def scratch(self, layer, bptt_steps: int):
        import numpy as np
        from ..kernels.lstm import LstmScratch
        size_h = layer.W.shape[1]
        zeros = lambda *shape: np.zeros(shape, np.float32)
        return LstmScratch(zeros(4 * size_h), zeros(4 * size_h), zeros(4 * size_h),
                           zeros(2 * size_h),
                           zeros(2 * size_h), zeros(4 * size_h, size_h), zeros(4 * size_h),
                           zeros(max(bptt_steps, 1), 4 * size_h))

    def cuda_cell(self, layer):
        from ..kernels.cuda.cells import LstmCell
        return LstmCell(layer)

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """One BLAS product for the four gates; the readout is h, the cells ride along."""
        import numpy as np
        size = layer.W.shape[1]
        h, c = state[:, :size], state[:, size:]
        pre = h @ layer.W.T + x + layer.b
        gates = sigmoid(pre[:, :3 * size])
        i, f, o = gates[:, :size], gates[:, size:2 * size], gates[:, 2 * size:]
        g = np.tanh(np.clip(pre[:, 3 * size:], -50, 50))
        c = f * c + i * g
        squashed = np.tanh(c)
        new = np.concatenate([o * squashed, c], axis=1)
        return new, new[:, :size], (gates, g, squashed)

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads):
        import numpy as np
        gates, g, squashed = cache
        size = layer.W.shape[1]
        i, f, o = gates[:, :size], gates[:, size:2 * size], gates[:, 2 * size:]
        d_h = np.zeros((x.shape[0], size), np.float32) if err_state is None \
            else err_state[:, :size]
        if err_readout is not None:
            d_h = d_h + err_readout
        d_cell = d_h * o * (1 - squashed * squashed)
        if err_state is not None:
            d_cell = d_cell + err_state[:, size:]
        grads_pre = np.concatenate([d_cell * g * i * (1 - i),
                                    d_cell * state[:, size:] * f * (1 - f),
                                    d_h * squashed * o * (1 - o),
                                    d_cell * i * (1 - g * g)], axis=1)
        add_gradient(grads, "W", grads_pre.T @ state[:, :size])
        add_gradient(grads, "b", grads_pre.sum(axis=0))
        return grads_pre, np.concatenate([grads_pre @ layer.W, d_cell * f], axis=1)

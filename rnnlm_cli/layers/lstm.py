"""The LSTM hidden layer: input, forget and output gates over memory cells, the forget
gate's bias starting at 1 (kernels/lstm.py).  Its state is [h, c]; the output layer
reads h.

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) in NumPy.  The
mini-batch trainer and the GPU have no LSTM kernels yet and refuse it in one line.
"""
from __future__ import annotations

from .base import HiddenSpec, check_shapes, require, take_rows

FORGET_BIAS = 1.0


class LstmSpec(HiddenSpec):
    title = "LSTM"
    names = ("lstm",)
    help = "lstm (input, forget and output gates over memory cells)"
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

    def batch_steps(self, layer, start, contributions, fast: bool) -> list:
        """The outputs h, the cells carried alongside: one BLAS product per step."""
        import numpy as np
        size = layer.W.shape[1]
        W_t = np.ascontiguousarray(layer.W.T)
        state = start
        outputs = []
        for x in contributions:
            state = take_rows(state, x.shape[0])
            h, c = state[:, :size], state[:, size:]
            pre = np.clip(h @ W_t + x + layer.b, -50, 50)
            i, f, o = (1 / (1 + np.exp(-pre[:, k * size:(k + 1) * size])) for k in range(3))
            c = f * c + i * np.tanh(pre[:, 3 * size:])
            state = np.concatenate([o * np.tanh(c), c], axis=1).astype(np.float32)
            outputs.append(state[:, :size])
        return outputs

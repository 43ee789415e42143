"""The GRU hidden layer: update and reset gates over a tanh candidate (kernels/gru.py).

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) in NumPy.  The
mini-batch trainer and the GPU have no GRU kernels yet and refuse it in one line.
"""
from __future__ import annotations

from .base import HiddenSpec, check_shapes, require, take_rows


class GruSpec(HiddenSpec):
    title = "GRU"
    names = ("gru",)
    help = "gru (gated recurrent unit: update and reset gates, tanh candidate)"
    weights = ("U", "W")
    hot = {"W": None}        # every BPTT block rewrites all three recurrent matrices

    @property
    def layer_type(self):
        from ..kernels.gru import Gru
        return Gru

    def draw_count(self, config, vocab) -> int:
        return 3 * config.hidden * (len(vocab) + config.hidden)

    def initialise(self, config, vocab, draws):
        """rnnlm's draws, gate by gate and unit by unit over [words, recurrent inputs]."""
        import numpy as np
        size_v, size_h = len(vocab), config.hidden
        inputs = draws.reshape(3 * size_h, size_v + size_h)
        return self.layer_type(np.ascontiguousarray(inputs[:, :size_v].T),
                               np.ascontiguousarray(inputs[:, size_v:]))

    def from_arrays(self, path, config, vocab, arrays):
        require(path, arrays, self.weights)
        size_h = config.hidden
        check_shapes(path, arrays, {"U": (len(vocab), 3 * size_h), "W": (3 * size_h, size_h)})
        return self.layer_type(arrays["U"], arrays["W"])

    def scratch(self, layer, bptt_steps: int):
        import numpy as np
        from ..kernels.gru import GruScratch
        size_h = layer.W.shape[1]
        vectors = [np.zeros(size_h, np.float32) for _ in range(10)]
        return GruScratch(np.zeros(3 * size_h, np.float32), *vectors,
                          np.zeros((3 * size_h, size_h), np.float32),
                          np.zeros((max(bptt_steps, 1), 3 * size_h), np.float32))

    def batch_steps(self, layer, start, contributions, fast: bool) -> list:
        """Two BLAS products per step for the rows still active."""
        import numpy as np
        size = layer.W.shape[1]
        gates_t = np.ascontiguousarray(layer.W[:2 * size].T)
        candidate_t = np.ascontiguousarray(layer.W[2 * size:].T)
        h = start
        states = []
        for x in contributions:
            h = take_rows(h, x.shape[0])
            zr = 1 / (1 + np.exp(-np.clip(h @ gates_t + x[:, :2 * size], -50, 50)))
            z, r = zr[:, :size], zr[:, size:]
            c = np.tanh(np.clip((r * h) @ candidate_t + x[:, 2 * size:], -50, 50))
            h = (h + z * (c - h)).astype(np.float32)
            states.append(h)
        return states

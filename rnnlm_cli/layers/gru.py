"""The GRU hidden layer: update and reset gates over a tanh candidate (kernels/gru.py).

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) and mini-batch training
(-batch, rnnlm_cli/batch_layers.py) in NumPy with BLAS products; on the GPU
(--device cuda) through its device cell, kernels/cuda/cells.py.
"""
from __future__ import annotations

from .base import HiddenSpec, add_gradient, check_shapes, require, sigmoid, summed_error


class GruSpec(HiddenSpec):
    title = "GRU"
    names = ("gru",)
    help = "gru (gated recurrent unit: update and reset gates, tanh candidate)"
    cuda = True
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

    faster_rnnlm_types = ("gru", "gru-bias", "gru-insyn", "gru-full")

    def from_faster_rnnlm(self, kind, weights, inputs, first):
        """faster-rnnlm's GRU is ours with x = the word's embedding (or the output below)
        passed through its input matrices (gru-insyn, gru-full) or as is, and biases on the
        update and reset gates (gru-bias, gru-full): folded into each input row, exact on
        the first layer; above it (dense inputs) a bias cannot fold and is refused."""
        import numpy as np
        from ..errors import ModelFileError
        with_matrices = kind in ("gru-insyn", "gru-full")
        with_bias = kind in ("gru-bias", "gru-full")
        if with_bias and not first:
            raise ModelFileError(f"faster-rnnlm {kind} layers have biases above the first "
                                 "layer, which our GRU cannot hold")
        parts = []
        for gate, bias in (("update", "update_bias"), ("reset", "reset_bias"),
                           ("candidate", None)):
            rows = inputs.astype(np.float64)
            if with_matrices:
                rows = rows @ weights[f"{gate}_in"].T.astype(np.float64)
            if with_bias and bias:
                rows = rows + weights[bias]
            parts.append(rows)
        return {"U": np.concatenate(parts, axis=1),
                "W": np.concatenate([weights[f"{gate}_out"]
                                     for gate in ("update", "reset", "candidate")])}

    def cuda_cell(self, layer):
        from ..kernels.cuda.cells import GruCell
        return GruCell(layer)

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """Two BLAS products: the update and reset gates, then the candidate."""
        import numpy as np
        size = layer.W.shape[1]
        zr = sigmoid(state @ layer.W[:2 * size].T + x[:, :2 * size])
        z, r = zr[:, :size], zr[:, size:]
        rh = r * state
        c = np.tanh(np.clip(rh @ layer.W[2 * size:].T + x[:, 2 * size:], -50, 50))
        new = state + z * (c - state)
        return new, new, (z, r, c, rh)

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads):
        import numpy as np
        z, r, c, rh = cache
        size = layer.W.shape[1]
        err = summed_error(err_readout, err_state)
        g_c = err * z * (1 - c * c)
        g_rh = g_c @ layer.W[2 * size:]
        g_zr = np.concatenate([err * (c - state) * z * (1 - z), g_rh * state * r * (1 - r)],
                              axis=1)
        add_gradient(grads, "W", np.concatenate([g_zr.T @ state, g_c.T @ rh]))
        e_prev = err * (1 - z) + g_rh * r + g_zr @ layer.W[:2 * size]
        return np.concatenate([g_zr, g_c], axis=1), e_prev


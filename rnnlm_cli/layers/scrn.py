"""The SCRN hidden layer (Mikolov et al. 2015): sigmoid hidden units plus a context
layer that changes slowly, c = 0.95 c_prev + 0.05 B[w]; the output reads both
(kernels/scrn.py).  -scrn-context sets the context size (default 40).

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) and mini-batch training
(-batch, rnnlm_cli/batch_layers.py) in NumPy with BLAS products; on the GPU
(--device cuda) through its device cell, kernels/cuda/cells.py.
"""
from __future__ import annotations

from .base import HiddenSpec, add_gradient, check_shapes, require, sigmoid, summed_error

DEFAULT_CONTEXT = 40


def context_size(config) -> int:
    return config.scrn_context or DEFAULT_CONTEXT


class ScrnSpec(HiddenSpec):
    title = "SCRN"
    names = ("scrn",)
    help = "scrn (Mikolov's structurally constrained network: sigmoid units plus a slow " \
           "context layer of -scrn-context units)"
    cuda = True
    weights = ("A", "R", "P", "B")
    inputs = ("A", "B")
    hot = {"R": None, "P": None}     # every BPTT block rewrites both matrices

    @property
    def layer_type(self):
        from ..kernels.scrn import Scrn
        return Scrn

    def state_size(self, config) -> int:
        return config.hidden + context_size(config)

    def draw_count(self, config, vocab) -> int:
        size_v, size_h, size_c = len(vocab), config.hidden, context_size(config)
        return size_h * (size_v + size_h + size_c) + size_c * size_v

    def initialise(self, config, vocab, draws):
        """rnnlm's draws: hidden unit by hidden unit over [words, recurrent, context]
        inputs, then context unit by context unit over the words."""
        import numpy as np
        size_v, size_h, size_c = len(vocab), config.hidden, context_size(config)
        split = size_h * (size_v + size_h + size_c)
        hidden_inputs = draws[:split].reshape(size_h, size_v + size_h + size_c)
        context_inputs = draws[split:].reshape(size_c, size_v)
        contiguous = np.ascontiguousarray
        return self.layer_type(contiguous(hidden_inputs[:, :size_v].T),
                               contiguous(hidden_inputs[:, size_v:size_v + size_h]),
                               contiguous(hidden_inputs[:, size_v + size_h:]),
                               contiguous(context_inputs.T))

    def from_arrays(self, path, config, vocab, arrays):
        require(path, arrays, self.weights)
        size_v, size_h, size_c = len(vocab), config.hidden, context_size(config)
        check_shapes(path, arrays, {"A": (size_v, size_h), "R": (size_h, size_h),
                                    "P": (size_h, size_c), "B": (size_v, size_c)})
        return self.layer_type(*(arrays[name] for name in self.weights))

    def scratch(self, layer, bptt_steps: int):
        import numpy as np
        from ..kernels.scrn import ScrnScratch
        size_h, size_c = layer.P.shape
        steps = max(bptt_steps, 1)
        zeros = lambda *shape: np.zeros(shape, np.float32)
        return ScrnScratch(zeros(size_h + size_c), zeros(size_h), zeros(size_c),
                           zeros(size_h + size_c), zeros(size_h + size_c), zeros(size_h, size_h),
                           zeros(size_h, size_c), zeros(steps, size_h + size_c))

    def cuda_cell(self, layer):
        from ..kernels.cuda.cells import ScrnCell
        return ScrnCell(layer)

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """States [h, c] (all of them the readout): two BLAS products."""
        import numpy as np
        from ..kernels.scrn import CONTEXT_DECAY
        size_h = layer.R.shape[0]
        context = (np.float32(CONTEXT_DECAY) * state[:, size_h:]
                   + np.float32(1 - CONTEXT_DECAY) * x[:, size_h:])
        h = sigmoid(state[:, :size_h] @ layer.R.T + context @ layer.P.T + x[:, :size_h])
        new = np.concatenate([h, context], axis=1)
        return new, new, new

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads):
        import numpy as np
        from ..kernels.scrn import CONTEXT_DECAY
        size_h = layer.R.shape[0]
        new = cache
        err = summed_error(err_readout, err_state)
        h, context = new[:, :size_h], new[:, size_h:]
        delta = err[:, :size_h] * h * (1 - h)
        d_context = err[:, size_h:] + delta @ layer.P
        add_gradient(grads, "R", delta.T @ state[:, :size_h])
        add_gradient(grads, "P", delta.T @ context)
        decay = np.float32(CONTEXT_DECAY)
        return (np.concatenate([delta, (1 - decay) * d_context], axis=1),
                np.concatenate([delta @ layer.R, decay * d_context], axis=1))

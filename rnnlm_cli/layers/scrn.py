"""The SCRN hidden layer (Mikolov et al. 2015): sigmoid hidden units plus a context
layer that changes slowly, c = 0.95 c_prev + 0.05 B[w]; the output reads both
(kernels/scrn.py).  -scrn-context sets the context size (default 40).

Per-word SGD with rnnlm's BPTT schedule, Hogwild threads, checkpoints, every
output layer and maxent; batched scoring (nbest-rescore) in NumPy.  The
mini-batch trainer and the GPU have no SCRN kernels yet and refuse it in one line.
"""
from __future__ import annotations

from .base import HiddenSpec, check_shapes, require, take_rows

DEFAULT_CONTEXT = 40


def context_size(config) -> int:
    return config.scrn_context or DEFAULT_CONTEXT


class ScrnSpec(HiddenSpec):
    title = "SCRN"
    names = ("scrn",)
    help = "scrn (Mikolov's structurally constrained network: sigmoid units plus a slow " \
           "context layer of -scrn-context units)"
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

    def batch_steps(self, layer, start, contributions, fast: bool) -> list:
        """States [h, c] (all of them the readout): two BLAS products per step."""
        import numpy as np
        from ..kernels.scrn import CONTEXT_DECAY
        size_h = layer.R.shape[0]
        R_t, P_t = np.ascontiguousarray(layer.R.T), np.ascontiguousarray(layer.P.T)
        state = start
        states = []
        for x in contributions:
            state = take_rows(state, x.shape[0])
            context = (np.float32(CONTEXT_DECAY) * state[:, size_h:]
                       + np.float32(1 - CONTEXT_DECAY) * x[:, size_h:])
            pre = state[:, :size_h] @ R_t + context @ P_t + x[:, :size_h]
            h = 1 / (1 + np.exp(-np.clip(pre, -50, 50)))
            state = np.concatenate([h, context], axis=1).astype(np.float32)
            states.append(state)
        return states

"""The Elman hidden layer (rnnlm 0.4b's): s_t = f(U[w_{t-1}] + W h_{t-1}), with the unit
types sigmoid, tanh, relu and relu-trunc (kernels/rnn.py, kernels/elman.py).

NumPy and the kernels are imported inside the methods: the command line reads
the registry's names and help while it starts, before anything is computed.
"""
from __future__ import annotations

from ..errors import ConfigError
from .base import HiddenSpec, add_gradient, check_shapes, require, summed_error

UNIT_TYPES = ("sigmoid", "tanh", "relu", "relu-trunc")     # kernels.rnn numbers them so


class ElmanSpec(HiddenSpec):
    title = "Elman"
    names = UNIT_TYPES
    help = "sigmoid (rnnlm's), tanh, relu, or relu-trunc (relu capped at 20)"
    weights = ("U", "W")
    hot = {"W": None}        # every BPTT block rewrites the whole recurrent matrix
    cuda = True
    dense_steps = True

    @property
    def layer_type(self):
        from ..kernels.elman import Elman
        return Elman

    def draw_count(self, config, vocab) -> int:
        return config.hidden * (len(vocab) + config.hidden)

    def initialise(self, config, vocab, draws):
        """rnnlm draws its input matrix hidden unit by hidden unit over [words, recurrent
        inputs]; -diagonal-initialization replaces the recurrent part."""
        import numpy as np
        size_v, size_h = len(vocab), config.hidden
        inputs = draws.reshape(size_h, size_v + size_h)
        recurrent = np.ascontiguousarray(inputs[:, size_v:])
        if config.diagonal_initialization > 0:
            recurrent = np.eye(size_h, dtype=np.float32) * np.float32(
                config.diagonal_initialization)
        return self.layer_type(np.ascontiguousarray(inputs[:, :size_v].T), recurrent,
                               UNIT_TYPES.index(config.hidden_type))

    def from_arrays(self, path, config, vocab, arrays):
        require(path, arrays, self.weights)
        size_h = config.hidden
        check_shapes(path, arrays, {"U": (len(vocab), size_h), "W": (size_h, size_h)})
        return self.layer_type(arrays["U"], arrays["W"], UNIT_TYPES.index(config.hidden_type))

    def scratch(self, layer, bptt_steps: int):
        import numpy as np
        from ..kernels.elman import ElmanScratch
        size_h = layer.W.shape[0]
        return ElmanScratch(np.zeros((max(bptt_steps, 1), size_h), np.float32),
                            *(np.zeros(size_h, np.float32) for _ in range(4)),
                            np.zeros((size_h, size_h), np.float32))

    def batch_states(self, layer, start, inputs, parents, fast: bool) -> list:
        """Hidden states of a prefix tree (rnnlm_cli/prefixes.py) level by level, one BLAS
        product per level on the parents' states."""
        import numpy as np
        from ..kernels import batch
        W_t = np.ascontiguousarray(layer.W.T)
        h = start[None, :]
        states = []
        for words, up in zip(inputs, parents):
            h = h[up] @ W_t
            batch.add_inputs_and_activate(h, layer.U, words, layer.kind, fast)
            states.append(h)
        return states

    def cuda_cell(self, layer):
        from ..kernels.cuda.cells import ElmanCell
        return ElmanCell(layer)

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """One BLAS product; the cache is the activations (their derivative's input)."""
        import numpy as np
        from ..kernels import batch
        h = state @ layer.W.T + x
        batch.add_inputs_and_activate(h, layer.U, np.full(x.shape[0], -1, np.int32),
                                      layer.kind, fast)
        return h, h, h

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads):
        import numpy as np
        from ..kernels import batch
        delta = np.array(summed_error(err_readout, err_state), np.float32)
        batch.times_derivative(delta, cache, layer.kind)
        add_gradient(grads, "W", delta.T @ state)
        return delta, delta @ layer.W

    def to_rnnlm04(self, layer):
        """rnnlm 0.4b's input matrix syn0 (H, V + H); only sigmoid units fit its format."""
        import numpy as np
        if layer.kind != UNIT_TYPES.index("sigmoid"):
            raise ConfigError(f"rnnlm 0.4b's format has only sigmoid hidden units; this model "
                              f"uses {UNIT_TYPES[layer.kind]} units and cannot be exported")
        return np.concatenate([layer.U.T, layer.W], axis=1)

    faster_rnnlm_types = UNIT_TYPES

    def from_faster_rnnlm(self, kind, weights, inputs, first):
        """faster-rnnlm's h = f(x + W h) on the first layer, f(In x + W h) above it."""
        return {"U": inputs if first else weights["input"].T, "W": weights["recurrent"]}

    def from_rnnlm04(self, syn0, size_v: int):
        import numpy as np
        return self.layer_type(np.ascontiguousarray(syn0[:, :size_v].T),
                               np.ascontiguousarray(syn0[:, size_v:]),
                               UNIT_TYPES.index("sigmoid"))

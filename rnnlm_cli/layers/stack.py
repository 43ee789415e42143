"""Stacked hidden layers (-layers N, faster-rnnlm's --hidden-count): N layers of one
hidden type, each above the first reading the readout of the layer below
(kernels/stack.py).  The spec wraps the spec of the layer type: the first layer
is exactly a one-layer model's (rnnlm's draws first), and each layer above is that
type's layer with one input row per readout unit below instead of one per word,
initialised from the draws after it.  Layer k > 1 stores its arrays as NAME_k
(W_2, U_2, ...).

Per-word SGD with BPTT, Hogwild threads, checkpoints, every output layer and
maxent, -dropout and -clip-norm; batched scoring (nbest-rescore) runs the layers
one after the other with BLAS, and so does mini-batch training (-batch).  The GPU
and rnnlm 0.4b's format refuse stacks in one line.
"""
from __future__ import annotations

from .base import HiddenSpec, require


class StackSpec(HiddenSpec):
    def __init__(self, base: HiddenSpec, count: int):
        self.base, self.count = base, count
        self.title = f"{count}-layer {base.title}"
        self.names = base.names
        self.help = base.help
        self.inputs = base.inputs       # the first layer's input rows keep their names

    @property
    def layer_type(self):
        from ..kernels.stack import Stack
        return Stack

    @property
    def weights(self) -> tuple:
        return tuple(self._stored_name(name, k) for k in range(self.count)
                     for name in self.base.weights)

    @property
    def hot(self) -> dict:
        """The base layer's hot weights in every layer, and the upper layers' input rows
        (every BPTT block rewrites them all)."""
        hot = {self._stored_name(name, k): rows for k in range(self.count)
               for name, rows in self.base.hot.items()}
        for k in range(1, self.count):
            hot.update({self._stored_name(name, k): None for name in self.base.weights})
        return hot

    @staticmethod
    def _stored_name(name: str, k: int) -> str:
        return name if k == 0 else f"{name}_{k + 1}"

    def state_size(self, config) -> int:
        return self.count * self.base.state_size(config)

    def readout_size(self, config) -> int:
        return self.base.readout_size(config)

    def _inputs(self, config, vocab, k: int):
        """What layer k reads: the words, or the readout units of the layer below (a
        stand-in vocabulary: the specs size their input rows by its length)."""
        return vocab if k == 0 else range(self.base.readout_size(config))

    def draw_count(self, config, vocab) -> int:
        return sum(self.base.draw_count(config, self._inputs(config, vocab, k))
                   for k in range(self.count))

    def initialise(self, config, vocab, draws):
        layers, first = [], 0
        for k in range(self.count):
            inputs = self._inputs(config, vocab, k)
            end = first + self.base.draw_count(config, inputs)
            layers.append(self.base.initialise(config, inputs, draws[first:end]))
            first = end
        return self.layer_type(tuple(layers))

    def from_arrays(self, path, config, vocab, arrays):
        require(path, arrays, self.weights)
        return self.layer_type(tuple(
            self.base.from_arrays(path, config, self._inputs(config, vocab, k),
                                  {name: arrays[self._stored_name(name, k)]
                                   for name in self.base.weights})
            for k in range(self.count)))

    def weight_arrays(self, layer) -> dict:
        return {self._stored_name(name, k): array for k, one in enumerate(layer.layers)
                for name, array in self.base.weight_arrays(one).items()}

    def with_weights(self, layer, arrays: dict):
        return self.layer_type(tuple(
            self.base.with_weights(one, {name: arrays[self._stored_name(name, k)]
                                         for name in self.base.weights
                                         if self._stored_name(name, k) in arrays})
            for k, one in enumerate(layer.layers)))

    def scratch(self, layer, bptt_steps: int):
        import numpy as np
        from ..kernels.stack import StackScratch
        works = tuple(self.base.scratch(one, bptt_steps) for one in layer.layers)
        width = works[1].xin.shape[0]
        state = works[0].err.shape[0] * self.count
        upper_rows = self.base.input_rows(layer.layers[1])
        return StackScratch(works, np.zeros((self.count - 1, upper_rows, width), np.float32),
                            np.zeros(upper_rows, np.float32), np.zeros(upper_rows, np.float32),
                            np.zeros(2, np.int32), np.zeros(2, np.int64),
                            np.zeros((2, state), np.float32), np.zeros((2, state), np.float32))

    def batch_states(self, layer, start, inputs, parents, fast: bool) -> list:
        """The top layer's readout at each level of a prefix tree, the layers run one
        after the other: the first on the words, each above on the readouts below."""
        size = start.shape[0] // self.count
        below = None
        for k, one in enumerate(layer.layers):
            part = start[k * size:(k + 1) * size]
            if k == 0:
                below = self.base.batch_states(one, part, inputs, parents, fast)
            else:
                below = self.base.dense_batch_states(one, part, below, parents, fast)
        return below

    def word_contributions(self, layer, words):
        return self.base.word_contributions(layer.layers[0], words)

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """The layers one after the other, each above reading the readout below (times
        a ``drop`` mask in training); the state is the layers' states side by side."""
        import numpy as np
        size = state.shape[1] // self.count
        news, caches = [], []
        readout = None
        for k, one in enumerate(layer.layers):
            below, mask = readout, None
            if k > 0 and drop is not None:
                mask = drop(below.shape)
                below = below * mask
            x_k = x if k == 0 else self.base.dense_contributions(one, below)
            new, readout, cache = self.base.batch_forward(
                one, x_k, state[:, k * size:(k + 1) * size], fast)
            news.append(new)
            caches.append((x_k, below, mask, cache))
        return np.concatenate(news, axis=1), readout, caches

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads):
        """Top layer first: each layer's d J / d x gives the gradient of its dense input
        rows and the error of the readout below (through its dropout mask)."""
        import numpy as np
        from .base import add_gradient
        size = state.shape[1] // self.count
        e_prevs = [None] * self.count
        for k in range(self.count - 1, -1, -1):
            one = layer.layers[k]
            x_k, below, mask, own_cache = cache[k]
            part = slice(k * size, (k + 1) * size)
            own: dict = {}
            d_x, e_prevs[k] = self.base.batch_backward(
                one, x_k, state[:, part], own_cache, err_readout,
                None if err_state is None else err_state[:, part], own)
            for name, gradient in own.items():
                add_gradient(grads, self._stored_name(name, k), gradient)
            if k == 0:
                return d_x, np.concatenate(e_prevs, axis=1)
            err_readout, first = 0.0, 0
            for name in self.base.inputs:
                rows = getattr(one, name)
                d_part = d_x[:, first:first + rows.shape[1]]
                add_gradient(grads, self._stored_name(name, k), below.T @ d_part)
                err_readout = err_readout + d_part @ rows.T
                first += rows.shape[1]
            if mask is not None:
                err_readout = err_readout * mask

    def not_supported(self, what: str):
        from ..errors import ConfigError
        raise ConfigError(f"{what}: stacked hidden layers (-layers) do not support it yet")

    def to_rnnlm04(self, layer):
        from ..errors import ConfigError
        raise ConfigError("rnnlm 0.4b's format has one hidden layer; this model has "
                          f"{self.count} and cannot be exported")

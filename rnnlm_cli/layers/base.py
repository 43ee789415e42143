"""What a layer spec declares, and the checks every spec shares.

A spec is a stateless object describing one layer type; the layer itself is
the namedtuple its kernel module defines (kernels.hidden / kernels.output
dispatch on that type at compile time).  Network, Model, the trainers, the
batched scorer, interop and the CUDA backend ask the spec; none of them tests
a layer's name.
"""
from __future__ import annotations

from ..errors import ConfigError, ModelFileError


class LayerSpec:
    """Common part of hidden and output specs."""

    title: str = ""         # what messages call it
    names: tuple = ()       # the names the command line and model files use
    help: str = ""          # one phrase for --help, e.g. "hs (hierarchical softmax ...)"
    layer_type = None       # the kernel namedtuple class (a property importing it lazily)
    weights: tuple = ()     # trained float32 arrays (fields of the namedtuple), saved by name
    hot: dict = {}          # weights every token rewrites: name -> leading rows that Hogwild
                            # threads merge often (None: all rows), the rest at range ends

    def weight_arrays(self, layer) -> dict:
        """The trained arrays of the layer by name."""
        return {name: getattr(layer, name) for name in self.weights}

    def with_weights(self, layer, arrays: dict):
        """The layer with the named arrays replaced."""
        return layer._replace(**arrays)

    def stored_arrays(self, layer) -> dict:
        """Everything the model file keeps of the layer (weights and structure)."""
        return self.weight_arrays(layer)

    def not_supported(self, what: str):
        """The one-line refusal of an operation the layer has no kernels for."""
        raise ConfigError(f"{what}: the {self.title} layer does not support it")


class HiddenSpec(LayerSpec):
    """A hidden layer: kernels.hidden's interface, plus what the batched paths need."""

    cuda = False            # has a device cell (kernels/cuda/cells.py: cuda_cell)
    dense_steps = False     # batch_layers.ElmanSteps trains it on the backends' dense
                            # primitives (CpuOps, CudaOps)
    inputs: tuple = ("U",)  # the weights holding the input rows (a word's, or a unit's
                            # below in a stack), side by side in the cell's input layout

    def state_size(self, config) -> int:
        """Length of the state s that h_init and the BPTT ring hold."""
        return config.hidden

    def readout_size(self, config) -> int:
        """How many leading values of the state the output layer reads (the hidden
        kernels' readout); less than state_size when the state also carries memory."""
        return self.state_size(config)

    def draw_count(self, config, vocab) -> int:
        """How many of rnnlm's initial draws (kernels/crand.py) the layer consumes."""
        raise NotImplementedError

    def initialise(self, config, vocab, draws):
        """The layer at its initial weights from its share of the draws."""
        raise NotImplementedError

    def from_arrays(self, path: str, config, vocab, arrays: dict):
        """The layer from a model file's arrays; ModelFileError when missing or misshapen."""
        raise NotImplementedError

    def scratch(self, layer, bptt_steps: int):
        """The layer's per-stream scratch namedtuple for a BPTT depth."""
        raise NotImplementedError

    def input_rows(self, layer) -> int:
        return getattr(layer, self.inputs[0]).shape[0]

    def word_contributions(self, layer, words):
        """The input contributions (n, G) of the words (n,): their rows of each input
        weight side by side, zeros for words < 0 (OOV, or nothing to read)."""
        import numpy as np
        rows = np.maximum(words, 0)
        return np.concatenate([np.where((words >= 0)[:, None], getattr(layer, name)[rows],
                                        np.float32(0)) for name in self.inputs], axis=1)

    def batch_states(self, layer, start, inputs, parents, fast: bool) -> list:
        """The readouts of the hidden states of a prefix tree's levels (rnnlm_cli/prefixes.py:
        ``inputs[L]`` the nodes' words, ``parents[L]`` their parents in level L - 1, level
        0's in the one-row start), one (nodes, R) matrix a level."""
        return self.batch_steps(layer, start, (self.word_contributions(layer, words)
                                               for words in inputs), parents, fast)

    def dense_batch_states(self, layer, start, below: list, parents, fast: bool) -> list:
        """batch_states of a layer stacked on another: ``below`` is the readout of the
        layer below at each level."""
        return self.batch_steps(layer, start, (self.dense_contributions(layer, x)
                                               for x in below), parents, fast)

    def dense_contributions(self, layer, below):
        """The input contributions of readouts ``below`` (n, R) of a layer underneath."""
        import numpy as np
        return np.concatenate([below @ getattr(layer, name) for name in self.inputs], axis=1)

    def batch_steps(self, layer, start, contributions, parents, fast: bool) -> list:
        """The readouts of a prefix tree's nodes stepping from their parents' states
        (the first level's from ``start``) on the input contributions given (one
        (nodes, G) matrix a level)."""
        state = start[None, :]
        readouts = []
        for x, up in zip(contributions, parents):
            state, readout, _ = self.batch_forward(layer, x, state[up], fast)
            readouts.append(readout)
        return readouts

    def batch_forward(self, layer, x, state, fast: bool = False, drop=None):
        """One step of many rows in NumPy (BLAS products for the recurrent matrices): x
        (n, G) their input contributions, state (n, S) their states.  Returns the new
        state, its readout and what batch_backward needs of the step.  ``drop`` (training
        with -dropout) makes a dropout mask of a shape: a stack drops the readouts
        between its layers with it; a single layer has none to drop."""
        self.not_supported("batched scoring and -batch training")

    def batch_backward(self, layer, x, state, cache, err_readout, err_state, grads: dict):
        """Backpropagation of one batch_forward step (``state`` the states before it,
        ``cache`` what it returned) given d J / d readout and d J / d new state (either
        may be None).  Adds the step's gradients of the weights other than the input
        rows to ``grads`` (name -> array, made when missing); returns (d J / d x,
        d J / d state)."""
        self.not_supported("-batch training")

    def cuda_cell(self, layer):
        """The layer's host-side device cell (kernels/cuda/cells.py)."""
        self.not_supported("--device cuda")

    def to_rnnlm04(self, layer):
        raise ConfigError(f"rnnlm 0.4b's format has only sigmoid Elman hidden layers; this "
                          f"model uses the {self.title} layer and cannot be exported")

    faster_rnnlm_types: tuple = ()   # faster-rnnlm's hidden types this layer holds exactly

    def from_faster_rnnlm(self, kind: str, weights: dict, inputs, first: bool) -> dict:
        """Our arrays (U, W) of one layer of a faster-rnnlm model: ``kind`` its hidden
        type, ``weights`` its stored arrays (formats/faster_rnnlm.py), ``inputs`` (N, H)
        the rows it reads (the embeddings on the ``first`` layer, else the identity)."""
        raise NotImplementedError


class OutputSpec(LayerSpec):
    """An output layer: kernels.output's interface, plus its batched and GPU forms."""

    shortcut = None         # a flag of its own that selects it (-hs), if any

    # ``width`` below is the length of the hidden state the layer reads (the hidden
    # layer's spec says it: HiddenSpec.readout_size).

    def draw_count(self, config, vocab, width: int) -> int:
        """How many of rnnlm's initial draws (kernels/crand.py) the layer consumes."""
        raise NotImplementedError

    def initialise(self, config, vocab, draws, width: int):
        """The layer at its initial weights from its share of the draws."""
        raise NotImplementedError

    def from_arrays(self, path: str, config, vocab, arrays: dict, width: int):
        """The layer from a model file's arrays; ModelFileError when missing or misshapen."""
        raise NotImplementedError

    def vocab_size(self, layer) -> int:
        raise NotImplementedError

    def input_width(self, layer) -> int:
        """The length of the hidden readout it reads (its weight rows')."""
        return getattr(layer, self.weights[0]).shape[1]

    def scratch_sizes(self, layer) -> tuple[int, int]:
        """Lengths of p_class and p_word (kernels.output.OutputScratch)."""
        raise NotImplementedError

    def scratch(self, layer):
        """The layer's per-stream scratch namedtuple: kernels.output.OutputScratch of
        scratch_sizes here; a layer needing other buffers returns its own."""
        import numpy as np
        from ..kernels import maxent
        from ..kernels.output import OutputScratch
        size_a, size_b = self.scratch_sizes(layer)
        return OutputScratch(*(np.zeros(maxent.MAX_ORDER, np.int64) for _ in range(3)),
                             np.zeros(size_a, np.float32), np.zeros(size_b, np.float32))

    def describe(self, vocab) -> str:
        return self.title

    cuda = False               # has a device layer in kernels/cuda (cuda_device)
    faster_rnnlm_output = ""   # the faster-rnnlm output it holds: "tree", "nce" or none
    self_normalised = False    # can score exp(z - lnZ) without its normaliser (NCE's models)
    scores_in_matrices = False  # Network.score: batch_log10_probs over a whole stream beats
                                # the word-by-word kernel (a full softmax)

    def scoring(self, layer, unnormalised: bool):
        """The layer scoring normalised probabilities, or self-normalised scores."""
        if unnormalised:
            raise ConfigError(f"-nce-unnormalized: the {self.title} has no unnormalised "
                              "scores (only the full softmax of NCE models has)")
        return layer

    def unnormalised(self, layer) -> bool:
        return False

    def batch_log10_probs(self, net, S, target, hist, rows=None):
        """log10 P(target[n] | S[rows[n]], hist[n]) for many positions at once (``rows``
        None: S[n]; several positions may share a state): row by row through the
        layer's word_log10_prob kernel unless the layer has a faster form."""
        import numpy as np
        from ..kernels import batch
        if rows is not None:
            S = S[rows]
        logp = np.empty(S.shape[0])
        batch.rows_log10_probs(S, net.output, target, net.d, net.maxent_order, hist,
                               self.scratch(net.output), logp, net.fast_exp)
        return logp

    def draw_words(self, net, S, hist, uniforms):
        """A word drawn at each position n from the layer's distribution given S[n] and
        hist[n] (uniforms (n, 2): the random numbers): from the full distribution row
        by row unless the layer has a faster form."""
        import numpy as np
        from ..kernels import batch
        out = np.empty(S.shape[0], np.int32)
        batch.draw_rows(S, net.output, net.d, net.maxent_order, hist, self.scratch(net.output),
                        np.empty(self.vocab_size(net.output), np.float32), uniforms, out)
        return out

    def train_block(self, net, S, targets, hist, alpha, l2, maxent_decay, cutoff,
                    streams: int):
        """Output-layer SGD on a mini-batch block (batch_train.py): S holds T steps of
        ``streams`` rows, time-major.  Returns (sum of log10 P, hidden errors).  Row by
        row through the layer's train_word unless the layer has a faster form."""
        import numpy as np
        from ..kernels import batch
        errors = np.empty_like(S)
        logp = batch.train_rows(S, net.output, targets, net.d, net.maxent_order, hist,
                                net.workspace().work, alpha, l2, maxent_decay, cutoff, errors,
                                False)
        return logp, errors

    def cuda_device(self, layer):
        """The layer's host-side object in kernels/cuda (forward, errors, update)."""
        self.not_supported("--device cuda")

    def to_rnnlm04(self, layer):
        raise ConfigError(f"rnnlm 0.4b's format has only the class softmax; this model uses a "
                          f"{self.title} and cannot be exported")

    def from_rnnlm04(self, syn1, vocab):
        raise NotImplementedError


def add_gradient(grads: dict, name: str, gradient):
    """grads[name] += gradient (the first time: grads[name] = gradient)."""
    if name in grads:
        grads[name] += gradient
    else:
        grads[name] = gradient


def sigmoid(pre):
    """The logistic function of pre-activations clamped to [-50, 50], as the kernels'."""
    import numpy as np
    return (1 / (1 + np.exp(-np.clip(pre, -50, 50)))).astype(np.float32)


def summed_error(err_readout, err_state):
    """The error of a state that is its own readout, from the two batch_backward gets."""
    if err_readout is None:
        return err_state
    return err_readout if err_state is None else err_readout + err_state


def all_rows(S, rows):
    """The row of S each position reads (batch_log10_probs): ``rows``, or S's rows in order."""
    import numpy as np
    return np.arange(S.shape[0]) if rows is None else rows


def require(path: str, arrays: dict, names):
    """ModelFileError unless every named array is in the file."""
    missing = [name for name in names if name not in arrays]
    if missing:
        raise ModelFileError(f"{path}: corrupt model, arrays missing: {', '.join(missing)}")


def check_shapes(path: str, arrays: dict, expected: dict):
    """ModelFileError unless each named float32 array has its expected shape."""
    import numpy as np
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape or array.dtype != np.float32:
            raise ModelFileError(f"{path}: corrupt model, array {name} has shape "
                                 f"{array.shape}, expected {shape}")


def faster_rnnlm_modulus(title: str, direct_size: int, size_v: int):
    """(1,) int64: the modulus of faster-rnnlm's maxent hashing (the maxent size less V, so
    that every output unit's feature fits); ConfigError when the maxent is not larger than V."""
    import numpy as np
    if 0 < direct_size <= size_v:
        raise ConfigError(f"the {title} needs more maxent weights than words ({size_v}); "
                          "raise -direct")
    return np.array([max(direct_size - size_v, 0)], np.int64)


def valid_faster_rnnlm_modulus(modulus, direct_size: int, size_v: int) -> bool:
    """Whether a stored modulus is one faster_rnnlm_modulus could have made."""
    import numpy as np
    return modulus.shape == (1,) and modulus.dtype == np.int64 and (
        modulus[0] == 0 if direct_size == 0 else 0 < modulus[0] <= direct_size - size_v)

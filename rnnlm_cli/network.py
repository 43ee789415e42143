"""The parameter arrays of an RNNME network and the per-stream state the kernels use.

``Network`` owns the weights (float32): U (V, H) input words, W (H, H)
recurrent, d (D,) maxent, the hidden state scoring starts from, and the output
layer (kernels.output): a class softmax with Oc (C, H) class rows and Ow (V, H)
word rows, or a hierarchical softmax with On (V-1, H) tree-node rows.
``Workspace`` owns what one stream of tokens needs between kernel calls
(hidden state, word history, BPTT ring, scratch), so several streams can share
one Network.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .config import HIDDEN_TYPES, ModelConfig
from .huffman import huffman_paths
from .kernels import crand, maxent, output, sgd
from .kernels.class_softmax import ClassSoftmax
from .kernels.hsoftmax import HierarchicalSoftmax
from .vocab import Vocabulary

CORE_WEIGHTS = ("U", "W", "d", "h_init")
OUTPUT_WEIGHTS = {ClassSoftmax: ("Oc", "Ow"), HierarchicalSoftmax: ("On",)}
# Weights that every token (or BPTT block) rewrites: Hogwild threads keep private
# copies (train.py) and merge the leading rows given here often (None: all rows);
# only the tree nodes nearest the root are hot, the rest wait for the end of a pass.
HOT_WEIGHTS = {ClassSoftmax: {"W": None, "Oc": None},
               HierarchicalSoftmax: {"W": None, "On": 256}}
_NO_OUTPUT = np.zeros(0, np.float64)
EPOCH_START_HIDDEN = 0.1
SENTENCE_START_HIDDEN = 1.0


@dataclass
class Network:
    U: np.ndarray
    W: np.ndarray
    output: tuple              # ClassSoftmax or HierarchicalSoftmax (kernels.output)
    d: np.ndarray
    h_init: np.ndarray
    direct_order: int
    independent: bool
    fast_exp: bool = False     # rnnlm 0.4b's approximate exponential when scoring
    kind: int = 0              # hidden type, an index into config.HIDDEN_TYPES (0: sigmoid)

    @classmethod
    def initialise(cls, config: ModelConfig, vocab: Vocabulary, seed: int) -> "Network":
        """rnnlm 0.4b's initial weights for this seed, bit for bit; maxent zero.

        rnnlm draws each weight as three summed uniform(-0.1, 0.1) values from
        glibc rand() after srand(seed): first its input matrix hidden unit by
        hidden unit over [words, recurrent inputs], then its output matrix
        unit by unit over [words, requested classes] (kernels/crand.py).  The
        hierarchical softmax draws its node rows the same way.
        """
        size_v, size_h, size_c = len(vocab), config.hidden, vocab.n_classes
        tree = config.output == "hs"
        rows_out = size_v - 1 if tree else size_v + max(config.classes, size_c)
        draws = crand.rnnlm_weight_draws(seed, size_h * (size_v + size_h) + rows_out * size_h,
                                         -0.1, 0.1)
        inputs = draws[:size_h * (size_v + size_h)].reshape(size_h, size_v + size_h)
        outputs = draws[size_h * (size_v + size_h):].reshape(rows_out, size_h)
        if tree:
            layer = HierarchicalSoftmax(outputs.copy(), *huffman_paths(vocab.counts))
        else:
            layer = ClassSoftmax(outputs[size_v:size_v + size_c].copy(), outputs[:size_v].copy(),
                                 vocab.word_class, vocab.class_start)
        recurrent = np.ascontiguousarray(inputs[:, size_v:])
        if config.diagonal_initialization > 0:
            recurrent = np.eye(size_h, dtype=np.float32) * np.float32(
                config.diagonal_initialization)
        return cls(U=np.ascontiguousarray(inputs[:, :size_v].T), W=recurrent, output=layer,
                   d=np.zeros(config.direct_size, np.float32),
                   h_init=np.full(size_h, EPOCH_START_HIDDEN, np.float32),
                   direct_order=config.direct_order, independent=config.independent,
                   kind=HIDDEN_TYPES.index(config.hidden_type))

    @property
    def hidden_size(self) -> int:
        return self.W.shape[0]

    @property
    def maxent_order(self) -> int:
        return self.direct_order if self.d.shape[0] > 0 else 0

    def weights(self) -> dict[str, np.ndarray]:
        """The trained arrays by name (the output layer's included)."""
        names = OUTPUT_WEIGHTS[type(self.output)]
        return {**{name: getattr(self, name) for name in CORE_WEIGHTS},
                **{name: getattr(self.output, name) for name in names}}

    def snapshot(self) -> dict[str, np.ndarray]:
        return {name: array.copy() for name, array in self.weights().items()}

    def is_finite(self) -> bool:
        """No NaN or inf in any weight."""
        return all(np.isfinite(array).all() for array in self.weights().values())

    def restore(self, snapshot: dict[str, np.ndarray]):
        weights = self.weights()
        for name, array in snapshot.items():
            weights[name][...] = array

    def with_copies(self, names) -> "Network":
        """The same network with private copies of the named weight arrays."""
        copies = {name: self.weights()[name].copy() for name in names}
        in_layer = {n: a for n, a in copies.items() if n in self.output._fields}
        return replace(self, output=self.output._replace(**in_layer),
                       **{n: a for n, a in copies.items() if n not in in_layer})

    def workspace(self, bptt_steps: int = 0) -> "Workspace":
        return Workspace(self, bptt_steps)

    def score(self, tokens: np.ndarray, ws: "Workspace", independent=None) -> np.ndarray:
        """log10 P of each token (0.0 at OOVs), continuing from the workspace state.

        ``independent`` overrides the trained sentence-reset mode when not None.
        """
        out = np.zeros(tokens.shape[0], dtype=np.float64)
        reset = self.independent if independent is None else independent
        sgd.score_span(tokens, self.U, self.W, self.output, self.d, self.maxent_order, reset,
                       ws.s, ws.h_prev, ws.hist, ws.work, out, self.fast_exp, self.kind)
        return out

    def train(self, tokens: np.ndarray, ws: "Workspace", alpha: float, beta: float,
              cutoff: float, bptt_block: int, out: np.ndarray = None,
              independent=None) -> float:
        """One SGD step per token; returns the sum of log10 P before each update.

        ``out`` (float64, len(tokens)) optionally receives each token's log10 P;
        ``independent`` overrides the trained sentence-reset mode when not None.
        """
        reset = self.independent if independent is None else independent
        return sgd.train_span(tokens, self.U, self.W, self.output, self.d, self.maxent_order,
                              reset, alpha, beta, cutoff, ws.bptt_steps, bptt_block,
                              ws.s, ws.h_prev, ws.hist, ws.counters, ws.work, ws.e_hidden,
                              ws.ring_word, ws.ring_ac, ws.ring_er, ws.grad_U,
                              ws.delta, ws.e_prev, ws.err, _NO_OUTPUT if out is None else out,
                              self.fast_exp, self.kind)

    def distribution(self, ws: "Workspace") -> np.ndarray:
        """P(v | current state) for every word v, as the next token would be scored."""
        out = np.empty(self.U.shape[0], dtype=np.float32)
        sgd.next_distribution(self.U, self.W, self.output, self.d, self.maxent_order, ws.hist,
                              ws.h_prev, np.empty_like(ws.s), ws.work, out, self.fast_exp,
                              self.kind)
        return out


class Workspace:
    """State of one token stream: hidden layer, word history, BPTT ring, scratch."""

    def __init__(self, net: Network, bptt_steps: int = 0):
        size_h = net.hidden_size
        slots = bptt_steps + 2 if bptt_steps else 1
        self.bptt_steps = bptt_steps
        self.s = np.zeros(size_h, np.float32)
        self.h_prev = np.zeros(size_h, np.float32)
        self.e_hidden = np.zeros(size_h, np.float32)
        self.hist = np.zeros(maxent.MAX_ORDER, np.int32)
        self.counters = np.zeros(2, np.int64)
        size_a, size_b = _scratch_sizes(net.output)
        self.work = output.OutputScratch(
            *(np.zeros(maxent.MAX_ORDER, np.int64) for _ in range(3)),
            np.zeros(size_a, np.float32), np.zeros(size_b, np.float32))
        self.ring_word = np.zeros(slots, np.int32)
        self.ring_ac = np.zeros((slots, size_h), np.float32)
        self.ring_er = np.zeros((slots, size_h), np.float32)
        self.err = np.zeros(size_h, np.float32)
        self.grad_U = np.zeros((max(bptt_steps, 1), size_h), np.float32)
        self.delta = np.zeros(size_h, np.float32)
        self.e_prev = np.zeros(size_h, np.float32)

    STATE = ("s", "h_prev", "hist", "counters", "ring_word", "ring_ac", "ring_er")

    def state(self) -> dict[str, np.ndarray]:
        """Copies of what the kernels carry from one token to the next (the rest is
        scratch): with these a pass continues exactly where it stopped."""
        return {name: getattr(self, name).copy() for name in self.STATE}

    def set_state(self, state: dict[str, np.ndarray]):
        for name in self.STATE:
            getattr(self, name)[...] = state[name]

    def start(self, hidden):
        """Begin a pass: recurrent input = ``hidden`` (array or scalar), no history."""
        self.s[:] = 0.0
        self.h_prev[:] = hidden
        self.hist[:] = 0
        self.counters[:] = 0
        self.ring_word[:] = 0
        self.ring_ac[:] = 0.0
        self.ring_er[:] = 0.0


def _scratch_sizes(layer) -> tuple[int, int]:
    """Lengths of the output layer's p_class and p_word buffers (kernels.output)."""
    if isinstance(layer, ClassSoftmax):
        return layer.Oc.shape[0], int(np.max(np.diff(layer.class_start)))
    return max(layer.On.shape[0], 1), 1

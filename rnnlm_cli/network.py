"""The parameter arrays of an RNNME network and the per-stream state the kernels use.

``Network`` owns the weights (float32): a hidden layer and an output layer
(namedtuples of arrays whose specs are in rnnlm_cli.layers), d (D,) maxent
and the hidden state scoring starts from.  ``Workspace`` owns what one stream
of tokens needs between kernel calls (hidden state, word history, BPTT ring,
the layers' scratch), so several streams can share one Network.  Nothing here
knows which layers it holds: it asks their specs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import layers
from .config import ModelConfig
from .kernels import crand, maxent, sgd
from .vocab import Vocabulary

CORE_WEIGHTS = ("d", "h_init")
_NO_OUTPUT = np.zeros(0, np.float64)
EPOCH_START_HIDDEN = 0.1


@dataclass
class Network:
    hidden: tuple              # a hidden layer (kernels.hidden), e.g. kernels.elman.Elman
    output: tuple              # an output layer (kernels.output), e.g. ClassSoftmax
    d: np.ndarray
    h_init: np.ndarray
    direct_order: int
    independent: bool
    fast_exp: bool = False     # rnnlm 0.4b's approximate exponential when scoring
    sentence_start: str = "rnnlm"   # how an independent sentence starts (ModelConfig's)

    @classmethod
    def initialise(cls, config: ModelConfig, vocab: Vocabulary, seed: int,
                   fast_exp: bool = False) -> "Network":
        """rnnlm 0.4b's initial weights for this seed, bit for bit; maxent zero.

        rnnlm draws each weight as three summed uniform(-0.1, 0.1) values from
        glibc rand() after srand(seed) (kernels/crand.py): the hidden layer takes
        the first draws, the output layer the ones after (each spec says how many
        and in which order it uses them).
        """
        hidden_spec = layers.hidden_spec_for(config)
        output_spec = layers.output_spec(config.output)
        width = hidden_spec.readout_size(config)
        first = hidden_spec.draw_count(config, vocab)
        draws = crand.rnnlm_weight_draws(
            seed, first + output_spec.draw_count(config, vocab, width), -0.1, 0.1)
        return cls(hidden=hidden_spec.initialise(config, vocab, draws[:first]),
                   output=output_spec.initialise(config, vocab, draws[first:], width),
                   d=np.zeros(config.direct_size, np.float32),
                   h_init=np.full(hidden_spec.state_size(config), EPOCH_START_HIDDEN,
                                  np.float32),
                   direct_order=config.direct_order, independent=config.independent,
                   fast_exp=fast_exp, sentence_start=config.sentence_start)

    @property
    def hidden_spec(self):
        return layers.spec_of(self.hidden)

    @property
    def output_spec(self):
        return layers.spec_of(self.output)

    @property
    def hidden_size(self) -> int:
        return self.h_init.shape[0]

    @property
    def vocab_size(self) -> int:
        return self.output_spec.vocab_size(self.output)

    @property
    def maxent_order(self) -> int:
        return self.direct_order if self.d.shape[0] > 0 else 0

    @property
    def hot_weights(self) -> dict:
        """Weights that every token (or BPTT block) rewrites: Hogwild threads keep private
        copies (training.py) and merge the leading rows given here often (None: all rows)."""
        return {**self.hidden_spec.hot, **self.output_spec.hot}

    def weights(self) -> dict[str, np.ndarray]:
        """The trained arrays by name (both layers' included)."""
        return {**self.hidden_spec.weight_arrays(self.hidden),
                **{name: getattr(self, name) for name in CORE_WEIGHTS},
                **{name: getattr(self.output, name) for name in self.output_spec.weights}}

    def __getattr__(self, name: str) -> np.ndarray:
        """A layer's weight array by its name (net.W), whichever layer holds it."""
        if name.startswith("_") or name in ("hidden", "output"):
            raise AttributeError(name)
        try:
            return self.weights()[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no weight {name!r}") from None

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

        def part(names):
            return {n: a for n, a in copies.items() if n in names}
        hidden, output = self.hidden_spec, self.output_spec
        return replace(self, hidden=hidden.with_weights(self.hidden, part(hidden.weights)),
                       output=output.with_weights(self.output, part(output.weights)),
                       **{n: a for n, a in copies.items() if n in CORE_WEIGHTS})

    def with_exp(self, fast_exp: bool) -> "Network":
        """The same weights, scored with rnnlm's approximate exponential or the exact one."""
        return replace(self, fast_exp=fast_exp)

    @property
    def self_normalised(self) -> bool:
        """Whether the output layer can score without its normaliser (NCE's models)."""
        return self.output_spec.self_normalised

    @property
    def unnormalised(self) -> bool:
        """Whether it scores so (with_unnormalised_scores): the numbers are then no
        probabilities and their 'perplexity' none."""
        return self.output_spec.unnormalised(self.output)

    def with_unnormalised_scores(self) -> "Network":
        """The same weights scoring exp(z - lnZ) without the softmax sum (NCE-trained
        models are close to self-normalised): for rescoring, where the ranking counts.
        ConfigError (one line) for an output layer that has no such scores."""
        return replace(self, output=self.output_spec.scoring(self.output, True))

    def workspace(self, bptt_steps: int = 0) -> "Workspace":
        return Workspace(self, bptt_steps)

    def reset_mode(self, independent=None) -> int:
        """What the kernels do at </s> (kernels.sgd): nothing, or start the next sentence
        as -sentence-start says; ``independent`` overrides the trained mode when not None."""
        if not (self.independent if independent is None else independent):
            return sgd.NO_RESET
        return sgd.ZERO_RESET if self.sentence_start == "zero" else sgd.RNNLM_RESET

    @property
    def sentence_start_hidden(self) -> float:
        """The value of every hidden unit when an independent sentence starts."""
        return sgd.RNNLM_START_HIDDEN if self.reset_mode(True) == sgd.RNNLM_RESET else 0.0

    def start(self, ws: "Workspace", independent=None):
        """Begin a pass over a text: from the start of a sentence when independent, else
        from the state stored with the model (the end of its last validation pass)."""
        mode = self.reset_mode(independent)
        if mode == sgd.NO_RESET:
            ws.start(self.h_init)
        else:
            ws.start(0.0)
            sgd.reset_sentence_state(ws.s, ws.h_prev, ws.hist, mode)

    def score(self, tokens: np.ndarray, ws: "Workspace", independent=None) -> np.ndarray:
        """log10 P of each token (0.0 at OOVs), continuing from the workspace state.

        ``independent`` overrides the trained sentence-reset mode when not None.
        """
        if self.output_spec.scores_in_matrices and not self.fast_exp:
            return self._score_in_matrices(tokens, ws, independent)
        out = np.zeros(tokens.shape[0], dtype=np.float64)
        sgd.score_span(tokens, self.hidden, self.output, self.d, self.maxent_order,
                       self.reset_mode(independent),
                       ws.s, ws.h_prev, ws.hist, ws.hwork, ws.work, out, self.fast_exp)
        return out

    def _score_in_matrices(self, tokens, ws, independent) -> np.ndarray:
        """score() as the hidden states of the whole stream first, then the output layer's
        batch_log10_probs over them (BLAS for a full softmax)."""
        readouts = np.empty((tokens.shape[0], self.output_spec.input_width(self.output)),
                            np.float32)
        histories = np.empty((tokens.shape[0], maxent.MAX_ORDER), np.int32)
        sgd.stream_readouts(tokens, self.hidden, self.reset_mode(independent), ws.s, ws.h_prev,
                            ws.hist, ws.hwork, readouts, histories, self.fast_exp)
        out = np.zeros(tokens.shape[0], dtype=np.float64)
        known = tokens >= 0
        if known.any():
            out[known] = self.output_spec.batch_log10_probs(self, readouts[known], tokens[known],
                                                            histories[known])
        return out

    def train(self, tokens: np.ndarray, ws: "Workspace", alpha: float, beta: float,
              cutoff: float, bptt_block: int, out: np.ndarray = None,
              independent=None, clip_norm: float = 0.0, dropout: float = 0.0,
              mask_seed: int = 0) -> float:
        """One SGD step per token; returns the sum of log10 P before each update.

        ``out`` (float64, len(tokens)) optionally receives each token's log10 P;
        ``independent`` overrides the trained sentence-reset mode when not None;
        ``clip_norm`` and ``dropout`` are -clip-norm and -dropout (kernels.sgd);
        ``mask_seed`` makes the dropout masks of an epoch and stream its own.
        """
        return sgd.train_span(tokens, self.hidden, self.output, self.d, self.maxent_order,
                              self.reset_mode(independent), alpha, beta, cutoff, clip_norm,
                              dropout, mask_seed, ws.bptt_steps,
                              bptt_block, ws.s, ws.h_prev, ws.hist, ws.counters, ws.hwork,
                              ws.work, ws.e_hidden, ws.dropped, ws.ring_word, ws.ring_key, ws.ring_ac,
                              ws.ring_er, _NO_OUTPUT if out is None else out, self.fast_exp)

    def distribution(self, ws: "Workspace") -> np.ndarray:
        """P(v | current state) for every word v, as the next token would be scored."""
        out = np.empty(self.vocab_size, dtype=np.float32)
        sgd.next_distribution(self.hidden, self.output, self.d, self.maxent_order, ws.hist,
                              ws.h_prev, np.empty_like(ws.s), ws.hwork, ws.work, out,
                              self.fast_exp)
        return out

    def hidden_step(self, prev_word: int, h_prev: np.ndarray) -> np.ndarray:
        """The hidden state after reading ``prev_word`` from the recurrent input h_prev."""
        state = np.empty(self.hidden_size, np.float32)
        sgd.hidden_step(self.hidden, prev_word, h_prev, state,
                        self.hidden_spec.scratch(self.hidden, 0), self.fast_exp)
        return state


class Workspace:
    """State of one token stream: hidden layer, word history, BPTT ring, scratch."""

    def __init__(self, net: Network, bptt_steps: int = 0):
        size_h = net.hidden_size
        slots = bptt_steps + 2 if bptt_steps else 1
        self.bptt_steps = bptt_steps
        self.s = np.zeros(size_h, np.float32)
        self.h_prev = np.zeros(size_h, np.float32)
        self.e_hidden = np.zeros(size_h, np.float32)
        self.dropped = np.zeros(size_h, np.float32)
        self.hist = np.zeros(maxent.MAX_ORDER, np.int32)
        self.counters = np.zeros(2, np.int64)
        self.work = net.output_spec.scratch(net.output)
        self.hwork = net.hidden_spec.scratch(net.hidden, bptt_steps)
        self.ring_word = np.zeros(slots, np.int32)
        self.ring_key = np.zeros(slots, np.int64)
        self.ring_ac = np.zeros((slots, size_h), np.float32)
        self.ring_er = np.zeros((slots, size_h), np.float32)

    STATE = ("s", "h_prev", "hist", "counters", "ring_word", "ring_key", "ring_ac", "ring_er")

    def state(self) -> dict[str, np.ndarray]:
        """Copies of what the kernels carry from one token to the next (the rest is
        scratch): with these a pass continues exactly where it stopped."""
        return {name: getattr(self, name).copy() for name in self.STATE}

    def set_state(self, state: dict[str, np.ndarray]):
        for name in self.STATE:
            if name == "ring_key" and name not in state:
                # checkpoints written before input dropout have no mask keys, which only
                # a -dropout run reads (and its masks changed with that version anyway)
                self.ring_key[:] = 0
            else:
                getattr(self, name)[...] = state[name]

    def start(self, hidden):
        """Begin a pass: recurrent input = ``hidden`` (array or scalar), no history."""
        self.s[:] = 0.0
        self.h_prev[:] = hidden
        self.hist[:] = 0
        self.counters[:] = 0
        self.ring_word[:] = 0
        self.ring_key[:] = 0
        self.ring_ac[:] = 0.0
        self.ring_er[:] = 0.0

"""Sampling text from an RNN model.

Each token is drawn from the model's full next-word distribution (all classes,
maxent included); a temperature T reshapes it as p^(1/T), renormalised.  The
state then advances on the drawn word exactly as when scoring, so a sample is a
draw from the model itself.
"""
from __future__ import annotations

from typing import Iterator, Optional

import numpy as np

from .config import SampleConfig
from .kernels import maxent, sgd
from .model import Model
from .network import Workspace


class Sampler:
    def __init__(self, model: Model, seed: int = 1, temperature: float = 1.0,
                 independent: Optional[bool] = None):
        self.net = model.network
        self.words = model.vocab.words
        self.index = model.vocab.index
        self.rng = np.random.default_rng(seed)
        self.temperature = temperature
        self.independent = self.net.independent if independent is None else independent
        self.ws = self.net.workspace()
        self.net.start(self.ws, self.independent)

    def feed(self, words: list[str]):
        """Advance the state over given words (unknown words as rnnlm's OOV input)."""
        ids = np.array([self.index.get(w, -1) for w in words], dtype=np.int32)
        self.net.score(ids, self.ws, self.independent)

    def distribution(self, ws: Workspace = None) -> np.ndarray:
        p = self.net.distribution(ws or self.ws).astype(np.float64)
        if self.temperature != 1.0:
            p = np.power(p, 1.0 / self.temperature)
        return p / p.sum()

    def next_word(self) -> int:
        """Draw the next token and advance the state on it."""
        cumulative = np.cumsum(self.distribution())
        word = int(min(np.searchsorted(cumulative, self.rng.random() * cumulative[-1],
                                       side="right"), cumulative.size - 1))
        self.net.score(np.array([word], dtype=np.int32), self.ws, self.independent)
        return word

    def sentences(self, count: int, max_length: int) -> Iterator[list[str]]:
        """``count`` sentences; one that reaches ``max_length`` words is cut there."""
        for _ in range(count):
            words = []
            while len(words) < max_length:
                word = self.next_word()
                if word == 0:
                    break
                words.append(self.words[word])
            yield words

    def tokens(self, count: int) -> Iterator[str]:
        """``count`` tokens, </s> included (rnnlm's -gen)."""
        for _ in range(count):
            yield self.words[self.next_word()]


def sample_lines(model: Model, config: SampleConfig = SampleConfig()) -> Iterator[str]:
    """``config.count`` sampled sentences as text lines, the first continuing the prefix
    (rnnlm sample's output)."""
    sampler = Sampler(model, config.seed, config.temperature, config.independent)
    start = config.prefix.split()
    sampler.feed(start)
    for i, sentence in enumerate(sampler.sentences(config.count, config.max_length)):
        yield " ".join((start if i == 0 else []) + sentence)


class StreamSampler:
    """Many independent streams drawing text from the model together (ngram-approx):
    each step is the hidden layer's batch_forward for all streams and one draw per
    stream from the output layer (OutputSpec.draw_words: the class softmax reads only
    the drawn class's rows).  Streams start and, for -independent models, restart
    after each </s> as a scored text does; other models run on from h_init."""

    def __init__(self, model: Model, streams: int, seed: int = 1, max_length: int = 1000):
        net = self.net = model.network
        self.words, self.max_length = model.vocab.words, max_length
        self.rng = np.random.default_rng(seed)
        self.mode = net.reset_mode()
        self.start = (np.full(net.hidden_size, net.sentence_start_hidden, np.float32)
                      if self.mode != sgd.NO_RESET else net.h_init.astype(np.float32))
        self.state = np.repeat(self.start[None], streams, axis=0)
        self.hist = np.zeros((streams, maxent.MAX_ORDER), np.int32)
        self._restart(np.ones(streams, bool))
        self.pending: list = [[] for _ in range(streams)]

    def _restart(self, rows):
        if self.mode == sgd.NO_RESET:
            return
        self.state[rows] = self.start
        self.hist[rows] = 0 if self.mode == sgd.RNNLM_RESET else -1
        self.hist[rows, 0] = 0

    def step(self) -> np.ndarray:
        """Draw one token in every stream and advance the streams on it."""
        net = self.net
        spec, layer = net.hidden_spec, net.hidden
        new, readout, _ = spec.batch_forward(layer, spec.word_contributions(layer, self.hist[:, 0]),
                                             self.state)
        words = net.output_spec.draw_words(net, np.ascontiguousarray(readout), self.hist,
                                           self.rng.random((readout.shape[0], 2)))
        self.state = new
        self.hist[:, 1:] = self.hist[:, :-1]
        self.hist[:, 0] = words
        self._restart(words == 0)
        return words

    def sentences(self, tokens: int) -> Iterator[str]:
        """Sentences (text lines) holding about ``tokens`` tokens, </s> included; a sentence
        reaching max_length words is cut there (and its stream restarted)."""
        drawn = 0
        while drawn < tokens:
            words = self.step()
            drawn += words.shape[0]
            for row, word in enumerate(words.tolist()):
                pending = self.pending[row]
                if word != 0:
                    pending.append(self.words[word])
                if word == 0 or len(pending) >= self.max_length:
                    yield " ".join(pending)
                    pending.clear()

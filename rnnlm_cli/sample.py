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

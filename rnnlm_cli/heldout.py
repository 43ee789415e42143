"""Validation sentences held out of the training text when no -valid is given.

rnnlm's schedule needs validation data to halve the learning rate and to stop.
``rnnlm train -rnnlm M -train T`` therefore takes every k-th sentence of T
(k = 1/fraction) as validation text and trains on the rest.  Every k-th, not
the last part, so that the held-out text follows the whole corpus (the end of a
corpus is often another source or period).  At most MAX_SENTENCES are held out,
so that validating a huge corpus stays cheap.  The rule depends only on the
text and the stored options, so a resumed run holds out the same sentences.
"""
from __future__ import annotations

import math

import numpy as np

from .config import TrainConfig
from .corpus import Corpus
from .errors import InputError

DEFAULT_FRACTION = 0.02     # 2%: on PTB 841 sentences (19k tokens); costs ~2% of the text
MAX_SENTENCES = 10_000      # ~200k tokens of validation at most


def fraction_to_hold_out(config: TrainConfig) -> float:
    """The fraction held out when there is no -valid file (0: none).  -valid-fraction
    wins; otherwise DEFAULT_FRACTION unless -max-iter/-one-iter fix the epochs."""
    if config.valid_fraction > 0:
        return config.valid_fraction
    return 0.0 if (config.max_iter or config.one_iter) else DEFAULT_FRACTION


def every_kth(sentences: int, fraction: float) -> int:
    """k of "every k-th sentence": 1/fraction, larger where MAX_SENTENCES caps it."""
    return max(round(1 / fraction), math.ceil(sentences / MAX_SENTENCES))


def hold_out(corpus: Corpus, every: int) -> tuple[Corpus, Corpus]:
    """(training text without sentences every-1, 2*every-1, ..., those sentences)."""
    ends = np.flatnonzero(corpus.tokens == 0)           # </s> closes every sentence
    lengths = np.diff(ends, prepend=-1)
    held = np.arange(ends.size) % every == every - 1
    if not held.any():
        raise InputError(f"{corpus.path}: {ends.size} sentences are too few to hold out every "
                         f"{every}th for validation; give -valid FILE or -max-iter N")
    mask = np.repeat(held, lengths)
    training = Corpus(corpus.path, np.ascontiguousarray(corpus.tokens[~mask]),
                      int(ends.size - held.sum()))
    valid = Corpus(f"{corpus.path} (every {every}th sentence)",
                   np.ascontiguousarray(corpus.tokens[mask]), int(held.sum()))
    return training, valid

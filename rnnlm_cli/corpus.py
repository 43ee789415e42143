"""Text -> compact int32 token-id arrays (streaming; O(tokens) memory).

One sentence per line; the newline is the token ``</s>`` (id 0), so a blank
line is a lone ``</s>`` as in rnnlm.  Out-of-vocabulary words become -1.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .textio import UTF8, TextEncoding, split_words, text_lines
from .vocab import SENTENCE_END, Vocabulary


@dataclass
class Corpus:
    """Token ids of one file plus the facts reports need."""

    path: str
    tokens: np.ndarray  # int32, -1 = OOV
    sentences: int

    @property
    def oov_count(self) -> int:
        return int(np.count_nonzero(self.tokens < 0))

    @property
    def word_count(self) -> int:
        """Tokens other than </s>, OOVs included (SRILM's 'words')."""
        return int(self.tokens.shape[0]) - self.sentences


class _FirstSeen(dict):
    """word -> id, a new word getting the next id when first looked up: the lookups of a
    line run in one map() call (a Python loop over 900,000 PTB words took 0.9 s)."""

    def __missing__(self, word: str) -> int:
        index = self[word] = len(self)
        return index


def read_training_text(path: str, n_classes: int, old_classes: bool = False,
                       encoding: TextEncoding = UTF8):
    """Build the vocabulary from a training file and encode it in one pass.

    Returns (Vocabulary, Corpus).  Ids are first assigned in first-occurrence
    order, then remapped to rnnlm's count-sorted order.
    """
    provisional = _FirstSeen({SENTENCE_END: 0})
    ids = array("i")
    sentences = 0
    for _, line in text_lines(path, encoding):
        ids.extend(map(provisional.__getitem__, split_words(line)))
        ids.append(0)
        sentences += 1
    if len(provisional) < 2:
        raise InputError(f"{path}: no words to train on" if sentences else f"{path}: file is empty")
    words = list(provisional)
    counts = np.bincount(np.frombuffer(ids, dtype=np.int32), minlength=len(words))
    vocab, order = Vocabulary.from_counts(words, counts.astype(np.int64), n_classes,
                                          old_classes)
    new_index = np.empty(len(order), dtype=np.int32)
    new_index[order] = np.arange(len(order), dtype=np.int32)
    tokens = new_index[np.frombuffer(ids, dtype=np.int32)]
    return vocab, Corpus(path, tokens, sentences)


def read_text(path: str, vocab: Vocabulary, role: str = "test",
              encoding: TextEncoding = UTF8) -> Corpus:
    """Encode a file with a fixed vocabulary (OOV = -1)."""
    index = vocab.index
    ids = array("i")
    sentences = 0
    for _, line in text_lines(path, encoding):
        ids.extend([index.get(word, -1) for word in split_words(line)])
        ids.append(0)
        sentences += 1
    if sentences == 0:
        raise InputError(f"{path}: {role} file is empty")
    corpus = Corpus(path, np.frombuffer(ids, dtype=np.int32).copy(), sentences)
    if corpus.word_count > 0 and corpus.oov_count == corpus.word_count:
        raise InputError(f"{path}: none of the {corpus.word_count} words of the {role} file "
                         "is in the model's vocabulary")
    return corpus

def sentence_ranges(tokens: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Up to ``parts`` contiguous (first, end) token ranges of similar size, cut after </s>."""
    ends = np.flatnonzero(tokens == 0) + 1
    cuts = [0]
    for k in range(1, parts):
        at = np.searchsorted(ends, k * tokens.shape[0] // parts)
        if at < ends.shape[0] and cuts[-1] < ends[at] < tokens.shape[0]:
            cuts.append(int(ends[at]))
    cuts.append(tokens.shape[0])
    return list(zip(cuts[:-1], cuts[1:]))

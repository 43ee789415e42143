"""The distinct prefixes of a batch of sentences, so that each is scored once.

Sentences scored from one start state (independent N-best rescoring) that begin
with the same words have the same hidden states until they part, and the same
probability for every word they share up to there.  The hypotheses of an N-best
list mostly differ in a few words, so the batch is laid out as a prefix tree:

  level 0 is the root, the input </s> every sentence starts with;
  level L holds one node per distinct sequence of L + 1 inputs
  (</s>, then the first L tokens, the last token being a sentence's closing </s>);
  a node knows its parent (a node of level L - 1) and its input, its last token.

A node's hidden state is its parent's stepped on its input (batch_states), and a
node of level L >= 1 stands for the probability of its input given its parent's
state and history.  So each distinct prefix's hidden state, and each distinct
(prefix, next token) probability, is computed once however many sentences share it.

Built with whole-array operations: the sentences are sorted lexicographically, so
that sentences sharing the first L + 1 inputs are neighbours, and a node starts
wherever a sentence's first L + 1 inputs differ from the one before it.
"""
from __future__ import annotations

import numpy as np

from .kernels import maxent

_ENDED = -2          # a level past a sentence's end (below every input: OOV is -1)


class PrefixTree:
    """``inputs[L]`` and ``parents[L]`` (index into level L - 1; level 0's one node has
    parent 0, the start state): the nodes of each level.  ``token_nodes``: for every
    token of the sentences in input order (each sentence's words, then </s>), the
    global index (levels laid end to end, from level 1) of the node standing for it."""

    def __init__(self, words: np.ndarray, lengths: np.ndarray, before_start: int = 0):
        self.before_start = before_start
        tokens = lengths + 1
        sentence, offset = token_places(tokens)
        values = np.zeros(sentence.size, np.int32)              # </s> closes each sentence
        values[offset < lengths[sentence]] = words
        table = np.full((lengths.size, int(tokens.max()) + 1), _ENDED, np.int32)
        table[:, 0] = 0
        table[sentence, offset + 1] = values
        order = np.lexsort(table.T[::-1])
        table = table[order]
        same = np.zeros(table.shape, bool)                     # same inputs as the row above
        same[1:] = np.logical_and.accumulate(table[1:] == table[:-1], axis=1)
        starts = (table != _ENDED) & ~same
        local = np.cumsum(starts, axis=0) - 1                  # node within its level
        self.inputs = [table[starts[:, L], L] for L in range(table.shape[1])]
        self.parents = [np.zeros(1, np.int64)] + [local[starts[:, L], L - 1]
                                                  for L in range(1, table.shape[1])]
        self.first = np.concatenate([[0], np.cumsum([x.size for x in self.inputs])])
        rank = np.empty(lengths.size, np.int64)
        rank[order] = np.arange(lengths.size)
        self.token_nodes = (self.first[offset + 1] - self.first[1]
                            + local[rank[sentence], offset + 1])
        self.offsets = np.concatenate([[0], np.cumsum(tokens)])

    @property
    def levels(self) -> int:
        return len(self.inputs)

    def scored(self):
        """(state node, token) of every node from level 1: the global index of the node
        whose hidden state predicts it (its parent), and the token predicted."""
        state = np.concatenate([self.first[L - 1] + self.parents[L]
                                for L in range(1, self.levels)])
        return state, np.concatenate(self.inputs[1:])

    def histories(self) -> np.ndarray:
        """(nodes, MAX_ORDER) previous words of every node's state, newest first (its
        input, its parent's, ...), ``before_start`` before the sentence start."""
        above = np.full((1, maxent.MAX_ORDER), self.before_start, np.int32)
        parts = []
        for inputs, parents in zip(self.inputs, self.parents):
            above = np.concatenate([inputs[:, None], above[parents, :-1]], axis=1)
            parts.append(above)
        return np.concatenate(parts)


def token_places(lengths: np.ndarray):
    """(sentence, offset in it) of every item of sentences of these lengths laid end to end."""
    sentence = np.repeat(np.arange(lengths.size), lengths)
    starts = np.cumsum(lengths) - lengths
    return sentence, np.arange(sentence.size) - starts[sentence]

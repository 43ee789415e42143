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

Built in one pass over the tokens by kernels/prefix_tree.py.
"""
from __future__ import annotations

import numpy as np

from .kernels import maxent, prefix_tree


class PrefixTree:
    """``inputs[L]`` and ``parents[L]`` (index into level L - 1; level 0's one node has
    parent 0, the start state): the nodes of each level.  ``token_nodes``: for every
    token of the sentences in input order (each sentence's words, then </s>), the
    global index (levels laid end to end, from level 1) of the node standing for it."""

    def __init__(self, words: np.ndarray, lengths: np.ndarray, before_start: int = 0):
        self.before_start = before_start
        self.first, inputs, parents, self.token_nodes = prefix_tree.build(words, lengths)
        bounds = self.first.tolist()
        self.inputs = [inputs[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.parents = [parents[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.offsets = np.concatenate([[0], np.cumsum(lengths + 1)])

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

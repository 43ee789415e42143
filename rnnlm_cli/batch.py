"""Scoring many sentences at once: the layers' specs (rnnlm_cli.layers) compute the
hidden states of a prefix tree of the sentences (prefixes.py) level by level and the
output probabilities of all its nodes together (the Elman layer's steps and the class
softmax's class logits as matrix-matrix products in NumPy/BLAS; maxent and the softmaxes
per position in Numba, kernels/batch.py).

Every sentence starts from the same hidden state with an empty word history,
as in independent N-best rescoring.  Results equal the one-token-at-a-time
scorer (kernels/sgd.py score_span) up to float32 rounding.
"""
from __future__ import annotations

import numpy as np

from .kernels import maxent, sgd
from .network import Network
from .prefixes import PrefixTree, token_places


def sentence_start_state(net: Network) -> np.ndarray:
    """The hidden state every hypothesis starts from.

    Models trained with -independent start sentences as -sentence-start says (rnnlm's
    all 1.0, or zero).  Other models start from rnnlm's N-best context (nbest_context).
    """
    if net.independent:
        return np.full(net.hidden_size, net.sentence_start_hidden, np.float32)
    return nbest_context(net)


def nbest_context(net: Network) -> np.ndarray:
    """rnnlm's first N-best context: the state after reading </s> from a zero recurrent input."""
    return net.hidden_step(0, np.zeros(net.hidden_size, np.float32))


def score_sentences(net: Network, sentences: list[np.ndarray], start: np.ndarray) -> list:
    """log10 P of every token of each sentence (its words then </s>); NaN at OOV tokens.

    ``sentences`` hold word ids (-1 = OOV), without the final </s>.
    """
    flat, offsets = score_sentences_flat(net, sentences, start)
    return [flat[offsets[b]:offsets[b + 1]] for b in range(len(sentences))]


def score_sentences_flat(net: Network, sentences: list[np.ndarray], start: np.ndarray,
                         device: str = "cpu"):
    """As score_sentences, concatenated: (log10 P of all tokens, offsets (len + 1,))."""
    words = np.concatenate(sentences) if sentences else np.zeros(0, np.int32)
    return score_flat(net, words, np.array([s.size for s in sentences], np.int64), start,
                      device)


def score_flat(net: Network, words: np.ndarray, lengths: np.ndarray, start: np.ndarray,
               device: str = "cpu"):
    """As score_sentences_flat, the sentences given as one array of word ids (``words``)
    and their word counts (``lengths``).

    ``device`` cuda computes on the GPU (kernels/cuda/backend.py) from the same layout.
    """
    if lengths.size == 0:
        return np.zeros(0), np.zeros(1, np.int64)
    before_start = -1 if net.reset_mode(True) == sgd.ZERO_RESET else 0
    if device == "cuda":
        from .kernels.cuda.backend import score_layout
        layout = SentenceLayout(words, lengths, before_start)
        return layout.flatten(score_layout(net, layout, start))
    tree = PrefixTree(words, lengths, before_start)
    return _score_tree(net, tree, start), tree.offsets


def _score_tree(net: Network, tree: PrefixTree, start: np.ndarray) -> np.ndarray:
    """log10 P of every token (NaN at OOVs) on the CPU: the hidden state of each distinct
    prefix and the probability of each distinct (prefix, token) computed once."""
    states = np.concatenate(net.hidden_spec.batch_states(
        net.hidden, start, tree.inputs[:-1], tree.parents[:-1], net.fast_exp))
    state, target = tree.scored()
    known = target >= 0
    hist = tree.histories()[state[known]] if net.maxent_order > 0 else \
        np.zeros((int(known.sum()), maxent.MAX_ORDER), np.int32)      # read by no kernel
    logp = np.full(target.size, np.nan)
    logp[known] = net.output_spec.batch_log10_probs(net, states, target[known], hist,
                                                    rows=state[known])
    return logp[tree.token_nodes]


class SentenceLayout:
    """Sentences as (count, steps) matrices for the GPU, which steps every row at every
    step: targets (padding -2, </s> at the end) and inputs (the previous word, 0 = </s>
    at the start); ``before_start`` is the history word before that </s> (0, or -1 where
    the maxent n-grams stop at the sentence start).  The sentences come concatenated
    (``words``) with their word counts (``lengths``)."""

    def __init__(self, words: np.ndarray, lengths: np.ndarray, before_start: int = 0):
        self.before_start = before_start
        self.lengths = lengths + 1                              # tokens, with </s>
        self.steps, self.count = int(self.lengths.max()), lengths.size
        self.targets = np.full((self.count, self.steps), -2, np.int32)
        sentence, offset = token_places(lengths)
        self.targets[sentence, offset] = words
        self.targets[np.arange(self.count), lengths] = 0
        self.inputs = np.zeros((self.count, self.steps), np.int32)
        self.inputs[:, 1:] = self.targets[:, :-1]

    def histories(self, positions: np.ndarray) -> np.ndarray:
        """(N, MAX_ORDER) previous words of (t, row) positions, newest first, before_start
        before the sentence start."""
        order = maxent.MAX_ORDER
        padded = np.concatenate([np.full((self.count, order - 1), self.before_start, np.int32),
                                 self.inputs], axis=1)
        t, b = positions[:, 0], positions[:, 1]
        columns = (t + order - 1)[:, None] - np.arange(order)[None, :]
        return np.ascontiguousarray(padded[b[:, None], columns])

    def flatten(self, logp: np.ndarray):
        """(count, steps) log10 P -> (flat in input order, offsets)."""
        sentence, offset = token_places(self.lengths)
        return logp[sentence, offset], np.concatenate([[0], np.cumsum(self.lengths)])

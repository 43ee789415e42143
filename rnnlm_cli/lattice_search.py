"""Lattice rescoring by token passing (rnnlm lattice-rescore).

A path's score is  A * acoustic + W * old LM + S * ln P_new(words </s>) + P * #words,
with the lattice's scores in natural log (lattice.py) and P_new the RNN, or the RNN
interpolated with an n-gram model, scored token by token exactly as nbest-rescore
scores a hypothesis (nbest.token_scores) from the sentence-start state.

Nodes are visited in topological order.  A token is one partial path: its score so
far, its RNN state and its words.  Tokens reaching a node whose last
``recombination_order`` words are equal merge, the best one kept (n-gram history
recombination); ``beam`` (score below the node's best) and ``max_tokens`` prune
what is left.  The tokens leaving a node are scored together (kernels/sgd.py
token_forward: one hidden step per token for all of its arcs, then the output
layer's batched scores).  With a
recombination order at least the longest path and no pruning, the best path found
is the best of all paths.

Every surviving token is also a node of the expanded lattice, (node, history), whose
arcs carry the path score's LM part, W * old + S * ln P_new + P (per word), so that
a tool summing A * acoustic + LM finds the same best path.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .batch import sentence_start_state
from .config import RescoreOptions
from .kernels import maxent, sgd
from .lattice import Arc, Lattice, topological_order
from .model import Model
from .nbest import token_scores

LN10 = math.log(10.0)
KALDI_ACOUSTIC_SCALE = 0.1      # Kaldi's usual --acoustic-scale (LM weight 10)


@dataclass(frozen=True)
class LatticeOptions:
    """How lattices are rescored; None takes the lattice's own value (SLF header)."""

    ac_scale: Optional[float] = None       # SLF acscale, else 1 (Kaldi: 0.1)
    lm_scale: Optional[float] = None       # SLF lmscale, else 1
    word_penalty: Optional[float] = None   # SLF wdpenalty, else 0
    old_lm_weight: float = 0.0             # 0 replaces the lattice's LM
    recombination_order: int = 4
    beam: float = 0.0                      # 0: no beam
    max_tokens: int = 4                    # per node; 0: no limit
    nbest_size: int = 10
    rescore: RescoreOptions = field(default_factory=RescoreOptions)

    def scales(self, lattice: Lattice) -> tuple[float, float, float]:
        """(A, S, P) for this lattice."""
        header = lattice.header
        kaldi = "kaldi" in header
        return (_given(self.ac_scale, header, "acscale",
                       KALDI_ACOUSTIC_SCALE if kaldi else 1.0),
                _given(self.lm_scale, header, "lmscale", 1.0),
                _given(self.word_penalty, header, "wdpenalty", 0.0))


def _given(value, header: dict, name: str, default: float) -> float:
    if value is not None:
        return value
    return float(header.get(name, default))


@dataclass
class Hypothesis:
    words: list
    total: float        # the path score
    acoustic: float     # sum of the lattice's acoustic log-likelihoods (ln)
    old_lm: float       # sum of the lattice's LM log-likelihoods (ln)
    lm: float           # log10 P_new(words </s>)


@dataclass
class Rescored:
    name: str
    hypotheses: list            # best first, distinct word sequences
    lattice: Optional[Lattice]  # the expanded lattice, when asked for


@dataclass(slots=True)
class _Token:
    total: float
    acoustic: float
    old_lm: float
    lm: float                   # log10
    words: tuple
    row: int                    # its state in the node's state arrays
    expanded: int = -1          # its node in the expanded lattice


class LatticeRescorer:
    def __init__(self, model: Model, options: LatticeOptions):
        self.model, self.options = model, options
        self.net = model.network
        self.index = model.vocab.index
        self.hwork = self.net.hidden_spec.scratch(self.net.hidden, 0)
        self.output_spec = self.net.output_spec          # (a registry lookup each time)
        self.readout_width = self.output_spec.input_width(self.net.output)
        self.start_h = sentence_start_state(self.net)[None, :].astype(np.float32)
        history = np.full(maxent.MAX_ORDER, -1 if self.net.reset_mode(True) == sgd.ZERO_RESET
                          else 0, np.int32)
        history[0] = 0
        self.start_hist = history[None, :]

    def rescore(self, lattice: Lattice, expand: bool = False) -> Rescored:
        """The lattice's best hypotheses, and its expanded lattice when ``expand``.  An
        empty lattice is read as the empty sentence (</s> alone is scored)."""
        if lattice.empty:
            lattice = Lattice(lattice.name, 0, [], {0: (0.0, 0.0)}, lattice.source,
                              dict(lattice.header))
        search = _Search(self, lattice, expand)
        for node in topological_order(lattice):
            search.visit(node)
        return search.result()

    def expand(self, tokens: list, h: np.ndarray, hist: np.ndarray, words: list,
               cache: dict):
        """log10 scores of words[m] after tokens[m] (as nbest-rescore scores tokens) and
        the states after them: (scores, next h, next hist).  Each token's hidden step is
        taken once (kernels/sgd.py token_forward) and the output layer scores the
        (token, word) pairs in one batch (its matrix products).  ``cache`` keeps both
        by word history: paths through other nodes with the same words (a lattice's
        other time alignments) are not computed again."""
        net = self.net
        steps, scores = cache.setdefault("steps", {}), cache.setdefault("scores", {})
        fresh = {}
        for t in tokens:
            if t.words not in steps and t.words not in fresh:
                fresh[t.words] = t.row
        if fresh:
            rows = np.array(list(fresh.values()), np.int64)
            states = np.empty((rows.size, h.shape[1]), np.float32)
            readouts = np.empty((rows.size, self.readout_width), np.float32)
            sgd.token_forward(np.ascontiguousarray(h[rows]), np.ascontiguousarray(hist[rows]),
                              net.hidden, self.hwork, states, readouts, net.fast_exp)
            for k, history in enumerate(fresh):
                steps[history] = (states[k], readouts[k], hist[rows[k]])
        ids = np.array([self.index.get(w, -1) if w is not None else 0 for w in words],
                       np.int32)
        pairs = [(t.words, w) for t, w in zip(tokens, words)]
        todo = [m for m, pair in enumerate(pairs) if pair not in scores and ids[m] >= 0]
        if todo:
            logp = self.output_spec.batch_log10_probs(
                net, np.stack([steps[pairs[m][0]][1] for m in todo]), ids[todo],
                np.stack([steps[pairs[m][0]][2] for m in todo]))
            for m, value in zip(todo, logp):
                scores[pairs[m]] = value
        logp = np.array([scores.get(pair, np.nan) for pair in pairs])
        before = np.stack([steps[t.words][2] for t in tokens])
        next_hist = np.concatenate([ids[:, None], before[:, :-1]], axis=1)
        p_other = None
        if self.options.rescore.ngram is not None:
            p_other = _cached_ngram_probs(self.options.rescore.ngram, pairs,
                                          cache.setdefault("ngram", {}))
        return (token_scores(logp, p_other, self.options.rescore),
                np.stack([steps[t.words][0] for t in tokens]), next_hist)


class _Search:
    """One lattice's token passing (LatticeRescorer.rescore)."""

    def __init__(self, rescorer: LatticeRescorer, lattice: Lattice, expand: bool):
        self.rescorer, self.lattice, self.options = rescorer, lattice, rescorer.options
        self.A, self.S, self.P = self.options.scales(lattice)
        self.W = self.options.old_lm_weight
        self.outgoing: dict = {}
        for arc in lattice.arcs:
            self.outgoing.setdefault(arc.source, []).append(arc)
        # node -> {history key: token}, and node -> list of (h, hist) array pairs
        self.waiting: dict = {lattice.start: {(): _Token(0.0, 0.0, 0.0, 0.0, (), 0)}}
        self.states: dict = {lattice.start: [(rescorer.start_h, rescorer.start_hist)]}
        # (each part is one row: a token's row is its part's index)
        self.ended: list = []
        self.cache: dict = {}           # LatticeRescorer.expand's, by word history
        self.expanded = Lattice(lattice.name, 0, [], {}, lattice.source,
                                dict(lattice.header)) if expand else None
        self.expanded_ids: dict = {}
        self.origin: list = []          # expanded node -> lattice node

    def key(self, words: tuple) -> tuple:
        order = self.options.recombination_order
        return words[-order:] if order > 0 else ()

    def visit(self, node: int):
        tokens = self._survivors(node)
        if not tokens:
            return
        h, hist = self._gather(node, tokens)
        arcs = self.outgoing.get(node, [])
        final = self.lattice.finals.get(node)
        pairs = [(t, arc) for t in tokens for arc in arcs]
        word_pairs = [(t, arc) for t, arc in pairs if arc.word is not None]
        ends = tokens if final is not None else []
        if word_pairs or ends:
            scored = [t for t, _ in word_pairs] + list(ends)
            words = [arc.word for _, arc in word_pairs] + [None] * len(ends)
            scores, next_h, next_hist = self.rescorer.expand(scored, h, hist, words,
                                                             self.cache)
            for m, (token, arc) in enumerate(word_pairs):
                self._arrive(token, arc, float(scores[m]), next_h[m], next_hist[m])
            for m, token in enumerate(ends, start=len(word_pairs)):
                self._end(token, final, float(scores[m]))
        for token, arc in pairs:
            if arc.word is None:            # no word: the state passes on unchanged
                self._arrive(token, arc, 0.0, h[token.row], hist[token.row])

    def _survivors(self, node: int) -> list:
        tokens = sorted(self.waiting.pop(node, {}).values(), key=lambda t: -t.total)
        if tokens and self.options.beam > 0:
            tokens = [t for t in tokens if t.total >= tokens[0].total - self.options.beam]
        if self.options.max_tokens > 0:
            tokens = tokens[:self.options.max_tokens]
        for token in tokens:
            token.expanded = self._expanded_node(node, self.key(token.words))
        return tokens

    def _gather(self, node: int, tokens: list):
        """The states of the node's tokens as two arrays, rows renumbered."""
        parts = self.states.pop(node)
        h_all = np.concatenate([h for h, _ in parts])
        hist_all = np.concatenate([hist for _, hist in parts])
        rows = np.array([t.row for t in tokens])
        for k, token in enumerate(tokens):
            token.row = k
        return h_all[rows], hist_all[rows]

    def _state_row(self, node: int, h, hist) -> int:
        parts = self.states.setdefault(node, [])
        parts.append((h[None, :], hist[None, :]))
        return len(parts) - 1

    def _arrive(self, token: _Token, arc: Arc, log10_p: float, h, hist):
        """A token extended along ``arc`` reaches its end node (merged by history)."""
        has_word = arc.word is not None
        words = token.words + (arc.word,) if has_word else token.words
        lm_part = self.W * arc.lm + (self.S * log10_p * LN10 + self.P if has_word else 0.0)
        total = token.total + self.A * arc.acoustic + lm_part
        key = self.key(words)
        if self.expanded is not None:
            target = self._expanded_node(arc.target, key)
            self.expanded.arcs.append(Arc(token.expanded, target, arc.word, arc.acoustic,
                                          lm_part, arc.line, arc.extra))
        at_node = self.waiting.setdefault(arc.target, {})
        if key in at_node and at_node[key].total >= total:
            return
        at_node[key] = _Token(total, token.acoustic + arc.acoustic, token.old_lm + arc.lm,
                              token.lm + log10_p, words, self._state_row(arc.target, h, hist))

    def _end(self, token: _Token, final: tuple, log10_p: float):
        acoustic, old_lm = final
        lm_part = self.W * old_lm + self.S * log10_p * LN10
        self.ended.append(Hypothesis(list(token.words),
                                     token.total + self.A * acoustic + lm_part,
                                     token.acoustic + acoustic, token.old_lm + old_lm,
                                     token.lm + log10_p))
        if self.expanded is not None:
            self.expanded.finals[token.expanded] = (acoustic, lm_part)

    def _expanded_node(self, node: int, key: tuple) -> int:
        if self.expanded is None:
            return -1
        found = self.expanded_ids.get((node, key))
        if found is None:
            found = self.expanded_ids[(node, key)] = len(self.origin)
            self.origin.append(node)
        return found

    def result(self) -> Rescored:
        best_first = sorted(self.ended, key=lambda hyp: -hyp.total)
        distinct, seen = [], set()
        for hyp in best_first:
            if tuple(hyp.words) not in seen:
                seen.add(tuple(hyp.words))
                distinct.append(hyp)
        return Rescored(self.lattice.name, distinct[:max(self.options.nbest_size, 1)],
                        self._trimmed() if self.expanded is not None else None)

    def _trimmed(self) -> Lattice:
        """The expanded lattice without nodes that lead to no final node (pruned tokens),
        with SLF times and Kaldi final-weight fields carried over."""
        lattice = self.expanded
        useful, changed = set(lattice.finals), True
        while changed:
            changed = False
            for arc in lattice.arcs:
                if arc.target in useful and arc.source not in useful:
                    useful.add(arc.source)
                    changed = True
        lattice.arcs = [arc for arc in lattice.arcs if arc.source in useful and
                        arc.target in useful]
        source = self.lattice
        lattice.times = {n: source.times[self.origin[n]] for n in useful
                         if self.origin[n] in source.times}
        extras = source.header.get("final_extra")
        if extras:
            lattice.header["final_extra"] = {n: extras.get(self.origin[n], "")
                                             for n in lattice.finals}
        for name, value in (("lmscale", 1.0), ("wdpenalty", 0.0), ("acscale", self.A)):
            if "kaldi" not in lattice.header:
                lattice.header[name] = value
        return lattice


def _cached_ngram_probs(model, pairs: list, cache: dict) -> np.ndarray:
    """_ngram_probs of (history, word) pairs, each n-gram context computed once."""
    span = max(model.order - 1, 0)
    keys = [(words[-span:] if span else (), len(words) < span or span == 0, word)
            for words, word in pairs]
    todo = {key: pair for key, pair in zip(keys, pairs) if key not in cache}
    if todo:
        for key, p in zip(todo, _ngram_probs(model, list(todo.values()))):
            cache[key] = p
    return np.array([cache[key] for key in keys])


def _ngram_probs(model, contexts: list) -> np.ndarray:
    """P_ngram(word | history) for (history words, word) pairs: each history's last
    order - 1 words (from <s> when shorter), as nbest-rescore's whole sentences give."""
    vocab = model.vocab
    span = model.order - 1
    ids, starts = [], []
    for words, word in contexts:
        context = [vocab.lookup(w) for w in words[-span:]] if span > 0 else []
        if len(words) < span or span == 0:
            context = [vocab.START] + context
        starts.append(len(ids))
        ids.extend(context)
        ids.append(vocab.lookup(word) if word is not None else vocab.END)
    ids_np = np.array(ids, np.int64)
    starts_np = np.array(starts, np.int64)
    lengths = np.diff(np.append(starts_np, ids_np.size))
    logp, _ = model.score_positions(ids_np, np.repeat(starts_np, lengths))
    last = np.append(starts_np[1:], ids_np.size) - 1
    return np.power(10.0, logp[last].astype(np.float64))


def rescore_lattices(model: Model, lattices, options: LatticeOptions, expand: bool = False,
                     threads: int = 1):
    """Rescored results of the lattices, in input order; ``threads`` lattices at a time
    (each thread its own scratch; the kernels release the GIL)."""
    if threads <= 1:
        rescorer = LatticeRescorer(model, options)
        for lattice in lattices:
            yield rescorer.rescore(lattice, expand)
        return
    import threading
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor
    local = threading.local()

    def one(lattice):
        if not hasattr(local, "rescorer"):
            local.rescorer = LatticeRescorer(model, options)
        return local.rescorer.rescore(lattice, expand)

    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for lattice in lattices:
            pending.append(pool.submit(one, lattice))
            if len(pending) > 4 * threads:          # bounded look-ahead: constant memory
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

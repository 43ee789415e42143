"""N-best rescoring: scores of hypotheses under an RNN model, optionally interpolated
with an n-gram model, in input order, streaming over the lists.

Per token of a hypothesis (its words, then </s>), following rnnlm's -nbest mode:
  word known to the RNN: log10 P_rnn, or log10(lambda P_rnn + (1-lambda) P_ngram)
                         when an n-gram model is given;
  unknown word:          log10 P_ngram if the n-gram model gives it a probability,
                         otherwise a fixed penalty (-5 by default).
Independent mode (default) scores every hypothesis from the sentence-start state
(batch.sentence_start_state) with an empty history, in batches.  Carry-over mode
is rnnlm's: a list starts from the state after the previous list's first
hypothesis, and the word history runs on from hypothesis to hypothesis.
"""
from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from typing import Iterable, Iterator

import numpy as np

from .config import RescoreOptions
from .batch import nbest_context, score_flat, sentence_start_state
from .formats.nbest import NbestList
from .errors import InputError
from .model import Model


class Rescorer:
    def __init__(self, model: Model, options: RescoreOptions):
        self.model, self.options = model, options
        self.net = model.network
        self.ids = _WordIds(model.vocab.index)
        self.start = sentence_start_state(self.net)
        self.carry = None           # carry-over mode's state; as rnnlm, even with
        self.carry_ws = None        # -independent the first list starts at nbest_context

    def _ids(self, words) -> np.ndarray:
        return np.fromiter(map(self.ids.__getitem__, words), np.int32, len(words))

    def encode(self, sentences) -> tuple[np.ndarray, np.ndarray]:
        """(word ids of all the sentences' words laid end to end, word count of each)."""
        flat = self._ids([w for sentence in sentences for w in sentence])
        return flat, np.fromiter(map(len, sentences), np.int64, len(sentences))

    # -- per-token RNN scores: (flat log10 P, NaN at OOVs; offsets per hypothesis) ---
    def _rnn_independent(self, encoded):
        return score_flat(self.net, *encoded, self.start, self.options.device)

    def _rnn_carry_over(self, lists: list[NbestList]):
        net, results = self.net, []
        if self.carry_ws is None:
            self.carry = nbest_context(net)
            self.carry_ws = net.workspace()
            self.carry_ws.start(0.0)
        ws = self.carry_ws
        for nbest in lists:
            start = self.carry.copy()
            for i, hyp in enumerate(nbest.hyps):
                ws.h_prev[:] = start
                tokens = np.append(self._ids(hyp.words), 0).astype(np.int32)
                logp = net.score(tokens, ws)
                logp[tokens < 0] = np.nan
                results.append(logp)
                if i == 0:
                    self.carry = ws.h_prev.copy()
        lengths = [r.size for r in results]
        return np.concatenate(results), np.concatenate([[0], np.cumsum(lengths)])

    # -- combination -------------------------------------------------------------
    def _scores(self, sentences, rnn_scores, first_token) -> list[float]:
        """Each hypothesis's score from its tokens' RNN scores and the other model's."""
        logp, offsets = rnn_scores
        options = self.options
        if options.other_probs is not None and \
                first_token + logp.size > options.other_probs.size:
            raise InputError("the -lm-prob file has fewer probabilities than the lists have "
                             "tokens")
        p_other = None
        if options.ngram is not None:
            p_other = self._ngram_probs(sentences)
        elif options.other_probs is not None:
            p_other = options.other_probs[first_token:first_token + logp.size]
        total = token_scores(logp, p_other, options)
        return np.add.reduceat(total, offsets[:-1]).tolist()

    def _ngram_probs(self, sentences) -> np.ndarray:
        """P_ngram of every token (words, </s>) of the hypotheses' words, concatenated."""
        model = self.options.ngram
        vocab = model.vocab
        lookup = vocab.lookup
        ids, starts = [], []
        for sentence in sentences:
            starts.append(len(ids))
            ids.append(vocab.START)
            ids.extend([lookup(w) for w in sentence])
            ids.append(vocab.END)
        ids_np = np.array(ids, dtype=np.int64)
        starts_np = np.array(starts, dtype=np.int64)
        lengths = np.diff(np.append(starts_np, ids_np.size))
        logp, _ = model.score_positions(ids_np, np.repeat(starts_np, lengths))
        predicted = np.ones(ids_np.size, bool)
        predicted[starts_np] = False
        return np.power(10.0, logp[predicted].astype(np.float64))

    def score_batch(self, lists: list[NbestList], first_token: int = 0) -> list[float]:
        """Scores of the batch's hypotheses; first_token indexes its tokens in -lm-prob."""
        sentences = [h.words for nb in lists for h in nb.hyps]
        if self.options.carry_over:
            return self._scores(sentences, self._rnn_carry_over(lists), first_token)
        return self.score_independent(sentences, first_token)

    def score_independent(self, sentences: list[list[str]], first_token: int = 0
                          ) -> list[float]:
        """Scores of hypotheses (their words) each scored from the sentence start."""
        return self.score_encoded(self.encode(sentences), sentences, first_token)

    def score_encoded(self, encoded, sentences, first_token: int = 0) -> list[float]:
        """score_independent from the sentences as encode() gives them; the words
        themselves (``sentences``) are read only by an n-gram model."""
        return self._scores(sentences, self._rnn_independent(encoded), first_token)

    # -- streaming ---------------------------------------------------------------
    def rescore(self, lists: Iterable[NbestList]) -> Iterator[tuple[NbestList, list[float]]]:
        """Yield (list, scores of its hypotheses) in input order."""
        for batch, scores in self.rescore_batches(lists):
            yield from split_scores(batch, scores)

    def rescore_batches(self, lists: Iterable[NbestList]
                        ) -> Iterator[tuple[list[NbestList], list[float]]]:
        """Yield (lists of a batch, scores of all their hypotheses) in input order: for
        writers that handle a batch at once (lists of one hypothesis each are common)."""
        batches = _batches(lists, self.options.batch_hypotheses)
        threads = 1 if self.options.carry_over else self.options.threads
        if threads <= 1:
            for batch, first_token in batches:
                yield batch, self.score_batch(batch, first_token)
            return
        with _worker_pool(self, threads) as (pool, task):
            pending: deque = deque()
            for batch, first_token in batches:
                words = [h.words for nb in batch for h in nb.hyps]
                pending.append((batch, pool.submit(task, self.encode(words),
                                                   words if self.options.ngram else None,
                                                   first_token)))
                if len(pending) > 2 * threads:          # bounded look-ahead: constant memory
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()


_WORKER_RESCORER = None      # the Rescorer a forked worker process scores with


def _score_in_worker(encoded, sentences, first_token):
    return _WORKER_RESCORER.score_encoded(encoded, sentences, first_token)


@contextmanager
def _worker_pool(rescorer: "Rescorer", workers: int):
    """(executor, task) scoring batches of independent hypotheses in parallel.

    Forked processes where the platform has fork and the batches are scored on the
    CPU: they inherit the model (shared memory pages) and only the batches' word ids
    (and words, for an n-gram model) and scores travel.  Threads share one interpreter
    lock, which the per-batch Python work (the per-level calls, the combination of
    scores) holds often enough that two threads took 2.4-3.6 s on 75,220 hypotheses
    where two processes took 2.0-2.4 s.  Elsewhere, threads.
    """
    global _WORKER_RESCORER
    import multiprocessing                         # here: not on a one-thread start-up
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
    if rescorer.options.device == "cpu" and "fork" in multiprocessing.get_all_start_methods():
        _WORKER_RESCORER = rescorer
        try:
            with ProcessPoolExecutor(workers, multiprocessing.get_context("fork")) as pool:
                yield pool, _score_in_worker
        finally:
            _WORKER_RESCORER = None
        return
    with ThreadPoolExecutor(workers) as pool:
        yield pool, rescorer.score_encoded


class _WordIds(dict):
    """Word -> id, -1 for a word the model does not know: ids[word] is a lookup done in
    C, without the call per word of get(word, -1)."""

    def __missing__(self, word):
        return -1


def token_scores(logp: np.ndarray, p_other, options: RescoreOptions) -> np.ndarray:
    """The log10 score of each token from the RNN's log10 P (NaN: a word the RNN does not
    know) and the other model's probability (None without one), as the module says."""
    known = ~np.isnan(logp)
    if p_other is None:
        return np.where(known, logp, options.oov_penalty)
    with np.errstate(divide="ignore"):
        mixed = np.log10(options.lam * np.power(10.0, np.where(known, logp, 0.0))
                         + (1 - options.lam) * p_other)
        fallback = np.where(p_other > 0, np.log10(np.maximum(p_other, 1e-300)),
                            options.oov_penalty)
    return np.where(known, mixed, fallback)


def _batches(lists: Iterable[NbestList], size: int):
    """(whole lists holding at least ``size`` hypotheses, index of their first token)."""
    batch, count, first, tokens = [], 0, 0, 0
    for nbest in lists:
        batch.append(nbest)
        count += len(nbest.hyps)
        tokens += sum(len(h.words) + 1 for h in nbest.hyps)
        if count >= size:
            yield batch, first
            batch, count, first = [], 0, tokens
    if batch:
        yield batch, first


def split_scores(lists, scores):
    """(list, its scores) for the lists of a batch and the scores of all their hypotheses."""
    at = 0
    for nbest in lists:
        yield nbest, scores[at:at + len(nbest.hyps)]
        at += len(nbest.hyps)


def best_hypothesis(nbest: NbestList, scores: list[float], ac_scale: float, lm_weight: float,
                    rnn_weight: float, word_penalty: float) -> int:
    """Index of the hypothesis with the highest combined log10 score."""
    totals = [ac_scale * h.acoustic + lm_weight * h.lm + rnn_weight * s
              + word_penalty * len(h.words) for h, s in zip(nbest.hyps, scores)]
    return int(np.argmax(totals))

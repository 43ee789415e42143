"""One training pass over the text: in order (rnnlm's SGD) or in -threads parts at once
(Hogwild).  training.py's epoch loop chooses and calls them."""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Optional

import numpy as np

from .errors import RnnlmError
from .kernels import hogwild
from .model import Checkpoint, Model
from .network import EPOCH_START_HIDDEN

CHUNK_TOKENS = 16384
SYNC_TOKENS = 128       # threads merge their private copies this often: PTB -hs, 2 threads,
                        # test PPL 166.9-168.8 in eight runs (every 1024 words: 170.7-172.2)


class TrainingInterrupted(RnnlmError):
    """A stop was requested (SIGINT/SIGTERM); the model file holds a checkpoint."""

    exit_code = 130


class NumericalFault(Exception):
    """NaN or inf appeared in the training loss (internal: the epoch is retried)."""


def regularisers(model: Model, stream: int = 0) -> dict:
    """The per-word trainer's -clip-norm and -dropout (Network.train's keywords); each
    epoch and stream (thread) gets its own dropout masks (kernels.regularise)."""
    cfg = model.train_config
    seed = (model.state.epochs_done % (1 << 15) << 48) + (stream << 40)
    return {"clip_norm": cfg.clip_norm, "dropout": cfg.dropout, "mask_seed": seed}


def sequential_pass(model: Model, tokens: np.ndarray, ws, on_progress, supervision,
                    checkpoint, resume: Optional[Checkpoint], chunk: int = CHUNK_TOKENS) -> float:
    """One epoch of rnnlm's SGD over the text in order, reporting progress at least
    every ``chunk`` words; returns the sum of log10 P.

    Checkpoints fall on chunk boundaries, which do not change the result (the
    kernels keep all stream state in ``ws``), so a resumed pass equals an
    uninterrupted one.  A stop request writes a checkpoint and raises.
    """
    cfg, net, alpha = model.train_config, model.network, model.state.alpha
    every = cfg.checkpoint_every
    step = min(chunk, every) if every else chunk
    if resume is None:
        first, logp = 0, 0.0
        ws.start(EPOCH_START_HIDDEN)
    else:
        (first,), logp = resume.positions, resume.logp
        ws.set_state(resume.streams[0])
    last_saved, total = first, tokens.shape[0]
    for at in range(first, total, step):
        stop = min(at + step, total)
        part = net.train(tokens[at:stop], ws, alpha, cfg.beta, cfg.gradient_cutoff,
                         model.config.bptt_block, **regularisers(model))
        if not math.isfinite(part):
            raise NumericalFault()
        logp += part
        on_progress(stop, total)
        if stop == total:
            break
        if supervision.stop_requested():
            checkpoint([stop], logp)
            raise_stopped_with_checkpoint(model, stop)
        if every and stop - last_saved >= every:
            checkpoint([stop], logp)
            last_saved = stop
    return logp


def hogwild_pass(model: Model, tokens: np.ndarray, ranges, workspaces, on_progress, supervision,
                 checkpoint, resume: Optional[Checkpoint]) -> float:
    """One epoch of Hogwild SGD (-threads > 1); returns the sum of log10 P.

    One thread per range, each
    with its own state and history, updating the shared weights without locks (the
    kernels release the GIL); progress is reported from this thread.  The rows
    every token rewrites (class rows, or tree nodes near the root) and the
    recurrent matrix, which every BPTT block rewrites whole, would make the
    threads fight over the same cache lines, so each thread updates private
    copies of them (Network.hot_weights, from the layer specs; PrivateWeights) and
    adds its changes to the shared ones every SYNC_TOKENS tokens (local SGD; the deep
    tree nodes, rarely touched, only at the end of its stretch); all other weights
    are shared Hogwild-style.
    With -checkpoint-every N the threads stop together after about N/threads words
    each, and a checkpoint holds every thread's position and state; a stop request
    stops them at their next sync and writes one.  Resuming continues each thread
    where it stood (Hogwild is not deterministic, so not bit for bit).
    """
    cfg, alpha = model.train_config, model.state.alpha
    shared = model.network
    private = shared.hot_weights
    firsts = np.array([first for first, _ in ranges], np.int64)
    ends = np.array([end for _, end in ranges], np.int64)
    logp = np.zeros(len(ranges))
    if resume is None:
        at = firsts.copy()
        for ws in workspaces:
            ws.start(EPOCH_START_HIDDEN)
    else:
        at, logp[0] = np.array(resume.positions, np.int64), resume.logp
        for ws, stream in zip(workspaces, resume.streams):
            ws.set_state(stream)
    stretch = max(cfg.checkpoint_every // len(ranges), 1) if cfg.checkpoint_every else None

    def train_range(i, until):
        copies = PrivateWeights(shared, private)
        net, options = copies.net, regularisers(model, i)
        while at[i] < until and not supervision.stop_requested():
            stop = min(at[i] + SYNC_TOKENS, until)
            logp[i] += net.train(tokens[at[i]:stop], workspaces[i], alpha, cfg.beta,
                                 cfg.gradient_cutoff, model.config.bptt_block, **options)
            at[i] = stop
            copies.merge_hot_rows()
        copies.merge_all()

    with ThreadPoolExecutor(len(ranges)) as pool:
        while True:
            targets = np.minimum(at + stretch, ends) if stretch else ends
            pending = {pool.submit(train_range, i, int(targets[i])) for i in range(len(ranges))}
            while pending:
                finished, pending = wait(pending, timeout=0.2)
                for future in finished:
                    future.result()         # a failed thread fails the epoch
                on_progress(int((at - firsts).sum()), tokens.shape[0])
            if (at >= ends).all():
                return float(logp.sum())
            if not (math.isfinite(logp.sum()) and shared.is_finite()):
                raise NumericalFault()
            checkpoint([int(p) for p in at], float(logp.sum()))
            if supervision.stop_requested():
                raise_stopped_with_checkpoint(model, int((at - firsts).sum()))


def raise_stopped_with_checkpoint(model: Model, words: int):
    raise TrainingInterrupted(f"stopped at word {words} of epoch {model.state.epochs_done + 1}; "
                              "checkpoint written: run the same command to resume")


class PrivateWeights:
    """A Hogwild thread's network (``net``): the shared one with private copies of the
    weights named in ``hot`` (name -> leading rows merged often, None: all rows), and
    what it merges of them into the shared ones.

    A merge adds this thread's changes since the last one to the shared weights and
    resyncs the copies; the views are made once, so that a merge is only the
    kernel calls (merging every SYNC_TOKENS words, the dictionaries of weights built
    for each merge had cost more than the merging itself).
    """

    def __init__(self, shared, hot: dict):
        self.net = shared.with_copies(hot)
        mine, common = self.net.weights(), shared.weights()
        base = {name: mine[name].copy() for name in hot}

        def views(name, rows=None):
            return tuple(_as_rows(array[:rows])
                         for array in (mine[name], common[name], base[name]))
        self._hot_rows = [views(name, rows) for name, rows in hot.items()]
        self._all = [views(name) for name in hot]

    def merge_hot_rows(self):
        for mine, common, start in self._hot_rows:
            hogwild.merge(mine, common, start)

    def merge_all(self):
        for mine, common, start in self._all:
            hogwild.merge(mine, common, start)


def _as_rows(array: np.ndarray) -> np.ndarray:
    """A 2-D view of a weight array (a bias vector as one row), for hogwild.merge."""
    return array if array.ndim == 2 else array[np.newaxis]

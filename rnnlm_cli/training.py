"""The epoch loop and rnnlm 0.4b's learning-rate schedule.  No printing: the
caller gets progress callbacks and one EpochReport per epoch.

Schedule (after each epoch's validation pass, log10 likelihood L):
  * L worse than the previous epoch's  -> restore the previous weights;
  * L * min_improvement < previous L   -> start halving the learning rate, or,
                                          if halving already started, stop (with
                                          -retry N: the Nth time, not the 2nd);
  * once halving has started the rate halves after every epoch.
Without a validation file training runs a fixed number of epochs (-max-iter)
at a constant rate; -one-iter runs exactly one.
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .config import ModelConfig, TrainConfig
from .corpus import Corpus, read_text, read_training_text, sentence_ranges
from .errors import ConfigError, RnnlmError
from .model import Checkpoint, Model
from .network import EPOCH_START_HIDDEN
from .score import entropy_bits
from .textio import UTF8, TextEncoding

CHUNK_TOKENS = 16384
MAX_NUMERICAL_FAULTS = 3    # consecutive NaN/inf epochs before training gives up
SYNC_TOKENS = 1024          # threads merge their private copies this often


@dataclass
class EpochReport:
    epoch: int
    alpha: float
    train_entropy: float
    words_per_second: float
    seconds: float
    valid_entropy: Optional[float] = None
    valid_ppl: Optional[float] = None
    valid_logp: Optional[float] = None      # log10 P of the validation text
    rejected: bool = False

    def log_line(self, extended: bool = True) -> str:
        """rnnlm 0.4b's per-iteration line; ``extended`` adds the validation PPL and
        the note on restored weights (rnnlm itself prints the validation entropy only)."""
        line = (f"Iter: {self.epoch:3d}\tAlpha: {self.alpha:f}\t   "
                f"TRAIN entropy: {self.train_entropy:.4f}    "
                f"Words/sec: {self.words_per_second:.1f}")
        if self.valid_entropy is not None:
            line += f"   VALID entropy: {self.valid_entropy:.4f}"
            if extended:
                line += f"   VALID PPL: {self.valid_ppl:.2f}"
        if self.rejected and extended:
            line += "   (worse: weights restored)"
        return line


class TrainingInterrupted(RnnlmError):
    """A stop was requested (SIGINT/SIGTERM); the model file holds a checkpoint."""

    exit_code = 130


class TrainingDiverged(RnnlmError):
    """NaN or inf kept coming back after restoring weights and lowering the rate."""


class NumericalFault(Exception):
    """NaN or inf appeared in the training loss (internal: the epoch is retried)."""


@dataclass
class Supervision:
    """What the caller asks of a long run besides progress: a way to ask it to stop
    (checked between chunks) and a log for events such as numerical faults."""

    stop_requested: Callable[[], bool] = lambda: False
    on_event: Callable[[str], None] = lambda message: None


def open_or_create(model_path: str, train_path: str, model_config: ModelConfig,
                   train_config: TrainConfig, load: Callable[[str], Model] = Model.load,
                   fast_exp: bool = False, encoding: TextEncoding = UTF8
                   ) -> tuple[Model, Optional[Corpus], bool]:
    """The model to train and the encoded training text; True if resuming.

    An existing model file is resumed with the architecture, vocabulary and
    training options stored in it (rnnlm's behaviour); otherwise the vocabulary
    is built from the training text and a new model initialised.  A finished
    model comes back without reading the text (corpus None).  ``load`` reads
    an existing file (interop.load_model also reads rnnlm 0.4b's).
    """
    if os.path.exists(model_path):
        model = load(model_path)
        if model.state.finished:
            return model, None, True
        return model, read_text(train_path, model.vocab, "training", encoding), True
    vocab, corpus = read_training_text(train_path, model_config.classes, model_config.old_classes,
                                       encoding)
    model = Model.create(model_config, train_config, vocab, fast_exp)
    model.state.train_file, model.state.train_words = train_path, int(corpus.tokens.size)
    return model, corpus, False


def regularisers(model: Model, stream: int = 0) -> dict:
    """The per-word trainer's -clip-norm and -dropout (Network.train's keywords); each
    epoch and stream (thread) gets its own dropout masks (kernels.regularise)."""
    cfg = model.train_config
    seed = (model.state.epochs_done % (1 << 15) << 48) + (stream << 40)
    return {"clip_norm": cfg.clip_norm, "dropout": cfg.dropout, "mask_seed": seed}


def validation_logp(model: Model, valid: Corpus) -> tuple[float, int, np.ndarray]:
    """Sum of log10 P over in-vocabulary tokens of a fresh pass, their number, final state."""
    ws = model.network.workspace()
    ws.start(EPOCH_START_HIDDEN)
    scores = model.network.score(valid.tokens, ws)
    known = valid.tokens >= 0
    return float(scores[known].sum()), int(known.sum()), ws.s.copy()


def train(model: Model, train_corpus: Corpus, valid: Optional[Corpus],
          on_progress: Callable[[int, int], None] = lambda done, total: None,
          on_epoch: Callable[[EpochReport], None] = lambda report: None,
          on_save: Callable[[Model], None] = lambda model: None, device: str = "cpu",
          supervision: Supervision = Supervision()) -> Model:
    """Train until the schedule stops (or the epoch limit); returns the model.

    ``on_save`` is called after every epoch and, with -checkpoint-every, with a
    mid-epoch checkpoint attached to the model (model.checkpoint); a model
    loaded with one resumes at that word, bit for bit with one thread.  A pass
    whose loss or weights turn NaN/inf is undone (last accepted weights, half
    the learning rate) and retried, at most MAX_NUMERICAL_FAULTS times in a
    row.  ``device`` cuda runs the mini-batch algorithm (batch_train.py).
    """
    cfg, net, state = model.train_config, model.network, model.state
    if valid is None and not cfg.one_iter and cfg.max_iter == 0:
        raise ConfigError("without -valid, give -max-iter N (fixed number of epochs) or -one-iter")
    tokens = train_corpus.tokens
    ranges = sentence_ranges(tokens, cfg.threads)
    workspaces = [net.workspace(model.config.bptt_steps) for _ in ranges]
    ws = workspaces[-1]         # the one that ends the text: its state is kept
    resume, model.checkpoint = model.checkpoint, None
    snapshot = resume.snapshot if resume is not None else net.snapshot()
    # Load the compiled kernels now, so the first epoch's words/s measures training.
    net.train(tokens[:0], ws, state.alpha, cfg.beta, cfg.gradient_cutoff, model.config.bptt_block,
              **regularisers(model))
    batched = cfg.batch > 1 or device == "cuda"

    if resume is not None and len(resume.positions) != len(ranges):
        raise ConfigError(f"the checkpoint has {len(resume.positions)} streams but the training "
                          f"text splits into {len(ranges)}: was the text changed?")

    def checkpoint(positions: list, logp: float):
        words = sum(at - first for at, (first, _) in zip(positions, ranges))
        model.checkpoint = Checkpoint(positions, words, logp, [w.state() for w in workspaces],
                                      snapshot)
        try:
            on_save(model)
        finally:
            model.checkpoint = None

    if batched:
        from .batch_train import batched_epoch

        def progress(done: int, total: int):
            _raise_if_stopped(model, supervision)
            on_progress(done, total)
        run_pass = batched_epoch(model, tokens, device, progress,
                                 lambda part: regularisers(model, part))
    else:
        def run_pass():
            nonlocal resume
            start, resume = resume, None
            if len(ranges) > 1:
                return _training_pass(model, tokens, ranges, workspaces, on_progress,
                                      supervision, checkpoint, start)
            return _sequential_pass(model, tokens, ws, on_progress, supervision, checkpoint,
                                    start)
    faults = 0
    resumed_at = resume.words if resume is not None else 0    # words/s of this run only
    while not state.finished:
        if cfg.max_iter and state.epochs_done >= cfg.max_iter:
            break
        started = time.perf_counter()
        try:
            logp = run_pass()
        except NumericalFault:
            logp = math.nan
        if not (math.isfinite(logp) and net.is_finite()):
            faults += 1
            _numerical_fault(model, snapshot, faults, supervision)
            continue
        faults = 0
        seconds = time.perf_counter() - started
        state.train_logp = logp
        trained = int(np.count_nonzero(tokens >= 0))
        report = EpochReport(state.epochs_done, state.alpha, entropy_bits(logp, trained),
                             (tokens.shape[0] - resumed_at) / seconds, seconds)
        resumed_at = 0
        if valid is None or cfg.one_iter:
            net.h_init[:] = EPOCH_START_HIDDEN if batched else ws.s
            state.epochs_done += 1
            state.finished = cfg.one_iter or state.epochs_done >= cfg.max_iter
            snapshot.update(net.snapshot())
        else:
            _schedule_step(model, valid, report, snapshot)
        state.history.append(vars(report))
        on_save(model)
        on_epoch(report)
        if supervision.stop_requested() and not state.finished:
            raise TrainingInterrupted(f"stopped after epoch {state.epochs_done}; the model "
                                      "file holds it: run the same command to resume")
    state.finished = True
    on_save(model)
    return model


def _numerical_fault(model: Model, snapshot: dict, faults: int, supervision: Supervision):
    """Undo a pass that produced NaN/inf: last accepted weights, half the rate; or give up."""
    state = model.state
    model.network.restore(snapshot)
    if faults >= MAX_NUMERICAL_FAULTS:
        raise TrainingDiverged(
            f"training diverged: NaN or inf in epoch {state.epochs_done + 1} {faults} times in "
            f"a row, down to learning rate {state.alpha:g}; the model file holds the last good "
            "weights; try a smaller -alpha or -gradient-cutoff")
    state.alpha /= 2.0
    supervision.on_event(f"NaN or inf in epoch {state.epochs_done + 1}: last good weights "
                         f"restored, learning rate halved to {state.alpha:g}, epoch restarted")


def _sequential_pass(model: Model, tokens: np.ndarray, ws, on_progress, supervision,
                     checkpoint, resume: Optional[Checkpoint]) -> float:
    """One epoch of rnnlm's SGD over the text in order; returns the sum of log10 P.

    Checkpoints fall on chunk boundaries, which do not change the result (the
    kernels keep all stream state in ``ws``), so a resumed pass equals an
    uninterrupted one.  A stop request writes a checkpoint and raises.
    """
    cfg, net, alpha = model.train_config, model.network, model.state.alpha
    every = cfg.checkpoint_every
    step = min(CHUNK_TOKENS, every) if every else CHUNK_TOKENS
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
            _raise_stopped_with_checkpoint(model, stop)
        if every and stop - last_saved >= every:
            checkpoint([stop], logp)
            last_saved = stop
    return logp


def _training_pass(model: Model, tokens: np.ndarray, ranges, workspaces, on_progress,
                   supervision: Supervision, checkpoint, resume: Optional[Checkpoint]) -> float:
    """One epoch of Hogwild SGD (-threads > 1); returns the sum of log10 P.

    One thread per range, each
    with its own state and history, updating the shared weights without locks (the
    kernels release the GIL); progress is reported from this thread.  The rows
    every token rewrites (class rows, or tree nodes near the root) and the
    recurrent matrix, which every BPTT block rewrites whole, would make the
    threads fight over the same cache lines, so each thread updates private
    copies of them (Network.hot_weights, from the layer specs) and adds its changes to the shared ones
    every SYNC_TOKENS tokens (local SGD; the deep tree nodes, rarely touched, only
    at the end of its stretch); all other weights are shared Hogwild-style.
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
        net = shared.with_copies(private)
        base = {name: net.weights()[name].copy() for name in private}
        while at[i] < until and not supervision.stop_requested():
            stop = min(at[i] + SYNC_TOKENS, until)
            logp[i] += net.train(tokens[at[i]:stop], workspaces[i], alpha, cfg.beta,
                                 cfg.gradient_cutoff, model.config.bptt_block,
                                 **regularisers(model, i))
            at[i] = stop
            merge_private(net, shared, base, private)
        merge_private(net, shared, base)

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
                _raise_stopped_with_checkpoint(model, int((at - firsts).sum()))


def _raise_stopped_with_checkpoint(model: Model, words: int):
    raise TrainingInterrupted(f"stopped at word {words} of epoch {model.state.epochs_done + 1}; "
                              "checkpoint written: run the same command to resume")


def _raise_if_stopped(model: Model, supervision: Supervision):
    if supervision.stop_requested():
        raise TrainingInterrupted(f"stopped during epoch {model.state.epochs_done + 1}; the "
                                  "model file holds the previous epoch: run the same command "
                                  "to resume (the epoch restarts)")


def merge_private(net, shared, base: dict, rows: dict = None):
    """Add this thread's changes to its private weights (named by ``base``) into the
    shared ones; then resync the private copies and their base.

    ``rows`` limits each array to its leading rows (name -> count, None: all).
    """
    mine_all, common_all = net.weights(), shared.weights()
    for name, start in base.items():
        part = slice(None, rows[name] if rows else None)
        mine, common, start = mine_all[name][part], common_all[name][part], start[part]
        np.subtract(mine, start, out=start)
        common += start
        mine[:] = common
        start[:] = common


def _schedule_step(model: Model, valid: Corpus, report: EpochReport, snapshot: dict):
    """Validate, then accept or restore weights and update the learning rate (rnnlm)."""
    cfg, net, state = model.train_config, model.network, model.state
    logp, count, final_hidden = validation_logp(model, valid)
    net.h_init[:] = final_hidden
    report.valid_entropy = entropy_bits(logp, count)
    report.valid_ppl = 10.0 ** (-logp / count)
    report.valid_logp = logp
    if logp < state.best_valid_logp:
        net.restore(snapshot)
        report.rejected = True
    else:
        snapshot.update(net.snapshot())
    if logp * cfg.min_improvement < state.best_valid_logp:
        # a model saved before low_gains was kept has had one low gain if it is halving
        state.low_gains = max(state.low_gains, int(state.halving)) + 1
        if state.low_gains >= cfg.retry:
            state.finished = True
        state.halving = True
    if state.halving and not state.finished:
        state.alpha /= 2.0
    # rnnlm compares the next epoch with this one even when it was rejected.
    state.best_valid_logp = logp
    if not state.finished:
        state.epochs_done += 1

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
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .averaging import Averaging
from .config import ModelConfig, TrainConfig
from .corpus import Corpus, read_text, read_training_text, sentence_ranges
from .errors import ConfigError, RnnlmError
from .model import Checkpoint, Model
from .network import EPOCH_START_HIDDEN
from .passes import (CHUNK_TOKENS, NumericalFault, TrainingInterrupted, hogwild_pass,
                     regularisers, sequential_pass)
from .score import entropy_bits
from .textio import UTF8, TextEncoding

MAX_NUMERICAL_FAULTS = 3    # consecutive NaN/inf epochs before training gives up


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


class TrainingDiverged(RnnlmError):
    """NaN or inf kept coming back after restoring weights and lowering the rate."""


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
    averaging = Averaging(model, cfg.average == "epoch" and device != "cuda", len(tokens))
    averaging.begin_run()
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
                                      snapshot, averaging.checkpoint_state())
        try:
            on_save(model)
        finally:
            model.checkpoint = None

    def sampled_progress(done: int, total: int):
        averaging.progress(done)
        on_progress(done, total)

    if batched:
        from .batch_train import batched_epoch

        def progress(done: int, total: int):
            _raise_if_stopped(model, supervision)
            sampled_progress(done, total)
        run_pass = batched_epoch(model, tokens, device, progress,
                                 lambda part: regularisers(model, part))
    else:
        def run_pass():
            nonlocal resume
            start, resume = resume, None
            if len(ranges) > 1:
                return hogwild_pass(model, tokens, ranges, workspaces, sampled_progress,
                                    supervision, checkpoint, start)
            return sequential_pass(model, tokens, ws, sampled_progress, supervision,
                                   checkpoint, start, averaging.report_every(CHUNK_TOKENS))
    faults = 0
    resumed_at = resume.words if resume is not None else 0    # words/s of this run only
    while not state.finished:
        if cfg.max_iter and state.epochs_done >= cfg.max_iter:
            break
        started = time.perf_counter()
        averaging.begin_pass(resume)
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
        averaging.end_pass()
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
            averaging.after_schedule(report.rejected)
        state.history.append(vars(report))
        model.iterate = averaging.stored_iterate()
        on_save(model)
        model.iterate = None
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


def _raise_if_stopped(model: Model, supervision: Supervision):
    if supervision.stop_requested():
        raise TrainingInterrupted(f"stopped during epoch {model.state.epochs_done + 1}; the "
                                  "model file holds the previous epoch: run the same command "
                                  "to resume (the epoch restarts)")


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

"""Training a model file from text files: the library call behind ``rnnlm train``, the
drop-in mode's -train and ``rnnlm_cli.train()``.

The epoch loop and schedule are training.py's; this module opens or resumes
the model file, reads the texts, saves after every epoch and tells the caller
what happens through ``TrainingEvents`` (no printing here).  Without a validation
file it holds out part of the training text (heldout.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Callable, Optional

from . import collector
from .config import ModelConfig, TrainConfig, check_training_options, option_names
from .corpus import read_text
from .errors import ConfigError
from .heldout import every_kth, fraction_to_hold_out, hold_out
from .locking import writer_lock
from .model import Model
from .textio import UTF8, TextEncoding
from .training import EpochReport, Supervision, open_or_create, train


@dataclass
class TrainingEvents:
    """What a caller hears of a training run: the model as opened (new, resumed, or
    already finished: then nothing more), the start of each epoch (number from 1,
    tokens), progress within it, its report; the validation sentences held out of the
    training text when there is no validation file (how many, every k-th)."""

    opened: Callable[[Model, int, bool], None] = lambda model, tokens, resumed: None
    epoch_started: Callable[[int, int], None] = lambda epoch, tokens: None
    progress: Callable[[int, int], None] = lambda done, total: None
    epoch_done: Callable[[EpochReport], None] = lambda report: None
    held_out: Callable[[int, int], None] = lambda sentences, every: None
    supervision: Supervision = field(default_factory=Supervision)


def train_file(model_path: str, train_path: str, valid_path: Optional[str] = None,
               model_config: ModelConfig = ModelConfig(),
               train_config: TrainConfig = TrainConfig(), *, fast_exp: bool = False,
               device: str = "cpu", events: TrainingEvents = TrainingEvents(),
               load: Callable[[str], Model] = Model.load,
               save: Callable[[Model, str], None] = Model.save,
               resume_overrides: Optional[dict] = None,
               encoding: TextEncoding = UTF8, given: frozenset = frozenset()) -> Model:
    """Train the model at ``model_path`` (created from the texts, or resumed: an existing
    file keeps its own architecture and options) and return it.

    ``load``/``save`` read and write the file (the drop-in mode's are rnnlm
    0.4b's format); ``resume_overrides`` are training options that win over the
    file's when resuming (rnnlm takes some from the command line), the key
    ``alpha`` also setting the current rate.  ``fast_exp``: a new model trains
    and scores with rnnlm 0.4b's approximate exponential.  ``encoding``: of the texts.
    Another process writing ``model_path`` makes it fail at once (OutputBusy).
    ``given``: the model_config fields the caller chose (the command line's); an
    existing file whose architecture differs in one of them is refused, not resumed.
    """
    check_training_options(model_config, train_config, valid_path, device, fast_exp)
    with writer_lock(model_path, "-rnnlm"):       # one writer for the whole run
        model, corpus, resumed = open_or_create(model_path, train_path, model_config,
                                                train_config, load, fast_exp, encoding)
        collector.resume()
        if resumed:
            _check_architecture(model_path, model.config, model_config, given)
        if resume_overrides is not None and resumed:
            _override(model, resume_overrides)
            if corpus is None:
                corpus = read_text(train_path, model.vocab, "training", encoding)
        events.opened(model, 0 if corpus is None else int(corpus.tokens.size), resumed)
        if model.state.finished:
            return model
        if valid_path:
            valid = read_text(valid_path, model.vocab, "validation", encoding)
        else:
            corpus, valid = _held_out(model, corpus, events)
        model.state.valid_file = valid_path or ""

        def epoch_done(report: EpochReport):
            events.epoch_started(report.epoch + 2, corpus.tokens.size)
            events.epoch_done(report)

        events.epoch_started(model.state.epochs_done + 1, corpus.tokens.size)
        return train(model, corpus, valid, on_progress=events.progress, on_epoch=epoch_done,
                     on_save=lambda m: save(m, model_path), device=device,
                     supervision=events.supervision)


# ModelConfig fields that shape the weights: a file is resumed only with its own
ARCHITECTURE = ("hidden", "hidden_type", "layers", "output", "classes", "old_classes",
                "direct", "direct_order", "sentence_start")


def _check_architecture(model_path: str, stored: ModelConfig, asked: ModelConfig,
                        given: frozenset):
    differing = [spec for spec in fields(ModelConfig)
                 if spec.name in ARCHITECTURE and spec.name in given
                 and getattr(stored, spec.name) != getattr(asked, spec.name)]
    if differing:
        show = lambda config: " ".join(f"-{option_names(spec)[0]} {getattr(config, spec.name)}"
                                       for spec in differing)
        raise ConfigError(f"{model_path} holds a model with {show(stored)}, not {show(asked)}: "
                          "leave those options out to resume it, or train into another "
                          "-rnnlm")


def _held_out(model: Model, corpus, events: TrainingEvents):
    """Without -valid: (training text, held-out validation text or None); the model's
    record keeps the rule, so a resumed run holds out the same sentences."""
    fraction = fraction_to_hold_out(model.train_config)
    if not fraction:
        return corpus, None
    every = every_kth(corpus.sentences, fraction)
    corpus, valid = hold_out(corpus, every)
    model.state.held_out_every, model.state.held_out_sentences = every, valid.sentences
    events.held_out(valid.sentences, every)
    return corpus, valid


def _override(model: Model, overrides: dict):
    """Resuming with options that win over the file's (the drop-in mode's rule)."""
    model.state.finished = False
    options = {name: value for name, value in overrides.items() if name != "alpha"}
    model.train_config = replace(model.train_config, **options)
    if "alpha" in overrides:
        model.state.alpha = overrides["alpha"]

"""``rnnlm train``: options to the config dataclasses, one library call
(trainer.train_file), the epoch lines on stdout and notes on stderr."""
from __future__ import annotations

import signal
from dataclasses import fields

import click

from .config import ModelConfig, TrainConfig, check_training_options, with_implied_defaults
from .device import require_cuda
from .options import (QUIET_HELP, RnnlmCommand, chosen_encoding, config_options, device_option,
                      encoding_options, flag_names, layer_shortcut_options, take_config,
                      take_layer_shortcuts, train_exp_option)


@click.command(cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="model file to write (an unfinished one is resumed)")
@click.option(*flag_names("train"), "train_path", required=True, metavar="TEXT",
              help="training text, one sentence per line (.gz allowed)")
@click.option(*flag_names("valid"), "valid_path", metavar="TEXT",
              help="validation text: drives the learning rate and stopping")
@config_options(ModelConfig)
@config_options(TrainConfig)
@layer_shortcut_options
@train_exp_option
@device_option
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help=QUIET_HELP)
def train(model_path, train_path, valid_path, exp, device, quiet, **options):
    """Train an RNNME model with rnnlm 0.4b's algorithm: a hidden layer of -hidden-type
    (rnnlm's Elman layer, or GRU, LSTM, SCRN) and the output layer of --output (its
    shortcut flags below)."""
    from .locking import writer_lock

    # Held until the command ends; taken here, before numpy loads, so that a second
    # writer fails at once (train_file takes it again, re-entrantly).
    click.get_current_context().with_resource(writer_lock(model_path, "-rnnlm"))
    model_config = take_layer_shortcuts(take_config(ModelConfig, options), options)
    typed = _typed()
    given = _given(typed)
    model_config, train_config = with_implied_defaults(
        model_config, take_config(TrainConfig, options), typed)
    check_training_options(model_config, train_config, valid_path, device, exp == "rnnlm")
    if device == "cuda":
        require_cuda()
    from .progress import WordProgress
    from .trainer import TrainingEvents, train_file
    from .training import Supervision, TrainingInterrupted

    say = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    already_trained = []

    def opened(model, tokens, resumed):
        if model.state.finished:
            already_trained.append(True)
            say(f"{model_path}: already trained ({model.state.epochs_done} epochs); "
                "nothing to do (remove it to train again)")
        elif resumed and model.checkpoint is not None:
            say(f"{model_path}: resuming epoch {model.state.epochs_done + 1} at word "
                f"{model.checkpoint.words} from its checkpoint "
                "(architecture and training options taken from the file)")
        elif resumed:
            say(f"{model_path}: resuming training after {model.state.epochs_done} epochs "
                "(architecture and training options taken from the file)")
        else:
            layer = model.network.output_spec.describe(model.vocab)
            say(f"vocabulary: {len(model.vocab)} words, {layer}; training tokens: {tokens}")
        if not model.state.finished and (model.train_config.batch > 1 or device == "cuda"):
            say(f"mini-batch training on {device}: {model.train_config.batch} streams, one "
                f"recurrent update per {model.config.bptt_block} tokens of each")

    with WordProgress(quiet) as progress, _StopOnSignal() as stop:
        events = TrainingEvents(
            opened=opened,
            epoch_started=lambda epoch, tokens: progress.start(f"epoch {epoch}", tokens),
            progress=progress.update,
            epoch_done=lambda report: click.echo(report.log_line()),
            held_out=lambda sentences, every: say(
                f"no -valid: validating on {sentences} sentences held out of the training "
                f"text (every {every}th; -valid-fraction sets how many)"),
            supervision=Supervision(stop_requested=stop.requested,
                                    on_event=lambda message: click.echo(
                                        f"rnnlm train: {message}", err=True)))
        try:
            model = train_file(model_path, train_path, valid_path, model_config, train_config,
                               fast_exp=exp == "rnnlm", device=device, events=events,
                               encoding=chosen_encoding(), given=given)
        except TrainingInterrupted as exc:
            exc.exit_code = 128 + stop.signal_number
            raise
    if already_trained:
        return
    if valid_path or model.state.held_out_sentences:
        from .signature import rnn_fields, signature
        click.echo(f"signature: {signature(rnn_fields(model, model.network.independent))}")
    say(f"model written to {model_path}")


def _typed() -> frozenset:
    """The names of the parameters typed on the command line."""
    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params
                     if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE)


def _given(typed: frozenset) -> frozenset:
    """The ModelConfig fields typed on the command line (a shortcut flag sets output)."""
    names = {spec.name for spec in fields(ModelConfig) if spec.name in typed}
    if any(name.startswith("shortcut_") for name in typed):
        names.add("output")
    return frozenset(names)


class _StopOnSignal:
    """SIGINT/SIGTERM ask training to stop at the next chunk (it writes a checkpoint
    and exits); a second signal interrupts at once."""

    def __init__(self):
        self.signal_number = 0
        self.previous = {}

    def requested(self) -> bool:
        return self.signal_number != 0

    def _handle(self, number, frame):
        if self.signal_number:
            raise KeyboardInterrupt
        self.signal_number = number
        click.echo(f"rnnlm train: {signal.Signals(number).name} received: stopping after the "
                   "current block (again to abort at once)", err=True)

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self.previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info):
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        return False

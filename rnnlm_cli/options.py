"""Click options generated from the config dataclasses, in both spellings.

``-hidden 100`` (rnnlm/SRILM) and ``--hidden 100`` (GNU) name the same option;
the default, type, help and unit come from the dataclass field, so they are
written once.
"""
from __future__ import annotations

import difflib
import sys
from dataclasses import MISSING, fields, replace

import click

from . import layers
from .config import option_names
from .errors import ConfigError
from .textio import UTF8, TextEncoding


QUIET_HELP = "no progress bar or messages on stderr (results still go to stdout)"


class RnnlmCommand(click.Command):
    """A subcommand whose unknown options are named as typed.

    Our options are single-dash words (-hidden), which Click's parser would take
    apart as clustered short flags: -nce became "no such option '-n'" and -qq
    passed as -q -q.  Every option word is checked whole before Click parses.
    """

    def parse_args(self, ctx, args):
        check_option_words(args, self.get_params(ctx), ctx)
        return super().parse_args(ctx, args)


def check_option_words(args: list, params, ctx=None):
    """Raise a UsageError naming the first word of ``args`` that looks like an option and
    is none, with the closest options of the same dash style."""
    takes_value = {}
    for param in params:
        for name in (*param.opts, *getattr(param, "secondary_opts", ())):
            takes_value[name] = not (getattr(param, "is_flag", False)
                                     or getattr(param, "count", False))
    at = 0
    while at < len(args):
        word = args[at]
        if word == "--":
            return
        name = word.split("=", 1)[0]
        if word.startswith("-") and word != "-" and not _is_number(word):
            if name not in takes_value:
                raise click.UsageError(unknown_option_message(name, takes_value), ctx)
            at += takes_value[name] and "=" not in word
        at += 1


def unknown_option_message(name: str, known) -> str:
    """"no such option '-nce'", with the closest options of the same dash style."""
    style = [option for option in known if option.startswith("--") == name.startswith("--")]
    close = difflib.get_close_matches(name, style, n=2, cutoff=0.6)
    return f"no such option '{name}'" + (f" (did you mean {' or '.join(close)}?)" if close
                                         else "")


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def _spellings(name: str) -> tuple[str, str]:
    return f"-{name}", f"--{name}"


def flag_names(name: str, *extra: str):
    """Both spellings of an option plus any short aliases, e.g. ('-q',)."""
    return (*extra, *_spellings(name))


def config_options(config_class):
    """Decorator adding one option per field of ``config_class``."""
    def decorate(command):
        for spec in reversed(fields(config_class)):
            names = [n for name in option_names(spec) for n in _spellings(name)]
            unit = spec.metadata.get("unit")
            help_text = spec.metadata["help"] + (f" [unit: {unit}]" if unit else "")
            default = spec.default if spec.default is not MISSING else None
            if isinstance(default, bool):
                command = click.option(*names, spec.name, is_flag=True,
                                       default=default, help=help_text)(command)
            else:
                choices = spec.metadata.get("choices")
                kind = click.Choice(choices) if choices else type(default)
                command = click.option(*names, spec.name, type=kind,
                                       default=default, show_default=True,
                                       help=help_text)(command)
        return command
    return decorate


def take_config(config_class, kwargs: dict):
    """Pop the fields of ``config_class`` out of Click's kwargs and build the config."""
    return config_class(**{spec.name: kwargs.pop(spec.name) for spec in fields(config_class)})


def layer_shortcut_options(command):
    """A flag per output layer that has one (-hs for --output hs), from the layer registry."""
    for flag, name in layers.shortcuts().items():
        command = click.option(*flag_names(flag), f"shortcut_{name}", is_flag=True,
                               help=f"the {layers.output_spec(name).title} output layer "
                                    f"(the same as --output {name})")(command)
    return command


def take_layer_shortcuts(config, kwargs: dict):
    """``config`` with the output layer a given shortcut flag selects (Click's kwargs)."""
    for name in layers.shortcuts().values():
        if kwargs.pop(f"shortcut_{name}"):
            config = replace(config, output=name)
    return config


def exp_option(command):
    """-exp: which exponential scoring uses (rnnlm 0.4b's approximation or the exact one)."""
    return click.option(
        *flag_names("exp"), "exp", type=click.Choice(["auto", "exact", "rnnlm"]), default="auto",
        show_default=True,
        help="exponential used when scoring: rnnlm = rnnlm 0.4b's fast approximation "
             "(reproduces its numbers), exact = math exp; auto = the model's own: rnnlm for "
             "rnnlm 0.4b model files and models trained with -exp rnnlm")(command)


def train_exp_option(command):
    """-exp for training: stored in the model, so scoring uses it too."""
    return click.option(
        *flag_names("exp"), "exp", type=click.Choice(["exact", "rnnlm"]), default="exact",
        show_default=True,
        help="exponential used in training and then in scoring: rnnlm = rnnlm 0.4b's fast "
             "approximation, which reproduces rnnlm's training runs")(command)


def device_option(command):
    """--device cpu|cuda (rnnlm_cli.device checks that a GPU is there)."""
    return click.option(
        *flag_names("device"), "device", type=click.Choice(["cpu", "cuda"]), default="cpu",
        show_default=True,
        help="where to compute: cpu, or cuda (an NVIDIA GPU through numba.cuda; scores "
             "sentences in batches and trains with the mini-batch algorithm)")(command)


def rescoring_lm_options(command):
    """-lm, -lambda, -oov-penalty and -nce-unnormalized: how nbest-rescore and
    lattice-rescore score a word (rnnlm_cli.nbest.token_scores)."""
    from .config import RescoreOptions
    for decorate in reversed([
            click.option(*flag_names("lm"), "lm_path", metavar="ARPA",
                         help="n-gram model: interpolated with the RNN, and scores unknown "
                              "words"),
            click.option(*flag_names("lambda"), "lam", type=click.FloatRange(0, 1),
                         default=RescoreOptions.lam, show_default=True,
                         help="with -lm or -lm-prob: weight of the RNN"),
            click.option(*flag_names("oov-penalty"), "oov_penalty", type=float,
                         default=RescoreOptions.oov_penalty, show_default=True,
                         help="log10 score of a word unknown to the RNN (and to -lm)"),
            click.option(*flag_names("nce-unnormalized"), "unnormalised", is_flag=True,
                         help="with an NCE model (full softmax): score exp(z - lnZ) without "
                              "the softmax sum, O(H) instead of O(V H) a word; for ranking, "
                              "not probabilities")]):
        command = decorate(command)
    return command


def chosen_encoding() -> TextEncoding:
    """The text encoding the running command's --encoding/--errors chose (UTF-8 strict
    by default); the command passes it to every text reader and writer it calls."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("rnnlm.text", UTF8) if ctx is not None else UTF8


def encoding_options(command):
    """--encoding and --errors: how the command's text files and standard output are
    decoded and encoded (rnnlm_cli.textio); checked while the options are parsed,
    then read with chosen_encoding()."""
    def apply(ctx, param, value):
        ctx.meta[f"rnnlm.{param.name}"] = value
        encoding = ctx.meta.get("rnnlm.encoding", "utf-8")
        errors = ctx.meta.get("rnnlm.errors", "strict")
        try:
            chosen = TextEncoding.named(encoding, errors)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
        ctx.meta["rnnlm.text"] = chosen
        if chosen.encoding != "utf-8" or chosen.errors != "strict":
            reconfigure = getattr(sys.stdout, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding=chosen.encoding, errors=chosen.errors)
        return value
    command = click.option(
        *flag_names("errors"), "errors", type=click.Choice(["strict", "replace"]),
        default="strict", show_default=True, expose_value=False, callback=apply,
        help="bytes that are not valid in the encoding: strict = an error naming the line, "
             "replace = read as U+FFFD (and what cannot be written as '?')")(command)
    return click.option(
        *flag_names("encoding"), "encoding", default="utf-8", show_default=True,
        metavar="NAME", expose_value=False, callback=apply,
        help="encoding of the text files read and written and of standard output "
             "(e.g. latin-1, cp1252, gb18030; model files are not affected)")(command)

"""Drop-in mode for faster-rnnlm models: ``rnnlm -rnnlm NAME -test FILE`` answers as
faster-rnnlm's test mode does when NAME is a faster-rnnlm model (NAME and NAME.nnet).

Reproduced: its option parsing (every option takes a value, single or double dash;
-nbest and -independent are accepted and ignored, so Kaldi's
rnnlm_compute_scores.sh line runs unchanged; an unknown option draws a warning and
takes its value), one line per non-blank sentence on stdout with the sentence's
log10 probability (``</s>`` included, ``%f``) or ``OOV`` for a sentence with a word
outside the vocabulary, and ``Test entropy X`` on stderr.  An NCE model scores
unnormalised unless ``-nce-accurate-test 1`` (then the line says to use it instead
of giving an entropy), as faster-rnnlm does.

Not carried over: faster-rnnlm's training and sampling modes (train and sample with
``rnnlm train`` and ``rnnlm sample``), and its progress lines on stderr.
"""
from __future__ import annotations

import sys

import click

from .errors import ConfigError

IGNORED = ("-nbest", "-independent")        # rnnlm 0.4b flags faster-rnnlm accepts
ANSWERED = ("rnnlm", "test", "nce-accurate-test")
REFUSED = {"train": "training", "valid": "training", "generate-samples": "sampling"}


def is_faster_rnnlm_call(args: list[str]) -> bool:
    """True when -rnnlm names a faster-rnnlm model (the vocabulary with NAME.nnet beside)."""
    from .formats.faster_rnnlm import looks_like
    at = next((i for i, arg in enumerate(args) if arg in ("-rnnlm", "--rnnlm")), None)
    return at is not None and at + 1 < len(args) and looks_like(args[at + 1])


def parse(args: list[str]) -> dict:
    """faster-rnnlm's parsing: -name value pairs from the start, the last value winning."""
    given = {}
    at = 0
    while at < len(args):
        arg = args[at]
        if arg in IGNORED:
            at += 1
            continue
        name = arg[2:] if arg.startswith("--") else arg[1:] if arg.startswith("-") else ""
        if not name or name.startswith("-"):
            raise ConfigError(f"expected an option name at argument {at + 1}, got {arg!r}")
        if at + 1 >= len(args):
            raise ConfigError(f"-{name}: missing value")
        if name in ANSWERED or name in REFUSED:
            given[name] = args[at + 1]
        else:
            click.echo(f"rnnlm: warning: ignoring unknown option -{name} {args[at + 1]}",
                       err=True)
        at += 2
    return given


def run(args: list[str]) -> None:
    """Carry out faster-rnnlm's test command line on a faster-rnnlm model."""
    from .corpus import read_text
    from .evaluation import faster_rnnlm_test
    from .interop import load_model

    given = parse(args)
    for name, mode in REFUSED.items():
        if name in given:
            raise ConfigError(f"-{name}: faster-rnnlm's {mode} mode is not carried out in "
                              f"drop-in mode; use 'rnnlm train' or 'rnnlm sample'")
    if "test" not in given:
        raise ConfigError("give -test FILE to score with a faster-rnnlm model")
    if given.get("nce-accurate-test", "0") not in ("0", "1"):
        raise ConfigError(f"-nce-accurate-test must be 0 or 1, got "
                          f"{given['nce-accurate-test']!r}")
    model = load_model(given["rnnlm"])
    unnormalised = model.network.self_normalised and given.get("nce-accurate-test") != "1"
    if unnormalised:
        model.network = model.network.with_unnormalised_scores()
    result = faster_rnnlm_test(model, read_text(given["test"], model.vocab))
    out = sys.stdout
    out.write("".join("OOV\n" if log10 is None else f"{log10:f}\n" for log10 in result.log10))
    out.flush()
    click.echo("Use -nce-accurate-test to calculate entropy" if unnormalised
               else f"Test entropy {result.entropy:f}", err=True)

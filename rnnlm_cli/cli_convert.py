"""``rnnlm convert``: between our model files and rnnlm 0.4b's (text or binary); from
faster-rnnlm's."""
from __future__ import annotations

import click

from .options import RnnlmCommand, flag_names

FORMATS = ["rnnlm", "rnnlm0.4b", "rnnlm0.4b-binary"]


@click.command(name="convert", cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="model to read: ours, rnnlm 0.4b's (text or binary) or faster-rnnlm's "
                   "(NAME with NAME.nnet beside it), detected")
@click.option(*flag_names("out"), "out_path", required=True, metavar="FILE",
              help="model file to write (replaced atomically)")
@click.option(*flag_names("to"), "target", type=click.Choice(FORMATS), default=None,
              help="format to write: rnnlm (ours), rnnlm0.4b (its text format, what "
                   "Kaldi reads) or rnnlm0.4b-binary; default: ours for an rnnlm 0.4b or "
                   "faster-rnnlm model, rnnlm0.4b for ours")
def convert(model_path, out_path, target):
    """Convert a model between our format and rnnlm 0.4b's, or a faster-rnnlm model to ours.

    rnnlm 0.4b's text format keeps 4 decimals of each weight (2 for maxent weights);
    its binary format keeps them all.
    """
    from .locking import writer_lock

    with writer_lock(out_path, "-out"):          # before the model is read
        _convert(model_path, out_path, target)


def _convert(model_path, out_path, target):
    from .formats import faster_rnnlm, rnnlm04
    from .interop import load_model, save_rnnlm04

    if target is None:
        foreign = rnnlm04.looks_like(model_path) or faster_rnnlm.looks_like(model_path)
        target = "rnnlm" if foreign else "rnnlm0.4b"
    model = load_model(model_path)
    if target == "rnnlm":
        model.save(out_path)
    else:
        save_rnnlm04(model, out_path, binary=target.endswith("binary"))

"""``rnnlm sample``: options, one library call (sample.Sampler), one sentence per line."""
from __future__ import annotations

import sys

import click

from .config import SampleConfig
from .options import RnnlmCommand, encoding_options, exp_option, flag_names


@click.command(cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="model file")
@click.option(*flag_names("n"), "count", type=click.IntRange(1), default=SampleConfig.count,
              show_default=True, help="number of sentences")
@click.option(*flag_names("words"), "words", type=click.IntRange(1),
              help="instead of sentences, this many tokens (</s> as a line break), "
                   "like rnnlm's -gen")
@click.option(*flag_names("seed"), "seed", type=click.IntRange(0), default=SampleConfig.seed,
              show_default=True, help="random seed")
@click.option(*flag_names("temperature"), "temperature", type=click.FloatRange(min=0,
              min_open=True), default=SampleConfig.temperature, show_default=True,
              help="sample from p^(1/T): below 1 sharper, above 1 flatter")
@click.option(*flag_names("prefix"), "prefix", default=SampleConfig.prefix, metavar="WORDS",
              help="continue this text (its words start the first sentence)")
@click.option(*flag_names("max-length"), "max_length", type=click.IntRange(1),
              default=SampleConfig.max_length,
              show_default=True, help="cut a sentence that reaches this many words")
@click.option(*flag_names("independent"), "independent", is_flag=True,
              default=SampleConfig.independent,
              help="start every sentence from the sentence-start state "
                   "(default: as the model was trained)")
@exp_option
@encoding_options
def sample(model_path, count, words, seed, temperature, prefix, max_length, independent, exp):
    """Generate text from an RNN model, one sentence per line."""
    from .interop import load_model
    from .sample import Sampler, sample_lines

    model = load_model(model_path, exp)
    out = sys.stdout
    if not words:
        config = SampleConfig(count, seed, temperature, prefix, max_length, independent)
        out.writelines(line + "\n" for line in sample_lines(model, config))
        return
    sampler = Sampler(model, seed, temperature, independent)
    start = prefix.split()
    sampler.feed(start)
    line = list(start)
    for token in sampler.tokens(words):
        if token == "</s>":
            out.write(" ".join(line) + "\n")
            line = []
        else:
            line.append(token)
    if line:
        out.write(" ".join(line) + "\n")

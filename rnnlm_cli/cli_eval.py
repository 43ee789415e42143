"""``rnnlm eval``: options to an EvalConfig, one library call (evaluation.evaluate or
ngram.ppl.perplexity), a renderer."""
from __future__ import annotations

import contextlib
import json
import sys

import click

from .device import scoring_exp
from .config import EvalConfig
from .options import (QUIET_HELP, RnnlmCommand, chosen_encoding, device_option,
                      encoding_options, exp_option, flag_names)


@click.command(name="eval", cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", metavar="MODEL", help="RNN model file")
@click.option(*flag_names("lm"), "lm_path", metavar="ARPA",
              help="n-gram model in ARPA format (.gz allowed), scored as SRILM's ngram -ppl")
@click.option(*flag_names("test", "-ppl"), "test_path", required=True, metavar="TEXT",
              help="text to score, one sentence per line; - reads stdin")
@click.option(*flag_names("order"), "order", type=click.IntRange(0), default=0,
              help="with -lm: highest n-gram order to use (default: the model's)")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="with -lm: open-vocabulary model, unknown words are scored as <unk>")
@click.option(*flag_names("mix-lm"), "mix_lm", metavar="ARPA",
              help="with -lm (no -rnnlm): a second n-gram model, mixed with -lm into one "
                   "backoff model as SRILM's ngram -mix-lm does (rnnlm ngram-mix)")
@click.option(*flag_names("lambda"), "lam", type=click.FloatRange(0, 1), default=None,
              help=f"with -rnnlm and -lm or -lm-prob: weight of the RNN in the linear "
                   f"interpolation (default {EvalConfig.lam}); with -mix-lm: weight of -lm "
                   f"(default 0.5)")
@click.option(*flag_names("lm-prob"), "lm_prob", metavar="FILE",
              help="with -rnnlm: probabilities of another LM, one per token (rnnlm's -lm-prob)")
@click.option(*flag_names("dynamic"), "dynamic", type=click.FloatRange(0),
              default=EvalConfig.dynamic,
              help="with -rnnlm: keep training on the test text at this learning rate "
                   "(dynamic evaluation)")
@click.option(*flag_names("independent"), "independent", is_flag=True,
              default=EvalConfig.independent,
              help="score every sentence from the sentence-start state "
                   "(default: as the model was trained)")
@click.option(*flag_names("nce-unnormalized"), "unnormalised", is_flag=True,
              help="with an NCE model (full softmax): score exp(z - lnZ) without the softmax "
                   "sum, faster-rnnlm's default for such models; the numbers are then no "
                   "probabilities (labelled so in the signature and the report)")
@click.option(*flag_names("debug"), "debug", type=click.IntRange(0, 2), default=None,
              help="rnnlm: 0-1 summary, 2 also per-word probabilities (default 1); "
                   "-lm: SRILM's levels, 0 file summary, 1 per sentence, 2 per word (default 0)")
@click.option(*flag_names("format"), "output_format",
              type=click.Choice(["rnnlm", "srilm", "json"]), default=None,
              help="layout of the summary (default: rnnlm for -rnnlm, srilm for -lm)")
@exp_option
@device_option
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help=QUIET_HELP)
def eval_command(model_path, lm_path, test_path, order, unk, mix_lm, lam, lm_prob, dynamic,
                 independent, unnormalised, debug, output_format, exp, device, quiet):
    """Perplexity of a text under an RNN model (-rnnlm), an n-gram model (-lm), or both
    interpolated (-rnnlm with -lm or -lm-prob)."""
    if not model_path and not lm_path:
        raise click.UsageError("give -rnnlm MODEL, -lm ARPA, or both")
    if lm_prob and (lm_path or not model_path):
        raise click.UsageError("-lm-prob goes with -rnnlm and without -lm")
    if mix_lm and (model_path or not lm_path):
        raise click.UsageError("-mix-lm mixes two n-gram models: give it with -lm and without "
                               "-rnnlm (mix them first with rnnlm ngram-mix, then give the "
                               "result as -lm)")
    if device == "cuda" and not model_path:
        raise click.UsageError("--device cuda scores RNN models (-rnnlm); n-gram scoring "
                               "runs on the CPU")
    if device == "cuda" and dynamic > 0:
        raise click.UsageError("-dynamic is CPU-only (it trains word by word)")
    encoding = chosen_encoding()
    if not model_path:
        _eval_ngram(lm_path, test_path, order, unk, 0 if debug is None else debug,
                    output_format or "srilm", quiet, encoding,
                    (mix_lm, 0.5 if lam is None else lam) if mix_lm else None)
        return
    config = EvalConfig(independent=independent, dynamic=dynamic,
                        lam=EvalConfig.lam if lam is None else lam, device=device)
    with _rereadable(test_path, bool(lm_path)) as readable:
        other_lm = _other_lm(lm_path, lm_prob, order, unk, readable, encoding)
        _eval_rnn(model_path, readable, test_path, config, other_lm,
                  1 if debug is None else debug, output_format or "rnnlm", exp, quiet, encoding,
                  unnormalised)


@contextlib.contextmanager
def _rereadable(path, needed):
    """The text at ``path``, spooled to a temporary file when it is stdin and read twice."""
    if path != "-" or not needed:
        yield path
        return
    import shutil
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".txt") as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.flush()
        yield spool.name


def _other_lm(lm_path, lm_prob, order, unk, test_path, encoding):
    """The other LM of an interpolation (evaluation.ArpaProbabilities or
    FileProbabilities), or None."""
    from .evaluation import ArpaProbabilities, FileProbabilities
    if lm_prob:
        return FileProbabilities(lm_prob, encoding)
    if lm_path:
        from .ngram.arpa import read_arpa
        return ArpaProbabilities(read_arpa(lm_path, order, unk, encoding), test_path, order,
                                 unk, encoding)
    return None


def _eval_ngram(lm_path, test_path, order, unk, debug, output_format, quiet, encoding,
                mixed=None):
    """SRILM's ngram -ppl of the model (``mixed``: (path, weight of -lm) of a second
    model, mixed with it statically as SRILM's -mix-lm does)."""
    from .ngram.arpa import read_arpa
    from .ngram.ppl import perplexity
    from .signature import ngram_fields, signature

    model = read_arpa(lm_path, order, unk, encoding)
    if mixed:
        from .ngram.mix import mix
        model = mix(model, read_arpa(mixed[0], order, unk, encoding), mixed[1])
    if not unk and not quiet and model.has_unknown_word_probability():
        click.echo(f"{lm_path}: warning: non-zero probability for <unk> in closed-vocabulary LM",
                   err=True)
    stamp = signature(ngram_fields(model, unk))
    if output_format == "json":
        stats = perplexity(model, test_path, order, encoding=encoding)
        result = stats.as_dict()
        result.update(file=test_path, model=lm_path, signature=stamp)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        perplexity(model, test_path, order, debug, sys.stdout, encoding)
        _report_signature(stamp, quiet)


def _report_signature(stamp: str, quiet: bool):
    """SRILM's layout stays byte for byte SRILM's on stdout; the signature goes to stderr."""
    if not quiet:
        click.echo(f"signature: {stamp}", err=True)


def _eval_rnn(model_path, test_path, shown, config: EvalConfig, other_lm, debug, output_format,
              exp, quiet, encoding, unnormalised):
    from .corpus import read_text
    from .evaluation import evaluate
    from .interop import load_model
    from .score import write_rnnlm_summary, write_srilm_summary, write_word_table

    model = load_model(model_path, scoring_exp(config.device, exp))
    if unnormalised:
        model.network = model.network.with_unnormalised_scores()
        if not quiet:
            click.echo("note: -nce-unnormalized scores are not probabilities; the "
                       "perplexity reported is not one", err=True)
    independent = model.network.independent if config.independent is None \
        else config.independent
    if config.device == "cuda" and not independent:
        raise click.UsageError("--device cuda scores sentences independently: give "
                               "-independent (or use a model trained with -independent)")
    corpus = read_text(test_path, model.vocab, encoding=encoding)
    corpus.path = shown
    result = evaluate(model, corpus, config, other_lm)
    out = sys.stdout
    if output_format == "json":
        json.dump(result.as_dict(model_path, word_scores=debug >= 2), out)
        out.write("\n")
        return
    if debug >= 2:
        write_word_table(out, result.tokens, result.scores, model.vocab.words, result.other)
    if output_format == "srilm":
        write_srilm_summary(out, result.combined)
        out.flush()
        _report_signature(result.signature, quiet)
        return
    report = result.report
    out.write(f"test file: {report.file}\n"
              f"sentences: {report.sentences}, words: {report.words}, "
              f"OOVs: {report.oovs} (skipped), scored tokens: {report.scored_tokens}\n")
    write_rnnlm_summary(out, report, result.mixed)
    out.write(f"signature: {result.signature}\n")

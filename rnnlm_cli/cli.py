"""The ``rnnlm`` command: parse options, call the library, print results.

Results go to stdout, progress and messages to stderr.  Every user error is
one line on stderr and a non-zero exit status.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sys

import click

from . import __version__
from .config import ModelConfig, TrainConfig
from .errors import RnnlmError
from .textio import use_text_encoding
from .cli_convert import convert
from .cli_nbest import nbest_rescore
from .cli_ngram import ngram_count
from .device import prepare_cuda_scoring, require_cuda
from .options import (config_options, device_option, encoding_options, exp_option, flag_names,
                      take_config, train_exp_option)

QUIET_HELP = "no progress bar or messages on stderr (results still go to stdout)"


class RnnlmGroup(click.Group):
    """Turns every user error into one stderr line and an exit status."""

    def main(self, args=None, prog_name="rnnlm", **kwargs):
        # One BLAS thread per worker: our own -threads decide the parallelism.
        # (Effective here because numpy is first imported by the commands.)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        if hasattr(signal, "SIGPIPE"):
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if args is None:
            args = sys.argv[1:]
        use_text_encoding("utf-8")     # until a command's --encoding says otherwise
        try:
            from . import cli_dropin
            if cli_dropin.is_dropin(args, self.commands):
                return cli_dropin.run(list(args))
            return super().main(args, prog_name=prog_name, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else prog_name
            click.echo(f"{command}: error: {exc.format_message()} "
                       f"(see '{command} --help')", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"{prog_name}: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(f"{prog_name}: interrupted", err=True)
            sys.exit(130)
        except RnnlmError as exc:
            click.echo(f"{prog_name}: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"{prog_name}: interrupted", err=True)
            sys.exit(130)
        except UnicodeEncodeError as exc:
            click.echo(f"{prog_name}: error: cannot write {exc.object[exc.start:exc.end]!r} "
                       f"in {exc.encoding} (see --encoding, --errors replace)", err=True)
            sys.exit(1)


@click.group(cls=RnnlmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="rnnlm")
def main():
    """Recurrent neural network language models (RNNME) for ASR and MT pipelines.

    Options take rnnlm/SRILM spelling (-hidden 100) or GNU spelling (--hidden 100).
    Called without a subcommand and with rnnlm 0.4b's options (rnnlm -rnnlm M -test T ...)
    it behaves as rnnlm 0.4b does (see rnnlm(1), DROP-IN MODE).
    """


@main.command()
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="model file to write (an unfinished one is resumed)")
@click.option(*flag_names("train"), "train_path", required=True, metavar="TEXT",
              help="training text, one sentence per line (.gz allowed)")
@click.option(*flag_names("valid"), "valid_path", metavar="TEXT",
              help="validation text: drives the learning rate and stopping")
@config_options(ModelConfig)
@config_options(TrainConfig)
@click.option(*flag_names("hs"), "hs", is_flag=True,
              help="hierarchical softmax output layer (the same as --output hs)")
@train_exp_option
@device_option
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help=QUIET_HELP)
def train(model_path, train_path, valid_path, hs, exp, device, quiet, **options):
    """Train an RNNME model: rnnlm 0.4b's algorithm with a class-based softmax, or a
    hierarchical softmax (-hs) for large vocabularies and speed."""
    from .corpus import read_text
    from .progress import WordProgress
    from .train import Supervision, TrainingInterrupted, open_or_create, train as run_training

    model_config = take_config(ModelConfig, options)
    if hs:
        model_config = dataclasses.replace(model_config, output="hs")
    train_config = take_config(TrainConfig, options)
    if device == "cuda":
        require_cuda()
        if exp == "rnnlm":
            raise click.UsageError("-exp rnnlm is CPU-only; --device cuda trains with the "
                                   "exact exponential")
    say = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    model, corpus, resumed = open_or_create(model_path, train_path, model_config, train_config)
    if model.state.finished:
        say(f"{model_path}: already trained ({model.state.epochs_done} epochs); "
            "nothing to do (remove it to train again)")
        return
    if resumed and model.checkpoint is not None:
        say(f"{model_path}: resuming epoch {model.state.epochs_done + 1} at word "
            f"{model.checkpoint.words} from its checkpoint "
            "(architecture and training options taken from the file)")
    elif resumed:
        say(f"{model_path}: resuming training after {model.state.epochs_done} epochs "
            "(architecture and training options taken from the file)")
    else:
        model.network.fast_exp = exp == "rnnlm"
        layer = (f"{model.vocab.n_classes} classes" if model.config.output == "class"
                 else "hierarchical softmax")
        say(f"vocabulary: {len(model.vocab)} words, {layer}; "
            f"training tokens: {corpus.tokens.size}")
    if model.train_config.batch > 1 or device == "cuda":
        say(f"mini-batch training on {device}: {model.train_config.batch} streams, one "
            f"recurrent update per {model.config.bptt_block} tokens of each")
    valid = read_text(valid_path, model.vocab, role="validation") if valid_path else None
    model.state.valid_file = valid_path or ""

    with WordProgress(quiet) as progress, _StopOnSignal() as stop:
        def on_epoch(report):
            progress.start(f"epoch {report.epoch + 2}", corpus.tokens.size)
            click.echo(_epoch_line(report))

        supervision = Supervision(stop_requested=stop.requested,
                                  on_event=lambda message: click.echo(
                                      f"rnnlm train: {message}", err=True))
        progress.start(f"epoch {model.state.epochs_done + 1}", corpus.tokens.size)
        try:
            run_training(model, corpus, valid, on_progress=progress.update, on_epoch=on_epoch,
                         on_save=lambda m: m.save(model_path), device=device,
                         supervision=supervision)
        except TrainingInterrupted as exc:
            exc.exit_code = 128 + stop.signal_number
            raise
    if valid is not None:
        from .signature import rnn_fields, signature
        click.echo(f"signature: {signature(rnn_fields(model, model.network.independent))}")
    say(f"model written to {model_path}")


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


def _epoch_line(report) -> str:
    """rnnlm 0.4b's per-iteration line, plus validation PPL and the restore note."""
    line = (f"Iter: {report.epoch:3d}\tAlpha: {report.alpha:f}\t   "
            f"TRAIN entropy: {report.train_entropy:.4f}    "
            f"Words/sec: {report.words_per_second:.1f}")
    if report.valid_entropy is not None:
        line += f"   VALID entropy: {report.valid_entropy:.4f}   VALID PPL: {report.valid_ppl:.2f}"
    if report.rejected:
        line += "   (worse: weights restored)"
    return line


@main.command(name="eval")
@click.option(*flag_names("rnnlm"), "model_path", metavar="MODEL", help="RNN model file")
@click.option(*flag_names("lm"), "lm_path", metavar="ARPA",
              help="n-gram model in ARPA format (.gz allowed), scored as SRILM's ngram -ppl")
@click.option(*flag_names("test", "-ppl"), "test_path", required=True, metavar="TEXT",
              help="text to score, one sentence per line; - reads stdin")
@click.option(*flag_names("order"), "order", type=click.IntRange(0), default=0,
              help="with -lm: highest n-gram order to use (default: the model's)")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="with -lm: open-vocabulary model, unknown words are scored as <unk>")
@click.option(*flag_names("lambda"), "lam", type=click.FloatRange(0, 1), default=0.75,
              show_default=True, help="with -rnnlm and -lm or -lm-prob: weight of the RNN "
              "in the linear interpolation")
@click.option(*flag_names("lm-prob"), "lm_prob", metavar="FILE",
              help="with -rnnlm: probabilities of another LM, one per token (rnnlm's -lm-prob)")
@click.option(*flag_names("dynamic"), "dynamic", type=click.FloatRange(0), default=0.0,
              help="with -rnnlm: keep training on the test text at this learning rate "
                   "(dynamic evaluation)")
@click.option(*flag_names("independent"), "independent", is_flag=True, default=None,
              help="score every sentence from the sentence-start state "
                   "(default: as the model was trained)")
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
def eval_command(model_path, lm_path, test_path, order, unk, lam, lm_prob, dynamic, independent,
                 debug, output_format, exp, device, quiet):
    """Perplexity of a text under an RNN model (-rnnlm), an n-gram model (-lm), or both
    interpolated (-rnnlm with -lm or -lm-prob)."""
    if not model_path and not lm_path:
        raise click.UsageError("give -rnnlm MODEL, -lm ARPA, or both")
    if lm_prob and (lm_path or not model_path):
        raise click.UsageError("-lm-prob goes with -rnnlm and without -lm")
    if device == "cuda" and not model_path:
        raise click.UsageError("--device cuda scores RNN models (-rnnlm); n-gram scoring "
                               "runs on the CPU")
    if device == "cuda" and dynamic > 0:
        raise click.UsageError("-dynamic is CPU-only (it trains word by word)")
    if not model_path:
        _eval_ngram(lm_path, test_path, order, unk, 0 if debug is None else debug,
                    output_format or "srilm", quiet)
        return
    with _rereadable(test_path, bool(lm_path)) as readable:
        _eval_rnn(model_path, readable, independent, 1 if debug is None else debug,
                  output_format or "rnnlm", dynamic,
                  _other_lm(lm_path, lm_prob, order, unk, readable), lam, shown=test_path,
                  exp=exp, device=device, quiet=quiet)


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


def _other_lm(lm_path, lm_prob, order, unk, test_path):
    """A function: number of tokens -> (linear probabilities of the other LM, its
    signature fields), or None."""
    from .signature import digest_bytes, ngram_fields
    if lm_prob:
        from .interpolate import probabilities_from_file

        def from_file(tokens):
            probabilities = probabilities_from_file(lm_prob, tokens)
            return probabilities, [("lmprob", digest_bytes(probabilities))]
        return from_file
    if lm_path:
        from .interpolate import probabilities_from_arpa
        from .ngram.arpa import read_arpa
        model = read_arpa(lm_path, order, unk)
        return lambda tokens: (probabilities_from_arpa(model, test_path, order),
                               ngram_fields(model, unk))
    return None


def _eval_ngram(lm_path, test_path, order, unk, debug, output_format, quiet):
    from .ngram.arpa import read_arpa
    from .ngram.ppl import perplexity
    from .signature import ngram_fields, signature

    model = read_arpa(lm_path, order, unk)
    if not unk and not quiet and model.has_unknown_word_probability():
        click.echo(f"{lm_path}: warning: non-zero probability for <unk> in closed-vocabulary LM",
                   err=True)
    stamp = signature(ngram_fields(model, unk))
    if output_format == "json":
        stats = perplexity(model, test_path, order)
        result = stats.as_dict()
        result.update(file=test_path, model=lm_path, signature=stamp)
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    else:
        perplexity(model, test_path, order, debug, sys.stdout)
        _report_signature(stamp, quiet)


def _report_signature(stamp: str, quiet: bool):
    """SRILM's layout stays byte for byte SRILM's on stdout; the signature goes to stderr."""
    if not quiet:
        click.echo(f"signature: {stamp}", err=True)


def _eval_rnn(model_path, test_path, independent, debug, output_format, dynamic=0.0,
              other_lm=None, lam=0.75, shown=None, exp="auto", device="cpu", quiet=False):
    from .corpus import read_text
    from .interop import load_model
    from .score import score_corpus, write_rnnlm_summary, write_word_table
    from .signature import rnn_fields, signature

    model = load_model(model_path, exp)
    if independent is None:
        independent = model.network.independent
    if device == "cuda":
        if not independent:
            raise click.UsageError("--device cuda scores sentences independently: give "
                                   "-independent (or use a model trained with -independent)")
        prepare_cuda_scoring(model.network, exp)
    fields = rnn_fields(model, independent, dynamic)    # before -dynamic changes the model
    corpus = read_text(test_path, model.vocab)
    corpus.path = shown or test_path
    report, scores = score_corpus(model, corpus, independent, dynamic, device)
    other = None
    if other_lm is not None:
        from .interpolate import interpolate
        other, other_fields = other_lm(corpus.tokens.shape[0])
        mixed, combined = interpolate(scores, other, lam)
        fields += other_fields + [("lambda", f"{lam:g}")]
    stamp = signature(fields)
    out = sys.stdout
    if debug >= 2 and output_format != "json":
        write_word_table(out, corpus.tokens, scores, model.vocab.words, other)
    if output_format == "json":
        result = report.as_dict()
        result.update(model=model_path, signature=stamp)
        if other is not None:
            result["interpolation"] = mixed.as_dict()
        if debug >= 2:
            result["word_log10_probs"] = [None if s != s else s for s in scores.tolist()]
        json.dump(result, out)
        out.write("\n")
    elif output_format == "srilm":
        logprob = report.logprob if other is None else mixed.logprob_combined
        scored = report.scored_tokens if other is None else mixed.tokens
        oovs = report.words + report.sentences - scored
        ppl, ppl1 = 10.0 ** (-logprob / scored), 10.0 ** (-logprob / (scored - report.sentences))
        out.write(f"file {report.file}: {report.sentences} sentences, {report.words} words, "
                  f"{oovs} OOVs\n")
        out.write(f"0 zeroprobs, logprob= {logprob:.7g} ppl= {ppl:.7g} ppl1= {ppl1:.7g}\n")
        out.flush()
        _report_signature(stamp, quiet)
    else:
        out.write(f"test file: {report.file}\n"
                  f"sentences: {report.sentences}, words: {report.words}, "
                  f"OOVs: {report.oovs} (skipped), scored tokens: {report.scored_tokens}\n")
        write_rnnlm_summary(out, report, mixed if other is not None else None)
        out.write(f"signature: {stamp}\n")


@main.command()
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="model file")
@click.option(*flag_names("n"), "count", type=click.IntRange(1), default=10,
              show_default=True, help="number of sentences")
@click.option(*flag_names("words"), "words", type=click.IntRange(1),
              help="instead of sentences, this many tokens (</s> as a line break), "
                   "like rnnlm's -gen")
@click.option(*flag_names("seed"), "seed", type=click.IntRange(0), default=1, show_default=True,
              help="random seed")
@click.option(*flag_names("temperature"), "temperature", type=click.FloatRange(min=0,
              min_open=True), default=1.0, show_default=True,
              help="sample from p^(1/T): below 1 sharper, above 1 flatter")
@click.option(*flag_names("prefix"), "prefix", default="", metavar="WORDS",
              help="continue this text (its words start the first sentence)")
@click.option(*flag_names("max-length"), "max_length", type=click.IntRange(1), default=200,
              show_default=True, help="cut a sentence that reaches this many words")
@click.option(*flag_names("independent"), "independent", is_flag=True, default=None,
              help="start every sentence from the sentence-start state "
                   "(default: as the model was trained)")
@exp_option
@encoding_options
def sample(model_path, count, words, seed, temperature, prefix, max_length, independent, exp):
    """Generate text from an RNN model, one sentence per line."""
    from .interop import load_model
    from .sample import Sampler

    sampler = Sampler(load_model(model_path, exp), seed, temperature, independent)
    start = prefix.split()
    sampler.feed(start)
    out = sys.stdout
    if words:
        line = list(start)
        for token in sampler.tokens(words):
            if token == "</s>":
                out.write(" ".join(line) + "\n")
                line = []
            else:
                line.append(token)
        if line:
            out.write(" ".join(line) + "\n")
        return
    for i, sentence in enumerate(sampler.sentences(count, max_length)):
        out.write(" ".join((start if i == 0 else []) + sentence) + "\n")


main.add_command(ngram_count)
main.add_command(nbest_rescore)
main.add_command(convert)

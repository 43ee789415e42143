"""Drop-in mode: ``rnnlm`` called as Mikolov's rnnlm 0.4b is, with its options and no subcommand.

Scripts written for rnnlm (Kaldi's rnnlm_compute_scores.sh, the rnnlm FAQ recipes) run
unchanged.  Reproduced: option parsing (exact spelling anywhere in argv, a value is the
next argument, flags take none), the modes in rnnlm's order (train, then test, then
generate), the option echo lines at -debug >= 1, the test summary and -debug 2 table,
one ``%f`` line per hypothesis with -nbest, the -gen layout, the training lines, the
stored model settings winning over the command line, rnnlm 0.4b's approximate
exponential, its N-best context carried from each list's first hypothesis (and the
first list's context under -independent), OOV tokens skipped in the perplexity, and
models written in rnnlm 0.4b's format (text, or binary with -binary).

Deliberately fixed: errors are one line on stderr with a non-zero exit status (rnnlm
prints them on stdout and exits 0); unknown options draw a warning instead of silence;
a last line without a newline is still read; long words are not cut at 99 bytes;
-gen draws from our own random generator, so the words differ from rnnlm's.
"""
from __future__ import annotations

import sys

import click

from .config import DEFAULT_LAMBDA, ModelConfig, TrainConfig
from .errors import ConfigError
from .options import unknown_option_message

# option -> (type, echo line at -debug >= 1), in rnnlm's parse (and echo) order.
OPTIONS = {
    "-debug": (int, "debug mode: {}"),
    "-train": (str, "train file: {}"),
    "-one-iter": (bool, "Training for one iteration"),
    "-max-iter": (int, "Maximum number of iterations: {}"),
    "-valid": (str, "valid file: {}"),
    "-nbest": (bool, "Processing test data as list of nbests"),
    "-test": (str, "test file: {}"),
    "-class": (int, "class size: {}"),
    "-old-classes": (bool, "Old algorithm for computing classes will be used"),
    "-lambda": (float, "Lambda (interpolation coefficient between rnnlm and other lm): {:f}"),
    "-gradient-cutoff": (float, "Gradient cutoff: {:f}"),
    "-dynamic": (float, "Dynamic learning rate: {:f}"),
    "-gen": (int, "Generating # words: {}"),
    "-independent": (bool, "Sentences will be processed independently..."),
    "-alpha": (float, "Starting learning rate: {:f}"),
    "-beta": (float, "Regularization: {:f}"),
    "-min-improvement": (float, "Min improvement: {:f}"),
    "-anti-kasparek": (int, "Model will be saved after each # words: {}"),
    "-hidden": (int, "Hidden layer size: {}"),
    "-compression": (int, "Compression layer size: {}"),
    "-direct": (int, "Direct connections: {}M"),
    "-direct-order": (int, "Order of direct connections: {}"),
    "-bptt": (int, "BPTT: {}"),
    "-bptt-block": (int, "BPTT block: {}"),
    "-rand-seed": (int, "Rand seed: {}"),
    "-lm-prob": (str, "other lm probabilities specified in: {}"),
    "-binary": (bool, "Model will be saved in binary format"),
    "-rnnlm": (str, "rnnlm file: {}"),
}
NBEST_OOV_LOG10 = -5.0


def is_dropin(args: list[str], commands) -> bool:
    """True when argv looks like an rnnlm 0.4b call: it starts with one of rnnlm's options."""
    return bool(args) and args[0] in OPTIONS and args[0] not in commands


def parse(args: list[str]) -> dict:
    """rnnlm's parsing: the first occurrence of each option wins, its value follows it."""
    given = {}
    for name, (kind, _) in OPTIONS.items():
        if name not in args:
            continue
        at = args.index(name)
        if kind is bool:
            given[name] = True
            continue
        if at + 1 >= len(args):
            raise ConfigError(f"{name}: missing value")
        text = args[at + 1]
        try:
            given[name] = kind(text)
        except ValueError:
            raise ConfigError(f"{name}: expected {kind.__name__}, got {text!r}") from None
    values = {i + 1 for name in given if OPTIONS[name][0] is not bool
              for i, arg in enumerate(args) if arg == name}
    unknown = [a for i, a in enumerate(args) if i not in values and a not in OPTIONS]
    if unknown:      # rnnlm ignores them silently; we say so, naming each option whole
        named = [unknown_option_message(word, OPTIONS)[len("no such option "):]
                 if word.startswith("-") else repr(word) for word in unknown]
        click.echo(f"rnnlm: warning: ignoring unknown arguments: {', '.join(named)}", err=True)
    return given


def run(args: list[str]) -> None:
    """Carry out an rnnlm 0.4b command line (faster-rnnlm's, on a faster-rnnlm model)."""
    from . import cli_dropin_faster
    if cli_dropin_faster.is_faster_rnnlm_call(args):
        cli_dropin_faster.run(args)
        return
    given = parse(args)
    _check(given)
    debug = given.get("-debug", 1)
    if debug > 0:
        for name, value in given.items():
            click.echo(OPTIONS[name][1].format(value))
    if "-train" in given:
        from .locking import writer_lock
        with writer_lock(given["-rnnlm"], "-rnnlm"):    # before NumPy loads: a busy model
            _train(given, debug)                        # is refused at once
    if "-test" in given:
        if given.get("-nbest"):
            _nbest(given)
        else:
            _perplexity(given, debug)
    if given.get("-gen", 0) > 0:
        _generate(given)


def _check(given: dict) -> None:
    """Refuse what cannot be carried out, before any output (rnnlm checks less)."""
    if not any(mode in given for mode in ("-train", "-test")) and given.get("-gen", 0) <= 0:
        raise ConfigError("training or testing must be specified (-train, -test or -gen)")
    if "-rnnlm" not in given:
        raise ConfigError("model file must be specified (-rnnlm)")
    if given.get("-compression", 0) > 0:
        raise ConfigError("-compression: compression layers are not supported")
    if not 0.0 <= given.get("-lambda", DEFAULT_LAMBDA) <= 1.0:
        raise ConfigError("-lambda must be between 0 and 1")
    if given.get("-dynamic", 0.0) < 0 or given.get("-gen", 0) < 0:
        raise ConfigError("-dynamic and -gen must not be negative")


def _train(given: dict, debug: int) -> None:
    from .interop import load_model, save_rnnlm04
    from .trainer import TrainingEvents, train_file

    model_path = given["-rnnlm"]
    if "-valid" not in given and not given.get("-one-iter"):
        raise ConfigError("validation data file must be specified (-valid), or -one-iter")
    model_config, train_config = _configs(given)
    click.echo(f"Starting training using file {given['-train']}")
    binary = bool(given.get("-binary"))
    log_path = model_path + ".output.txt"

    def opened(model, tokens, resumed):
        if resumed:
            click.echo("Restoring network from file to continue training...")
        elif debug > 0:
            click.echo(f"Vocab size: {len(model.vocab)}\nWords in train file: {tokens}")

    def epoch_done(report):
        click.echo(report.log_line(extended=False))
        if report.valid_entropy is not None:
            with open(log_path, "a") as log:
                log.write(f"\niter: {report.epoch}\nvalid log probability: "
                          f"{report.valid_logp:f}\nPPL net: {report.valid_ppl:f}\n")

    overrides = _resume_overrides(given)
    if "-alpha" in given:
        overrides["alpha"] = given["-alpha"]
    # a new model trains with rnnlm's exponential: rnnlm's training run
    train_file(model_path, given["-train"], given.get("-valid"), model_config, train_config,
               fast_exp=True, events=TrainingEvents(opened=opened, epoch_done=epoch_done),
               load=load_model, save=lambda model, path: save_rnnlm04(model, path, binary),
               resume_overrides=overrides)


def _configs(given: dict) -> tuple[ModelConfig, TrainConfig]:
    """Our configuration from rnnlm's options (rnnlm's defaults where absent)."""
    model = dict(hidden=given.get("-hidden", 30), classes=given.get("-class", 100),
                 old_classes=bool(given.get("-old-classes")),
                 direct=float(max(given.get("-direct", 0), 0)),
                 direct_order=min(given.get("-direct-order", 3), 20),
                 bptt=given.get("-bptt", 0), bptt_block=max(given.get("-bptt-block", 10), 1),
                 independent=bool(given.get("-independent")))
    training = dict(alpha=given.get("-alpha", 0.1), rand_seed=given.get("-rand-seed", 1),
                    checkpoint_every=max(given.get("-anti-kasparek", 0), 0),
                    **_resume_overrides(given))
    return ModelConfig(**model), TrainConfig(**training)


def _resume_overrides(given: dict) -> dict:
    """Training options rnnlm takes from the command line even when resuming."""
    names = {"-beta": "beta", "-min-improvement": "min_improvement", "-max-iter": "max_iter",
             "-one-iter": "one_iter", "-gradient-cutoff": "gradient_cutoff"}
    return {field: given[option] for option, field in names.items() if option in given}


def _load(given: dict):
    """The model, scored with rnnlm's approximate exponential whatever its file format."""
    from .interop import load_model
    return load_model(given["-rnnlm"], exp="rnnlm")


def _perplexity(given: dict, debug: int) -> None:
    from .corpus import read_text
    from .config import EvalConfig
    from .evaluation import FileProbabilities, evaluate
    from .score import write_rnnlm_summary, write_word_table

    model = _load(given)
    corpus = read_text(given["-test"], model.vocab)
    other_lm = FileProbabilities(given["-lm-prob"]) if "-lm-prob" in given else None
    config = EvalConfig(dynamic=given.get("-dynamic", EvalConfig.dynamic),
                        lam=given.get("-lambda", EvalConfig.lam), single_sums=True)
    result = evaluate(model, corpus, config, other_lm)
    out = sys.stdout
    if debug >= 2:
        write_word_table(out, corpus.tokens, result.scores, model.vocab.words, result.other)
    if debug < 1:
        return
    write_rnnlm_summary(out, result.report, result.mixed)
    out.flush()
    click.echo(f"signature: {result.signature}", err=True)     # stdout stays rnnlm's


def _nbest(given: dict) -> None:
    from .formats.nbest import read_lists
    from .nbest import RescoreOptions, Rescorer

    model = _load(given)
    other = None
    if "-lm-prob" in given:
        from .interpolate import probabilities_from_file
        other = probabilities_from_file(given["-lm-prob"], None)
    lam = given.get("-lambda", DEFAULT_LAMBDA) if other is not None else 1.0
    rescorer = Rescorer(model, RescoreOptions(carry_over=True, oov_penalty=NBEST_OOV_LOG10,
                                              lam=lam, other_probs=other))
    out = sys.stdout
    for _, scores in rescorer.rescore(read_lists(given["-test"], "rnnlm")):
        out.write("".join(f"{score:f}\n" for score in scores))
        out.flush()


def _generate(given: dict) -> None:
    from .sample import Sampler

    sampler = Sampler(_load(given), seed=given.get("-rand-seed", 1))
    out = sys.stdout
    for token in sampler.tokens(given["-gen"]):
        out.write("\n" if token == "</s>" else token + " ")
    out.flush()

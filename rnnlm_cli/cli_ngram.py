"""``rnnlm ngram-count``: SRILM's ngram-count options, parsed and handed to rnnlm_cli.ngram.

Per-order variants (``-gt3min``, ``-kndiscount2``, ``-interpolate3``,
``-write2``, ...) are generated here for orders 1..9; the plain option applies to
every order.
"""
from __future__ import annotations

import contextlib

import click

from .errors import ConfigError
from .options import RnnlmCommand, chosen_encoding, encoding_options, flag_names

ORDERS = range(1, 10)
TASK_MEMORY = "1G"         # -memory of a task under -dask or -threads
METHOD_FLAGS = {
    "kndiscount": "modified Kneser-Ney discounting (Chen & Goodman)",
    "ukndiscount": "original Kneser-Ney discounting",
    "wbdiscount": "Witten-Bell discounting",
    "interpolate": "interpolated instead of backoff estimates (Witten-Bell, -cdiscount, KN)",
}


def _per_order_options(command):
    for name, text in reversed(list(METHOD_FLAGS.items())):
        for k in reversed(ORDERS):
            command = click.option(*flag_names(f"{name}{k}"), f"{name}{k}", is_flag=True,
                                   hidden=True, help=f"{text}, order {k} only")(command)
        command = click.option(*flag_names(name), name, is_flag=True,
                               help=f"{text} (-{name}N: order N only)")(command)
    for k in reversed(ORDERS):
        command = click.option(*flag_names(f"cdiscount{k}"), f"cdiscount{k}", type=float,
                               hidden=True, help=f"absolute discount, order {k}")(command)
        command = click.option(*flag_names(f"gt{k}min"), f"gt{k}min", type=click.IntRange(0),
                               hidden=True, help=f"minimum count, order {k}")(command)
        command = click.option(*flag_names(f"gt{k}max"), f"gt{k}max", type=click.IntRange(0),
                               hidden=True, help=f"Good-Turing maximum count, order {k}")(command)
        command = click.option(*flag_names(f"write{k}"), f"write{k}", metavar="FILE",
                               hidden=True, help=f"write the counts of order {k}")(command)
    return command


@click.command(name="ngram-count", cls=RnnlmCommand)
@click.option(*flag_names("order"), "order", type=click.IntRange(1), default=3, show_default=True,
              help="maximal n-gram order")
@click.option(*flag_names("text"), "text", metavar="TEXT",
              help="count n-grams in this text (one sentence per line; - = stdin; .gz)")
@click.option(*flag_names("read"), "read", metavar="COUNTS", multiple=True,
              help="read an SRILM count file instead of text (repeat to merge several)")
@click.option(*flag_names("write"), "write", metavar="FILE", help="write all counts")
@click.option(*flag_names("write-order"), "write_order", type=click.IntRange(0), default=0,
              help="with -write: write only this order")
@click.option(*flag_names("sort"), "sort", is_flag=True,
              help="sort counts lexicographically (our count files are always sorted)")
@click.option(*flag_names("lm"), "lm", metavar="ARPA", help="estimate a backoff LM and write it")
@click.option(*flag_names("prune"), "prune", type=click.FloatRange(0), default=0.0,
              help="entropy pruning of the LM: drop n-grams whose removal raises its "
                   "perplexity by less than this fraction (SRILM's -prune; 0: none)")
@click.option(*flag_names("minprune"), "minprune", type=click.IntRange(1), default=2,
              show_default=True, help="with -prune: prune only n-grams of this order and up")
@click.option(*flag_names("memory"), "memory", metavar="SIZE",
              help="bounded memory: hold about SIZE of counts at a time (800M, 2G, 20%% of "
                   "the physical memory) and keep the rest in -temp-dir")
@click.option(*flag_names("temp-dir"), "temp_dir", metavar="DIR",
              help="with -memory, -threads or -dask: where the counts wait (default: the "
                   "system's temp folder; with -dask on several machines, a folder they all "
                   "see)")
@click.option(*flag_names("threads"), "threads", type=click.IntRange(1), default=1,
              show_default=True,
              help="worker processes for counting and estimating (the partitioned path "
                   "of -memory, which is then the budget per process; default 1G)")
@click.option(*flag_names("dask"), "dask", metavar="ADDRESS",
              help="count and estimate on a Dask cluster: a scheduler address "
                   "(tcp://host:8786) or local:N for N worker processes here "
                   "(pip install 'rnnlm[dask]'); -memory is then the budget per task "
                   "(default 1G)")
@click.option(*flag_names("vocab"), "vocab", metavar="FILE",
              help="closed vocabulary: other words become the unknown word")
@click.option(*flag_names("limit-vocab"), "limit_vocab", is_flag=True,
              help="with -read and -vocab: drop counts containing other words")
@click.option(*flag_names("write-vocab"), "write_vocab", metavar="FILE",
              help="write the vocabulary, one word per line, sorted")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="open vocabulary: keep <unk> as a real word")
@click.option(*flag_names("map-unk"), "map_unk", metavar="WORD", default="<unk>",
              show_default=True, help="name of the unknown-word token")
@click.option(*flag_names("tolower"), "tolower", is_flag=True, help="map words to lowercase")
@click.option(*flag_names("cdiscount"), "cdiscount", type=float,
              help="absolute discounting with this constant D (-cdiscountN D: order N)")
@click.option(*flag_names("gtmin"), "gtmin", type=click.IntRange(0),
              help="minimum count for orders above 9 (-gtNmin C: order N; defaults "
                   "1 1 2 2 ...: singleton 3-grams and up are dropped)")
@click.option(*flag_names("gtmax"), "gtmax", type=click.IntRange(0),
              help="Good-Turing maximum count for orders above 9 (-gtNmax C: order N; "
                   "defaults 1 for unigrams, 7 otherwise)")
@click.option(*flag_names("discount-fallback"), "discount_fallback", is_flag=True,
              help="when Kneser-Ney discounts cannot be estimated use D1=0.5 D2=1 D3+=1.5 "
                   "(KenLM's fallback) instead of failing")
@_per_order_options
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help="no warnings on stderr")
def ngram_count(**options):
    """Count n-grams and estimate backoff LMs as SRILM's ngram-count does."""
    from .locking import writer_locks

    quiet = options.pop("quiet")
    encoding = chosen_encoding()
    if bool(options["text"]) == bool(options["read"]):
        raise ConfigError("give one of -text or -read")
    if options["dask"] and options["threads"] > 1:
        raise ConfigError("-threads and -dask do not go together: -dask local:N runs N "
                          "workers")
    partitioned = options["memory"] or options["dask"] or options["threads"] > 1
    if options["temp_dir"] and not partitioned:
        raise ConfigError("-temp-dir goes with -memory, -threads or -dask")
    if partitioned:
        from .ngram.bounded import parse_budget
        options["memory"] = parse_budget(options["memory"] or TASK_MEMORY)
        if options["dask"]:
            from .ngram.dask_backend import parse_address
            parse_address(options["dask"])
    outputs = {f"-write{k}": options[f"write{k}"] for k in ORDERS}
    outputs.update({"-lm": options["lm"], "-write-vocab": options["write_vocab"],
                    "-write": options["write"]})
    smoothing = _smoothing_settings(options) if options["lm"] else None   # checked before reading
    with writer_locks(outputs):      # before any input is read: one writer per file
        _count_and_write(options, smoothing, encoding, quiet)


def _count_and_write(options: dict, smoothing, encoding, quiet: bool):
    from .fileio import text_output
    from .ngram.pipeline import SmoothingConfig
    from .ngram.vocab import NgramVocab

    vocab = NgramVocab(unk_is_word=options["unk"], unk_token=options["map_unk"],
                       to_lower=options["tolower"])
    if options["vocab"]:
        vocab.read_vocab_file(options["vocab"], encoding)
    prune = None
    if options["prune"]:
        from .ngram.prune import prune as prune_model

        def prune(model):
            return prune_model(model, options["prune"], options["minprune"])
    with _counted(options, vocab, encoding) as counted:
        written = False
        for k in ORDERS:
            if options[f"write{k}"]:
                with text_output(options[f"write{k}"], encoding) as handle:
                    counted.write_counts(handle, k)
                written = True
        if options["lm"]:
            with text_output(options["lm"], encoding) as handle:
                notes = counted.write_lm(handle, SmoothingConfig(**smoothing), prune)
            if not quiet:
                for note in notes:
                    click.echo(note, err=True)
            written = True
        if options["write_vocab"]:
            with text_output(options["write_vocab"], encoding) as handle:
                handle.write("".join(w + "\n" for w in sorted(vocab.words)))
            written = True
        if options["write"] or not written:
            with text_output(options["write"] or "-", encoding) as handle:
                counted.write_counts(handle, options["write_order"])


@contextlib.contextmanager
def _counted(options: dict, vocab, encoding):
    """The counts of the input: whole tables in memory, or (-memory, -threads, -dask)
    partitions in a work folder."""
    if not options["memory"]:
        from .ngram.counts import count_text, read_counts
        if options["text"]:
            yield _Tables(count_text(options["text"], vocab, options["order"], encoding))
        else:
            yield _Tables(read_counts(options["read"], vocab, options["order"],
                                      options["limit_vocab"], encoding))
        return
    from .ngram.bounded import Plan, count_in_partitions, work_folder
    from .ngram.pipeline import SmoothingConfig
    from .ngram.rows import FolderStore
    with work_folder(options["temp_dir"]) as folder, _stage_runner(options) as run:
        plan = Plan.for_budget(options["memory"])
        sources = {"text": options["text"], "read": options["read"],
                   "limit_vocab": options["limit_vocab"]}
        job = count_in_partitions(sources, vocab, options["order"], SmoothingConfig(), plan,
                                  FolderStore(folder), encoding, run,
                                  getattr(run, "workers", 0))
        yield _Partitions(job, run)


class _Tables:
    """Count tables of the whole input, in memory."""

    def __init__(self, counts):
        self.counts = counts

    def write_counts(self, handle, only_order: int):
        from .ngram.counts import write_counts
        write_counts(self.counts, handle, only_order)

    def write_lm(self, handle, config, prune) -> list[str]:
        from .ngram.arpa import write_arpa
        from .ngram.pipeline import estimate_backoff_model
        model, notes = estimate_backoff_model(self.counts, config)
        write_arpa(prune(model) if prune else model, handle)
        return notes


class _Partitions:
    """Counts in partitions of a work folder, written and estimated a partition at a time."""

    def __init__(self, job, run):
        self.job, self.run = job, run

    def write_counts(self, handle, only_order: int):
        from .ngram.bounded import write_counts_partitioned
        write_counts_partitioned(self.job, handle, only_order, self.run)

    def write_lm(self, handle, config, prune) -> list[str]:
        from .ngram.bounded import estimate_model
        self.job.config = config
        return estimate_model(self.job, handle, self.run, prune)


@contextlib.contextmanager
def _stage_runner(options: dict):
    """Run the stages here one after another, in -threads processes, or on Dask."""
    from .ngram.runners import ProcessRun, sequential
    if options["dask"]:
        from .ngram.dask_backend import dask_run
        with dask_run(options["dask"]) as run:
            yield run
    else:
        yield ProcessRun(options["threads"]) if options["threads"] > 1 else sequential


def _smoothing_settings(options: dict) -> dict:
    """SmoothingConfig's fields from the options, checked; plain dicts, so that a bad
    value is refused before NumPy and Numba load."""
    def collect(name, value_of_plain):
        values = {0: value_of_plain} if options.get(name) not in (None, False) else {}
        for k in ORDERS:
            if options.get(f"{name}{k}") not in (None, False):
                values[k] = options[f"{name}{k}"]
        return values

    settings = {
        "gtmin": {k: options[f"gt{k}min"] for k in ORDERS if options[f"gt{k}min"] is not None},
        "gtmax": {k: options[f"gt{k}max"] for k in ORDERS if options[f"gt{k}max"] is not None},
        "discount_fallback": options["discount_fallback"]}
    if options["gtmin"] is not None:
        settings["gtmin"][0] = options["gtmin"]
    if options["gtmax"] is not None:
        settings["gtmax"][0] = options["gtmax"]
    for name in METHOD_FLAGS:
        settings[name] = collect(name, True)
    settings["cdiscount"] = collect("cdiscount", options["cdiscount"])
    for value in settings["cdiscount"].values():
        if not 0.0 <= value <= 1.0:
            raise ConfigError("-cdiscount must be between 0 and 1")
    return settings


@click.command(name="ngram-prune", cls=RnnlmCommand)
@click.option(*flag_names("lm"), "lm", metavar="ARPA", required=True,
              help="the backoff model to prune (ARPA; .gz; - = stdin)")
@click.option(*flag_names("prune"), "prune", type=click.FloatRange(0, min_open=True),
              required=True, help="drop n-grams whose removal raises the model's perplexity "
                                  "by less than this fraction (SRILM's -prune)")
@click.option(*flag_names("minprune"), "minprune", type=click.IntRange(1), default=2,
              show_default=True, help="prune only n-grams of this order and up")
@click.option(*flag_names("write-lm"), "write_lm", metavar="ARPA", default="-",
              show_default=True, help="where to write the pruned model (.gz compresses)")
@click.option(*flag_names("order"), "order", type=click.IntRange(0), default=0,
              help="read n-grams up to this order only (0: all)")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="open vocabulary: keep the unknown word's n-grams (SRILM's -unk)")
@encoding_options
def ngram_prune(**options):
    """Entropy-prune an existing ARPA backoff model (SRILM's ngram -prune -write-lm)."""
    from .ngram.prune import prune_file
    prune_file(options["lm"], options["write_lm"], options["prune"], options["minprune"],
               options["order"], options["unk"], chosen_encoding())


@click.command(name="ngram-mix", cls=RnnlmCommand)
@click.option(*flag_names("lm"), "lm", metavar="ARPA", required=True,
              help="the main backoff model (ARPA; .gz; - = stdin)")
@click.option(*flag_names("mix-lm"), "mix_lm", metavar="ARPA", required=True,
              help="the backoff model to interpolate it with")
@click.option(*flag_names("lambda"), "weight", type=click.FloatRange(0, 1), default=0.5,
              show_default=True, help="weight of the main model (SRILM's -lambda)")
@click.option(*flag_names("write-lm"), "write_lm", metavar="ARPA", default="-",
              show_default=True, help="where to write the mixed model (.gz compresses)")
@click.option(*flag_names("order"), "order", type=click.IntRange(0), default=0,
              help="read n-grams up to this order only (0: all; SRILM's ngram reads 3 "
                   "unless told)")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="open vocabulary: keep the unknown word's n-grams (SRILM's -unk)")
@encoding_options
def ngram_mix(**options):
    """Interpolate two ARPA backoff models into one (SRILM's ngram -mix-lm -write-lm):
    every n-gram of either, weighted, backoff weights recomputed."""
    from .ngram.mix import mix_files
    mix_files(options["lm"], options["mix_lm"], options["weight"], options["write_lm"],
              options["order"], options["unk"], chosen_encoding())


@click.command(name="ngram-approx", cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="the RNN model to approximate")
@click.option(*flag_names("lm"), "lm", required=True, metavar="ARPA",
              help="where to write the n-gram model (.gz compresses)")
@click.option(*flag_names("words"), "words", type=click.IntRange(1), required=True,
              help="tokens to sample from the RNN (</s> included)")
@click.option(*flag_names("order"), "order", type=click.IntRange(1), default=5,
              show_default=True, help="n-gram order of the approximation")
@click.option(*flag_names("prune"), "prune", type=click.FloatRange(0), default=0.0,
              help="entropy-prune the estimated model at this threshold (0: none)")
@click.option(*flag_names("threads"), "threads", type=click.IntRange(1), default=1,
              show_default=True, help="samplers running in parallel, each with its streams")
@click.option(*flag_names("streams"), "streams", type=click.IntRange(1), default=64,
              show_default=True, help="sentences each sampler draws together")
@click.option(*flag_names("seed"), "seed", type=click.IntRange(0), default=1,
              show_default=True, help="seed of the samplers")
@click.option(*flag_names("unk"), "unk", is_flag=True,
              help="keep the model's <unk> as a word of the n-gram model (open vocabulary)")
@click.option(*flag_names("temp-dir"), "temp_dir", metavar="DIR",
              help="where the sampled text is written while it is counted (default: the "
                   "output's folder)")
@click.option(*flag_names("memory"), "memory", metavar="SIZE",
              help="count and estimate in bounded memory, as ngram-count -memory "
                   "(800M, 2G, 20%%; default: all counts in memory)")
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help="no summary on stderr")
def ngram_approx(model_path, lm, words, order, prune, threads, streams, seed, unk, temp_dir,
                 memory, quiet, **_):
    """Approximate an RNN model by a backoff n-gram model: sample text from it, estimate
    modified Kneser-Ney on the sample, optionally prune (for first-pass decoders)."""
    import os
    from .approx import ApproxConfig, approximate
    if temp_dir and not os.path.isdir(temp_dir):
        raise ConfigError(f"-temp-dir {temp_dir}: no such folder")
    budget = 0
    if memory:
        from .ngram.bounded import parse_budget
        budget = parse_budget(memory)
    report = approximate(model_path, lm, ApproxConfig(words, order, prune, threads, streams,
                                                      seed, unk, budget),
                         temp_dir, chosen_encoding())
    if not quiet:
        click.echo(f"sampled {report['sentences']} sentences ({words} tokens); n-grams: "
                   + " ".join(f"{k}={n}" for k, n in enumerate(report["ngrams"], 1)), err=True)

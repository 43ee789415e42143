"""``rnnlm lattice-rescore``: options to LatticeOptions, lattices through
rnnlm_cli.lattice_search, one result per lattice in input order."""
from __future__ import annotations

import json

import click

from .config import RescoreOptions
from .options import (RnnlmCommand, chosen_encoding, encoding_options, flag_names,
                      rescoring_lm_options)

OUTPUTS = ("best", "nbest", "lattice")


@click.command(name="lattice-rescore", cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="RNN model file")
@click.option(*flag_names("lattice"), "lattice_path", metavar="FILE",
              help="lattices (- = stdin; .gz allowed), one or more in the file")
@click.option(*flag_names("lattice-list"), "lattice_list", metavar="LIST",
              help="a file naming lattice files, one per line (relative to its folder)")
@click.option(*flag_names("lattice-format"), "fmt", type=click.Choice(["auto", "kaldi", "slf"]),
              default="auto", show_default=True,
              help="Kaldi text lattices (ark,t) or HTK SLF; auto tells them apart")
@click.option(*flag_names("words"), "words_path", metavar="FILE",
              help="Kaldi's words.txt symbol table (needed for Kaldi lattices)")
@rescoring_lm_options
@click.option(*flag_names("ac-scale"), "ac_scale", type=float,
              help="A, weight of the acoustic log-likelihood [default: SLF acscale, else 1; "
                   "Kaldi lattices 0.1]")
@click.option(*flag_names("lm-scale"), "lm_scale", type=float,
              help="S, weight of the new LM's ln P [default: SLF lmscale, else 1]")
@click.option(*flag_names("word-penalty"), "word_penalty", type=float,
              help="P, added per word [default: SLF wdpenalty, else 0]")
@click.option(*flag_names("old-lm-weight"), "old_lm_weight", type=float, default=0.0,
              show_default=True, help="W, weight of the lattice's own LM score (0 replaces "
                                      "it; -1 with -lm-scale 1 subtracts it)")
@click.option(*flag_names("recombination-order"), "recombination_order",
              type=click.IntRange(0), default=4, show_default=True,
              help="tokens at a node whose last N words agree merge (the best kept)")
@click.option(*flag_names("beam"), "beam", type=click.FloatRange(0), default=0.0,
              show_default=True, help="drop tokens this far below a node's best (0: no beam)")
@click.option(*flag_names("max-tokens"), "max_tokens", type=click.IntRange(0), default=4,
              show_default=True, help="keep at most this many tokens a node, the best (0: no "
                                      "limit)")
@click.option(*flag_names("output"), "output", type=click.Choice(OUTPUTS), default="best",
              show_default=True, help="best: 'UTT words' a lattice; nbest: JSON lines of the "
              "-nbest-size best distinct sentences; lattice: the expanded, rescored lattice "
              "in the input format")
@click.option(*flag_names("nbest-size"), "nbest_size", type=click.IntRange(1), default=10,
              show_default=True, help="sentences a lattice with -output nbest")
@click.option(*flag_names("threads"), "threads", type=click.IntRange(1), default=1,
              show_default=True, help="lattices rescored at once (output order is kept)")
@click.option(*flag_names("out"), "out_path", default="-", show_default=True, metavar="PATH",
              help="output file (written whole, or not at all)")
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True, help="no progress bar on stderr")
def lattice_rescore(model_path, lattice_path, lattice_list, fmt, words_path, ac_scale,
                    lm_scale, word_penalty, old_lm_weight, recombination_order, beam,
                    max_tokens, output, nbest_size, threads, out_path, quiet, lm_path, lam,
                    oov_penalty, unnormalised):
    """Rescore word lattices (Kaldi or HTK SLF) with an RNN model by token passing."""
    from .errors import ConfigError
    from .locking import writer_lock

    if bool(lattice_path) == bool(lattice_list):
        raise ConfigError("give one of -lattice FILE or -lattice-list LIST")
    click.get_current_context().with_resource(writer_lock(out_path, "-out"))
    encoding = chosen_encoding()
    from .fileio import text_output
    from .formats import lattices as formats
    from .formats.lattice_kaldi import read_symbols
    from .interop import load_model
    from .lattice_search import LatticeOptions, rescore_lattices
    from .progress import WordProgress

    symbols = read_symbols(words_path, encoding) if words_path else None
    paths = formats.list_paths(lattice_list, encoding) if lattice_list else [lattice_path]
    model = load_model(model_path)
    if unnormalised:
        model.network = model.network.with_unnormalised_scores()
    ngram = None
    if lm_path:
        from .ngram.arpa import read_arpa
        ngram = read_arpa(lm_path, encoding=encoding)
    options = LatticeOptions(ac_scale, lm_scale, word_penalty, old_lm_weight,
                             recombination_order, beam, max_tokens, nbest_size,
                             RescoreOptions(oov_penalty=oov_penalty, lam=lam, ngram=ngram))
    lattices = formats.read(paths, fmt, symbols, encoding)
    word_ids = {word: i for i, word in symbols.items()} if symbols else None
    with text_output(out_path, encoding) as out, \
            WordProgress(quiet or lattice_path == "-", unit="lattices") as progress:
        progress.start("rescoring", None)
        for done, result in enumerate(rescore_lattices(model, lattices, options,
                                                       output == "lattice", threads), 1):
            if output == "lattice":
                formats.write(result.lattice, out, word_ids)
            elif output == "nbest":
                out.write("".join(json.dumps({
                    "utt": result.name, "rank": rank, "words": " ".join(hyp.words),
                    "total": round(hyp.total, 6), "acoustic": round(hyp.acoustic, 6),
                    "old_lm": round(hyp.old_lm, 6), "lm": round(hyp.lm, 6)}) + "\n"
                    for rank, hyp in enumerate(result.hypotheses, 1)))
            else:
                best = result.hypotheses[0].words if result.hypotheses else []
                out.write(f"{result.name} {' '.join(best)}".rstrip() + "\n")
            progress.update(done, None)

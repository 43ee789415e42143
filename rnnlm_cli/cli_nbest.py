"""``rnnlm nbest-rescore``: parse options, stream lists through rnnlm_cli.nbest, print."""
from __future__ import annotations

import sys

import click

from .config import RescoreOptions
from .device import scoring_exp
from .options import (RnnlmCommand, chosen_encoding, device_option, encoding_options,
                      exp_option, flag_names, rescoring_lm_options)


@click.command(name="nbest-rescore", cls=RnnlmCommand)
@click.option(*flag_names("rnnlm"), "model_path", required=True, metavar="MODEL",
              help="RNN model file")
@click.option(*flag_names("nbest"), "nbest_path", metavar="FILE",
              help="N-best lists (- = stdin); the format is detected unless -nbest-format")
@click.option(*flag_names("nbest-files"), "nbest_files", metavar="LIST",
              help="a file naming SRILM N-best files, one list per file")
@click.option(*flag_names("nbest-format"), "fmt",
              type=click.Choice(["auto", "rnnlm", "kaldi", "srilm", "moses"]), default="auto",
              show_default=True, help="input format")
@click.option(*flag_names("ac-cost"), "ac_cost", metavar="FILE",
              help="acoustic costs of Kaldi or rnnlm lists, '<utt>-<k> <cost>' (negated "
                   "natural log; the k-th hypothesis of list U is U-k)")
@click.option(*flag_names("lm-cost"), "lm_cost", metavar="FILE",
              help="old LM (graph) costs, as -ac-cost")
@click.option(*flag_names("output"), "output",
              type=click.Choice(["scores", "annotated", "best"]), default="scores",
              show_default=True, help="scores: one log10 RNN score per hypothesis; annotated: "
              "the input in its format with the new score (Moses feature RNNLM0=, SRILM LM "
              "column, Kaldi cost file); best: the reranked 1-best of each list")
@click.option(*flag_names("ac-scale"), "ac_scale", type=float, default=1.0, show_default=True,
              help="with -output best: weight of the acoustic score")
@click.option(*flag_names("lm-weight"), "lm_weight", type=float, default=0.0, show_default=True,
              help="with -output best: weight of the old LM score")
@click.option(*flag_names("rnn-weight"), "rnn_weight", type=float, default=1.0,
              show_default=True, help="with -output best: weight of the new score")
@click.option(*flag_names("word-penalty"), "word_penalty", type=float, default=0.0,
              show_default=True, help="with -output best: added per word")
@click.option(*flag_names("lm-prob"), "lm_prob", metavar="FILE",
              help="probabilities of another LM, one per token of the lists (words and "
                   "</s>), rnnlm's -lm-prob")
@rescoring_lm_options
@click.option(*flag_names("carry-over"), "carry_over", is_flag=True,
              help="rnnlm's mode: a list starts from the state after the previous list's "
                   "first hypothesis (default: every hypothesis independently)")
@click.option(*flag_names("threads"), "threads", type=click.IntRange(1),
              default=RescoreOptions.threads,
              show_default=True, help="score batches of lists on this many workers, "
                                      "forked processes sharing the model "
                                      "(output order is kept)")
@click.option(*flag_names("batch"), "batch", type=click.IntRange(1),
              default=RescoreOptions.batch_hypotheses,
              show_default=True, help="hypotheses scored together")
@exp_option
@device_option
@encoding_options
@click.option(*flag_names("quiet", "-q"), is_flag=True,
              help="no progress bar or messages on stderr")
def nbest_rescore(model_path, nbest_path, nbest_files, fmt, ac_cost, lm_cost, output, ac_scale,
                  lm_weight, rnn_weight, word_penalty, lm_path, lm_prob, lam, oov_penalty,
                  unnormalised, carry_over, threads, batch, exp, device, quiet):
    """Rescore N-best lists with an RNN model (optionally interpolated with an n-gram model)."""
    from .errors import ConfigError
    from .formats import nbest as formats

    encoding = chosen_encoding()
    if bool(nbest_path) == bool(nbest_files):
        raise ConfigError("give one of -nbest FILE or -nbest-files LIST")
    if lm_path and lm_prob:
        raise ConfigError("give one of -lm ARPA or -lm-prob FILE")
    if device == "cuda" and carry_over:
        raise ConfigError("--device cuda scores hypotheses independently; -carry-over is "
                          "CPU-only")
    if nbest_files:
        fmt = "srilm"
    elif fmt == "auto":
        fmt = "rnnlm" if nbest_path == "-" else formats.detect(nbest_path, encoding)
    if (ac_cost or lm_cost) and fmt not in ("rnnlm", "kaldi"):
        raise ConfigError(f"-ac-cost and -lm-cost go with rnnlm or Kaldi lists; {fmt} lists "
                          "carry their own scores")
    from .interop import load_model
    from .nbest import Rescorer, best_hypothesis, split_scores
    from .progress import WordProgress

    other_probs = None
    if lm_prob:
        from .interpolate import probabilities_from_file
        other_probs = probabilities_from_file(lm_prob, None, encoding)
    model = load_model(model_path, scoring_exp(device, exp))
    if unnormalised:
        model.network = model.network.with_unnormalised_scores()
    if device == "cuda":
        threads = 1
    ngram = None
    if lm_path:
        from .ngram.arpa import read_arpa
        ngram = read_arpa(lm_path, encoding=encoding)
    if nbest_files:
        from .textio import text_lines
        paths = [line.strip() for _, line in text_lines(nbest_files, encoding) if line.strip()]
        lists = (formats.read_srilm(path, path, encoding) for path in paths)
    else:
        lists = formats.read_lists(nbest_path, fmt,
                                   formats.read_costs(ac_cost, encoding) if ac_cost else None,
                                   formats.read_costs(lm_cost, encoding) if lm_cost else None,
                                   encoding)
    rescorer = Rescorer(model, RescoreOptions(carry_over, oov_penalty, lam, ngram, other_probs,
                                              batch, threads, device))
    out = sys.stdout
    done = 0
    with WordProgress(quiet or nbest_path == "-", unit="hyps") as progress:
        progress.start("rescoring", None)
        for batch, scores in rescorer.rescore_batches(lists):
            if output == "best":
                for nbest, list_scores in split_scores(batch, scores):
                    best = best_hypothesis(nbest, list_scores, ac_scale, lm_weight, rnn_weight,
                                           word_penalty)
                    out.write(f"{nbest.key} {' '.join(nbest.hyps[best].words)}".rstrip() + "\n")
            elif output == "annotated":
                hyps = [(nbest.key, hyp) for nbest in batch for hyp in nbest.hyps]
                out.write("".join(formats.annotate(fmt, key, hyp, score) + "\n"
                                  for (key, hyp), score in zip(hyps, scores)))
            else:
                out.write("".join(f"{score:f}\n" for score in scores))
            done += len(scores)
            progress.update(done, None)
            out.flush()

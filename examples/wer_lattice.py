#!/usr/bin/env python3
"""Word error rate of lattice rescoring against rescoring the lattices' own N-best lists;
prints JSON.

    python examples/make_lattices.py --text ptb.valid.txt --vocab-from ptb.train.txt \
        --max-sentences 200 --out work/dev
    python examples/make_lattices.py --text ptb.test.txt --vocab-from ptb.train.txt \
        --max-sentences 200 --out work/test --seed 2
    python examples/wer_lattice.py --rnnlm ptb.rnn --lm kn5.arpa --dev work/dev \
        --test work/test

Systems, each scoring a path as acoustic + S * ln P + P * #words (natural log):
  lattice 1-best      acoustic + the lattice's own LM (no rescoring)
  N-best, RNN         the lattices' N-best lists rescored by the RNN (nbest-rescore's
                      scores), the best by the formula
  lattice, RNN        rnnlm lattice-rescore with the RNN
  lattice, KN5        rnnlm lattice-rescore with the n-gram alone (-lm, -lambda 0)
S and P are chosen on the dev lattices (a grid) and the WER is measured on the test
lattices.  Timings are the test set's, at the chosen S and P, in this process
(the model loaded once).
"""
import argparse
import json
import math
import os
import resource
import time

# One BLAS thread, as the rnnlm command sets it: the search's many small products are
# several times slower when BLAS wakes a second thread for each (before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

from rnnlm_cli.api import load
from rnnlm_cli.config import RescoreOptions
from rnnlm_cli.formats import lattice_slf
from rnnlm_cli.formats.nbest import read_costs, read_lists
from rnnlm_cli.lattice_search import LatticeOptions, rescore_lattices
from rnnlm_cli.ngram.arpa import read_arpa
from wer_nbest import edit_distance

LN10 = math.log(10.0)
GRID = [(s, p) for s in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0) for p in (-1.0, 0.0, 1.0, 2.0)]


def error_rate(best: dict, refs: dict) -> float:
    errors = sum(edit_distance(best.get(utt, []), ref) for utt, ref in refs.items())
    return 100.0 * errors / sum(len(ref) for ref in refs.values())


def references(prefix: str) -> dict:
    return {line.split()[0]: line.split()[1:] for line in open(prefix + ".nbest.ref")}


class LatticeSystem:
    def __init__(self, model, ngram, lam, search: dict):
        self.model, self.ngram, self.lam, self.search = model, ngram, lam, search

    def best(self, lattices, scale, penalty):
        options = LatticeOptions(ac_scale=1.0, lm_scale=scale, word_penalty=penalty,
                                 rescore=RescoreOptions(lam=self.lam, ngram=self.ngram),
                                 **self.search)
        return {r.name: r.hypotheses[0].words
                for r in rescore_lattices(self.model, lattices, options)}


class NbestSystem:
    def __init__(self, model):
        self.model = model

    def prepare(self, prefix):
        lists = list(read_lists(prefix + ".nbest", "rnnlm", read_costs(prefix + ".nbest.ac")))
        scores = self.model.rescore(lists)
        return lists, scores

    @staticmethod
    def best(prepared, scale, penalty):
        lists, scores = prepared
        chosen = {}
        for nbest, lm in zip(lists, scores):
            totals = [hyp.acoustic * LN10 + scale * LN10 * score + penalty * len(hyp.words)
                      for hyp, score in zip(nbest.hyps, lm)]
            chosen[nbest.key] = nbest.hyps[int(np.argmax(totals))].words
        return chosen


def tuned(best_at, dev, test, refs_dev, refs_test):
    """(dev WER, test WER, S, P, test seconds) with S and P chosen on dev."""
    dev_wer = {point: error_rate(best_at(dev, *point), refs_dev) for point in GRID}
    point = min(GRID, key=dev_wer.get)
    started = time.perf_counter()
    test_best = best_at(test, *point)
    seconds = time.perf_counter() - started
    return {"dev_wer": round(dev_wer[point], 2), "test_wer": round(error_rate(test_best,
                                                                             refs_test), 2),
            "lm_scale": point[0], "word_penalty": point[1], "test_seconds": round(seconds, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rnnlm", required=True)
    parser.add_argument("--lm", required=True, help="ARPA n-gram model (KN5)")
    parser.add_argument("--dev", required=True, help="prefix written by make_lattices.py")
    parser.add_argument("--test", required=True, help="prefix written by make_lattices.py")
    parser.add_argument("--recombination-order", type=int,
                        default=LatticeOptions.recombination_order)
    parser.add_argument("--beam", type=float, default=LatticeOptions.beam)
    parser.add_argument("--max-tokens", type=int, default=LatticeOptions.max_tokens)
    args = parser.parse_args()
    search = {"recombination_order": args.recombination_order, "beam": args.beam,
              "max_tokens": args.max_tokens}
    model = load(args.rnnlm)
    lattices = {part: list(lattice_slf.read(prefix + ".slf"))
                for part, prefix in (("dev", args.dev), ("test", args.test))}
    refs = {"dev": references(args.dev), "test": references(args.test)}
    arcs = sum(len(lattice.arcs) for lattice in lattices["test"])
    result = {"test_lattices": len(lattices["test"]), "test_arcs": arcs, "search": search}
    first = {part: {r.name: r.hypotheses[0].words for r in rescore_lattices(
        model, lattices[part], LatticeOptions(ac_scale=1.0, lm_scale=0.0, old_lm_weight=1.0,
                                              word_penalty=0.0, recombination_order=0))}
        for part in lattices}         # order 0: the lattice's own scores need no history
    result["lattice 1-best (acoustic + lattice LM)"] = {
        "test_wer": round(error_rate(first["test"], refs["test"]), 2)}
    nbest = NbestSystem(model)
    prepared = {}

    def nbest_best(part_name, scale, penalty):
        if part_name not in prepared:
            prefix = args.dev if part_name == "dev" else args.test
            started = time.perf_counter()
            prepared[part_name] = (nbest.prepare(prefix), time.perf_counter() - started)
        return NbestSystem.best(prepared[part_name][0], scale, penalty)
    row = tuned(nbest_best, "dev", "test", refs["dev"], refs["test"])
    row["test_seconds"] = round(prepared["test"][1], 2)      # the rescoring itself
    result["N-best, RNN"] = row
    ngram = read_arpa(args.lm)
    for name, system in (("lattice, RNN", LatticeSystem(model, None, 1.0, search)),
                         ("lattice, KN5", LatticeSystem(model, ngram, 0.0, search))):
        result[name] = tuned(lambda part, s, p: system.best(lattices[part], s, p), "dev",
                             "test", refs["dev"], refs["test"])
    rnn = result["lattice, RNN"]["test_seconds"]
    result["lattice, RNN"]["lattices_per_second"] = round(len(lattices["test"]) / rnn, 1)
    result["lattice, RNN"]["arcs_per_second"] = round(arcs / rnn)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

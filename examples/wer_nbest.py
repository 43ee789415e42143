#!/usr/bin/env python3
"""Word error rate of N-best rescoring: acoustic only, KN5, RNN, RNN+KN5; prints JSON.

    python examples/make_nbest.py --text ptb.valid.txt --vocab-from ptb.train.txt --out dev.nbest
    python examples/make_nbest.py --text ptb.test.txt --vocab-from ptb.train.txt --out test.nbest
    python examples/wer_nbest.py --rnnlm ptb.rnn --lm kn5.arpa --dev dev.nbest --test test.nbest

LM scores come from `rnnlm nbest-rescore` (the n-gram alone is -lm with
-lambda 0).  For each system the LM weight w and the word insertion penalty p
in ac + w*lm + p*words are chosen on the dev lists (a grid) and the WER is
measured on the test lists.  (Without the penalty an LM prefers hypotheses
with deleted words, which are shorter.)  --rescore-options passes options on to
every nbest-rescore (e.g. "-nce-unnormalized" for an NCE model's self-normalised
scores).
"""
import argparse
import json
import math
import subprocess

import numpy as np


def lm_scores(nbest, model, lm, lam, options=()):
    command = ["rnnlm", "nbest-rescore", "-nbest", nbest, "-q", "-rnnlm", model, *options]
    if lm is not None:
        command += ["-lm", lm, "-lambda", str(lam)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return np.array([float(x) for x in out.split()])


def load(nbest):
    lists, ids = [], []
    for line in open(nbest):
        fields = line.split()
        if not ids or fields[0] != ids[-1]:
            lists.append([])
            ids.append(fields[0])
        lists[-1].append(fields[1:])
    acoustic = np.array([-float(line.split()[1]) / math.log(10) for line in open(nbest + ".ac")])
    refs = [line.split()[1:] for line in open(nbest + ".ref")]
    return lists, acoustic, refs


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def wer(lists, acoustic, refs, lm, weight, penalty=0.0):
    errors = words = at = 0
    for hyps, ref in zip(lists, refs):
        lengths = np.array([len(h) for h in hyps])
        total = acoustic[at:at + len(hyps)] + weight * lm[at:at + len(hyps)] + penalty * lengths
        best = hyps[int(np.argmax(total))]
        errors += edit_distance(best, ref)
        words += len(ref)
        at += len(hyps)
    return errors / words


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rnnlm", required=True)
    parser.add_argument("--lm", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--lambdas", default="0.5,0.75,0.9",
                        help="RNN weights in the RNN+KN5 interpolation, chosen on dev")
    parser.add_argument("--rescore-options", default="",
                        help="more nbest-rescore options, one string (-nce-unnormalized)")
    parser.add_argument("--systems", default="",
                        help="comma-separated systems to run (e.g. 'RNN'); default all")
    args = parser.parse_args()
    data = {name: load(path) for name, path in (("dev", args.dev), ("test", args.test))}
    systems = {"acoustic only": None, "KN5": (args.lm, 0.0), "RNN": (None, None)}
    lambdas = {}
    for lam in args.lambdas.split(","):
        systems[f"RNN+KN5 (lambda {lam})"] = (args.lm, float(lam))
        lambdas[f"RNN+KN5 (lambda {lam})"] = float(lam)
    if args.systems:
        systems = {name: setting for name, setting in systems.items()
                   if name in args.systems.split(",")}
    result = {}
    for name, setting in systems.items():
        if setting is None:
            result[name] = {"weight": 0, "test_wer": round(100 * wer(
                *data["test"], np.zeros_like(data["test"][1]), 0), 2)}
            continue
        options = args.rescore_options.split() if setting[0] is None or setting[1] else []
        scores = {part: lm_scores(getattr(args, part), args.rnnlm, *setting, options)
                  for part in ("dev", "test")}
        grid = [(w, p) for w in (0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8)
                for p in (0, 0.5, 1, 1.5, 2, 3, 4, 6, 8)]
        dev = [wer(*data["dev"], scores["dev"], w, w * p) for w, p in grid]
        weight, penalty = grid[int(np.argmin(dev))]
        result[name] = {"weight": weight, "word_penalty": weight * penalty,
                        "dev_wer": round(100 * min(dev), 2),
                        "test_wer": round(100 * wer(*data["test"], scores["test"], weight,
                                                    weight * penalty), 2)}
    mixes = [name for name in result if name.startswith("RNN+KN5")]
    if mixes:
        best = min(mixes, key=lambda name: result[name]["dev_wer"])
        result["RNN+KN5 (lambda chosen on dev)"] = dict(result[best], chosen=best,
                                                        rnn_lambda=lambdas[best])
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""An RNN model as a first-pass n-gram model on PTB: KN5 on the training text, the
RNN's n-gram approximation (rnnlm ngram-approx), and the two interpolated; prints
one JSON object.

    python examples/ngram_approx.py --ptb ../shared/data/ptb --rnnlm MODEL
        [--words 4000000] [--order 5] [--prune 0] [--threads 2] [--work DIR]

MODEL is any PTB model of ours (e.g. the LSTM of examples/ptb_gated.sh).  KN5 is
ptb_gated.sh's (`-order 5 -kndiscount -interpolate -unk -gt3min 1 -gt4min 1
-gt5min 1`); the approximation samples --words tokens from the RNN and estimates
an open-vocabulary modified Kneser-Ney model of --order on them.  The interpolation
is word by word, P = L P_KN5 + (1 - L) P_approx, with L chosen on ptb.valid on a
0.05 grid; "merged" is the same mixture as one backoff model for a decoder (rnnlm
ngram-mix, SRILM's -mix-lm -write-lm).  Every perplexity is of ptb.test.  Sizes are
n-grams per order and bytes of the gzipped ARPA files.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from rnnlm_cli.ngram.arpa import read_arpa
from rnnlm_cli.ngram.ppl import read_sentences, score_text


def rnnlm(*args):
    done = subprocess.run(["rnnlm", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"ngram_approx: rnnlm {args[0]} failed: {done.stderr.strip()}")
    return done


def log10_probs(model, path):
    """log10 P of every scored token of a text (</s> included, sentence starts not)."""
    _, logp, _, sentence_of, starts = score_text(model, list(read_sentences(path)))
    first = np.zeros(logp.size, bool)
    first[starts] = True
    return logp[~first].astype(np.float64)


def perplexity(log10p):
    return float(10.0 ** -np.mean(log10p))


def mixed(a, b, weight):
    return np.log10(weight * 10.0 ** a + (1 - weight) * 10.0 ** b)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptb", required=True)
    parser.add_argument("--rnnlm", required=True, help="the RNN model to approximate")
    parser.add_argument("--words", type=int, default=4_000_000)
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--prune", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="ngram-approx")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    train, valid, test = (os.path.join(args.ptb, f"ptb.{part}.txt")
                          for part in ("train", "valid", "test"))
    kn5 = os.path.join(args.work, "kn5.arpa.gz")
    rnnlm("ngram-count", "-text", train, "-order", 5, "-kndiscount", "-interpolate", "-unk",
          "-gt3min", 1, "-gt4min", 1, "-gt5min", 1, "-lm", kn5, "-q")
    approx = os.path.join(args.work, "approx.arpa.gz")
    started = time.perf_counter()
    rnnlm("ngram-approx", "-rnnlm", args.rnnlm, "-words", args.words, "-order", args.order,
          "-unk", "-threads", args.threads, "-prune", args.prune, "-lm", approx, "-q")
    approx_seconds = time.perf_counter() - started
    models = {name: read_arpa(path, unk_is_word=True) for name, path in
              (("kn5", kn5), ("approx", approx))}
    scores = {(name, part): log10_probs(model, path) for name, model in models.items()
              for part, path in (("valid", valid), ("test", test))}
    weights = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    best = min(weights, key=lambda w: perplexity(mixed(scores["kn5", "valid"],
                                                       scores["approx", "valid"], w)))
    merged = os.path.join(args.work, "kn5+approx.arpa.gz")   # one file for a decoder
    rnnlm("ngram-mix", "-lm", kn5, "-mix-lm", approx, "-lambda", best, "-unk", "-write-lm",
          merged)
    models["merged"] = read_arpa(merged, unk_is_word=True)
    merged_ppl = perplexity(log10_probs(models["merged"], test))
    print(json.dumps({
        "rnnlm": args.rnnlm, "sampled_tokens": args.words, "order": args.order,
        "prune": args.prune, "approx_seconds": round(approx_seconds, 1),
        "kn5_test_ppl": round(perplexity(scores["kn5", "test"]), 2),
        "approx_test_ppl": round(perplexity(scores["approx", "test"]), 2),
        "interpolated_test_ppl": round(perplexity(mixed(scores["kn5", "test"],
                                                        scores["approx", "test"], best)), 2),
        "merged_test_ppl": round(merged_ppl, 2),
        "kn5_weight": float(best),
        "kn5_ngrams": models["kn5"].counts(), "approx_ngrams": models["approx"].counts(),
        "merged_ngrams": models["merged"].counts(),
        "kn5_bytes": os.path.getsize(kn5), "approx_bytes": os.path.getsize(approx),
        "merged_bytes": os.path.getsize(merged)}))


if __name__ == "__main__":
    main()

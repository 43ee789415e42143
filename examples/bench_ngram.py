#!/usr/bin/env python3
"""Time and measure `rnnlm ngram-count` and `rnnlm eval -lm`; print one JSON object.

    python examples/bench_ngram.py --text ../shared/data/ptb/ptb.train.txt \
        --test ../shared/data/ptb/ptb.test.txt -- -order 5 -kndiscount -interpolate -unk
    python examples/bench_ngram.py --generate 20000000 -- -order 5 -kndiscount -interpolate

--generate N writes an N-word corpus first: a vocabulary of up to a million
words with Zipfian frequencies (exponent 1.1, so that a long tail of words is
seen once or twice, as in real text) and first-order Markov structure (each word
prefers a few successors), sentences of 1-40 words.
Wall time and peak RSS are measured per command (os.wait4).
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def run(command):
    """(stdout, stderr, wall seconds, peak RSS MB) of one command, measured on its own."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench_ngram: {' '.join(command[:2])} failed: {stderr.strip()}")
    return stdout, stderr, round(wall, 2), round(usage.ru_maxrss / 1024, 1)


def markov_chain(successors, fresh, follow, pick):
    """tokens[i] = successors[tokens[i-1], pick[i]] where follow[i], else fresh[i]
    (tokens[0] = fresh[0]): computed a step at a time for all positions at the same
    distance from their chain's fresh start, so that a million tokens take a few
    dozen array operations instead of a Python loop."""
    n = fresh.size
    fresh_at = ~follow
    fresh_at[0] = True
    positions = np.arange(n)
    start = np.maximum.accumulate(np.where(fresh_at, positions, 0))
    distance = positions - start
    tokens = np.where(fresh_at, fresh, 0)
    by_distance = np.argsort(distance, kind="stable")
    bounds = np.searchsorted(distance[by_distance], np.arange(1, distance.max() + 2))
    for step in range(distance.max()):
        at = by_distance[bounds[step]:bounds[step + 1]]
        tokens[at] = successors[tokens[at - 1], pick[at]]
    return tokens


def generate(path, words, seed=1, vocab=1_000_000):
    rng = np.random.default_rng(seed)
    zipf = 1.0 / np.arange(1, vocab + 1) ** 1.1
    zipf /= zipf.sum()
    successors = rng.choice(vocab, size=(vocab, 8), p=zipf)
    with open(path, "w") as handle:
        made = 0
        while made < words:
            n = min(1_000_000, words - made)
            fresh = rng.choice(vocab, size=n, p=zipf)
            follow = rng.random(n) < 0.6
            pick = rng.integers(0, 8, n)
            tokens = markov_chain(successors, fresh, follow, pick)
            lengths = rng.integers(1, 41, n // 10 + 2)
            ends = np.cumsum(lengths)
            ends = ends[ends < n]
            text = np.array([f"w{t}" for t in tokens], dtype=object)
            lines = [" ".join(part) for part in np.split(text, ends)]
            handle.write("\n".join(lines) + "\n")
            made += n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="training text")
    parser.add_argument("--generate", type=int, help="generate a corpus of this many words")
    parser.add_argument("--test", help="text to compute the perplexity of")
    parser.add_argument("options", nargs=argparse.REMAINDER, help="ngram-count options after --")
    args = parser.parse_args()
    options = [o for o in args.options if o != "--"]
    with tempfile.TemporaryDirectory() as tmp:
        text = args.text
        if args.generate:
            text = os.path.join(tmp, "corpus.txt")
            started = time.perf_counter()
            generate(text, args.generate)
            generated = round(time.perf_counter() - started, 1)
        arpa = os.path.join(tmp, "model.arpa")
        _, _, wall, rss = run(["rnnlm", "ngram-count", "-text", text, "-lm", arpa, "-q",
                               *options])
        with open(arpa) as handle:
            head = handle.read(400)
        result = {
            "text": args.text or f"generated {args.generate} words",
            "options": " ".join(options),
            "ngrams": {int(k): int(n) for k, n in re.findall(r"ngram (\d+)=(\d+)", head)},
            "ngram_count_wall_seconds": wall, "ngram_count_peak_rss_mb": rss,
            "arpa_mb": round(os.path.getsize(arpa) / 2**20, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        }
        if args.generate:
            result["generation_seconds"] = generated
        if args.test:
            order = re.search(r"-order (\d+)", " ".join(options))
            unk = ["-unk"] if "-unk" in options else []
            out, _, wall, rss = run(["rnnlm", "eval", "-lm", arpa, "-ppl", args.test, *unk,
                                     *(["-order", order.group(1)] if order else [])])
            result.update(eval_wall_seconds=wall, eval_peak_rss_mb=rss,
                          ppl=float(re.search(r"ppl= ([0-9.e+]+)", out).group(1)),
                          ppl_line=out.strip().splitlines()[-1])
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Training speed and memory of the output layers on a large vocabulary; one JSON line
per output layer.

    python examples/bench_vocab.py --vocab 300000 --words 2000000 -- -hidden 100

Generates a corpus whose vocabulary has exactly --vocab words: every word once (in
sentences of 20), then --words tokens drawn from a Zipf law (exponent 1.1) over the
same words, in sentences of 1 to 40 words, as a large ASR vocabulary meets its text:
a head of frequent words and a long tail seen once or twice.  Each output layer then
trains one epoch on it (-one-iter, the same -hidden and -bptt for all), in a process
of its own, one after another:

  class  rnnlm's class softmax, -class sqrt(V) (rnnlm's advice for the class count)
  hs     the hierarchical softmax over a Huffman tree (-hs)
  nce    the full softmax trained by noise-contrastive estimation (-nce 20)

Reports training words/s (rnnlm's per-epoch figure), the wall time of the run (reading
and the vocabulary included), the peak RSS of the training process and the model size.
"""
import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

# Runs a command (argv[2:]) with stdout and stderr into a log file (argv[1]) and prints
# its exit status and peak RSS (ru_maxrss of this wrapper's children: the command's).
MEASURED = ("import json, resource, subprocess, sys\n"
            "log = open(sys.argv[1], 'w')\n"
            "status = subprocess.call(sys.argv[2:], stdout=log, stderr=log)\n"
            "print(json.dumps([status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
OUTPUTS = {
    "class": lambda vocab: ["-class", str(int(math.sqrt(vocab)))],
    "hs": lambda vocab: ["-hs"],
    "nce": lambda vocab: ["-nce", "20"],
}


def generate(path, vocab, words, seed=1):
    """Every word of the vocabulary once, then ``words`` Zipf-distributed tokens."""
    rng = np.random.default_rng(seed)
    names = np.array([f"w{i}" for i in range(vocab)], dtype=object)
    zipf = 1.0 / np.arange(1, vocab + 1) ** 1.1
    tokens = np.concatenate([rng.permutation(vocab),
                             rng.choice(vocab, size=words, p=zipf / zipf.sum())])
    ends = np.concatenate([np.arange(20, vocab, 20),
                           vocab + np.cumsum(rng.integers(1, 41, words // 10 + 2))])
    ends = ends[ends < len(tokens)]
    with open(path, "w") as handle:
        for part in np.split(names[tokens], ends):
            handle.write(" ".join(part) + "\n")
    return len(tokens)


def train(output, text, vocab, options, work):
    """One -one-iter training run in its own process; the figures of its JSON line."""
    model = os.path.join(work, f"{output}.rnn")
    log = os.path.join(work, f"{output}.log")
    started = time.monotonic()
    measured = subprocess.run(
        [sys.executable, "-c", MEASURED, log, "rnnlm", "train", "-rnnlm", model, "-train", text,
         "-one-iter", "-q", *OUTPUTS[output](vocab), *options],
        capture_output=True, text=True)
    wall = time.monotonic() - started
    status, peak_kb = json.loads(measured.stdout)
    with open(log) as handle:
        printed = handle.read()
    speeds = re.findall(r"Words/sec: ([0-9.]+)", printed)
    if status != 0 or not speeds:
        sys.exit(f"bench_vocab: {output} failed: {printed.strip()}")
    return float(speeds[-1]), wall, peak_kb, os.path.getsize(model)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=300_000, help="vocabulary size")
    parser.add_argument("--words", type=int, default=2_000_000,
                        help="Zipf-distributed tokens after the vocabulary's own sentences")
    parser.add_argument("--outputs", default="class,hs,nce",
                        help="comma-separated output layers to run: " + ", ".join(OUTPUTS))
    parser.add_argument("options", nargs=argparse.REMAINDER,
                        help="rnnlm train options for every run (after --)")
    args = parser.parse_args()
    options = [o for o in args.options if o != "--"] or ["-hidden", "100", "-bptt", "4"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    with tempfile.TemporaryDirectory() as work:
        text = os.path.join(work, "train.txt")
        tokens = generate(text, args.vocab, args.words)
        for output in args.outputs.split(","):
            speed, wall, peak_kb, size = train(output, text, args.vocab, options, work)
            print(json.dumps({
                "output": output, "options": " ".join(OUTPUTS[output](args.vocab) + options),
                "vocab": args.vocab + 1, "train_words": tokens,
                "train_words_per_second": round(speed), "wall_seconds": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
                "model_mb": round(size / 2**20, 1), "machine": machine}), flush=True)


if __name__ == "__main__":
    main()

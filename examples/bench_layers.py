#!/usr/bin/env python3
"""Training speed of every hidden type, per word and in mini-batches, on 1 and 2
threads: one epoch (-one-iter) on the first --words words of PTB train; prints one
JSON object per run, then a summary.

    python examples/bench_layers.py --ptb ../shared/data/ptb [--words 200000]
        [--hidden 100 200] [--hidden-type sigmoid gru lstm scrn] [--batch 32]
        [--threads 1 2]

Every run is `rnnlm train -hidden-type T -hidden H -class 100 -bptt 4 -bptt-block 10
-one-iter` with -batch B or not and -threads N; words/s is the epoch line's (training
only), wall the whole command (start-up, corpus reading and model writing included).
Runs are sequential: a 2-thread run needs both cores of a 2-core machine.
"""
import argparse
import itertools
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time


def first_words(path: str, words: int, target: str):
    """Write the first sentences of ``path`` holding about ``words`` tokens."""
    count = 0
    with open(path) as source, open(target, "w") as out:
        for line in source:
            out.write(line)
            count += len(line.split()) + 1
            if count >= words:
                break


def one_epoch(text: str, model: str, options: list) -> dict:
    started = time.perf_counter()
    done = subprocess.run(["rnnlm", "train", "-rnnlm", model, "-train", text, "-one-iter",
                           *options], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_layers: rnnlm train failed: {done.stderr.strip()}")
    speed = float(re.search(r"Words/sec: ([0-9.]+)", done.stdout).group(1))
    return {"words_per_second": round(speed), "wall_seconds": round(wall, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptb", required=True, help="folder with ptb.train.txt")
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--hidden-type", nargs="+", default=["sigmoid", "gru", "lstm", "scrn"],
                        choices=["sigmoid", "tanh", "gru", "lstm", "scrn"])
    parser.add_argument("--batch", type=int, default=32, help="the mini-batch size compared")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        text = os.path.join(folder, "train.txt")
        first_words(os.path.join(args.ptb, "ptb.train.txt"), args.words, text)
        for hidden_type, hidden, batch, threads in itertools.product(
                args.hidden_type, args.hidden, [1, args.batch], args.threads):
            options = ["-hidden-type", hidden_type, "-hidden", str(hidden), "-class", "100",
                       "-bptt", "4", "-bptt-block", "10", "-threads", str(threads)]
            if batch > 1:
                options += ["-batch", str(batch)]
            row = {"hidden_type": hidden_type, "hidden": hidden, "batch": batch,
                   "threads": threads, "words": args.words,
                   **one_epoch(text, os.path.join(folder, f"m{len(rows)}.rnn"), options),
                   "machine": machine}
            print(json.dumps(row), flush=True)
            rows.append(row)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"summary": [{k: r[k] for k in ("hidden_type", "hidden", "batch",
                                                     "threads", "words_per_second")}
                                  for r in rows], "peak_rss_mb": round(peak)}, indent=1))


if __name__ == "__main__":
    main()

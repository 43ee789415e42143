#!/usr/bin/env python3
"""Train and evaluate with the rnnlm CLI on a corpus; print one JSON object.

    python examples/bench_train.py --data ../shared/data/ptb -- -hidden 100 -class 100 \
        -bptt 4 -bptt-block 10 -rand-seed 1

Reports training words/s (mean over epochs, as rnnlm prints it per epoch), epochs,
wall time of training, test PPL, peak RSS of the training process, and the machine.
Looks for ptb.{train,valid,test}.txt or {train,valid,test}.txt in --data.
"""
import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time


def corpus_files(folder):
    for prefix in ("ptb.", ""):
        paths = [os.path.join(folder, f"{prefix}{part}.txt") for part in ("train", "valid", "test")]
        if all(os.path.exists(p) for p in paths):
            return paths
    sys.exit(f"bench_train: no train/valid/test files in {folder}")


def run(command):
    """stdout of a command; on failure, its stderr and a non-zero exit."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_train: {' '.join(command[:2])} failed: {done.stderr.strip()}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with train/valid/test text")
    parser.add_argument("train_options", nargs=argparse.REMAINDER,
                        help="options passed to 'rnnlm train' (after --)")
    args = parser.parse_args()
    train, valid, test = corpus_files(args.data)
    options = [o for o in args.train_options if o != "--"]
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.rnn")
        started = time.perf_counter()
        log = run(["rnnlm", "train", "-rnnlm", model, "-train", train, "-valid", valid, "-q",
                   *options])
        wall = time.perf_counter() - started
        peak_rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result = json.loads(run(["rnnlm", "eval", "-rnnlm", model, "-test", test,
                                 "--format", "json", "-q"]))
    speeds = [float(s) for s in re.findall(r"Words/sec: ([0-9.]+)", log)]
    print(json.dumps({
        "corpus": args.data, "options": " ".join(options),
        "epochs": len(speeds),
        "train_words_per_second_mean": round(sum(speeds) / len(speeds)),
        "train_words_per_second_last": round(speeds[-1]),
        "train_wall_seconds": round(wall, 1),
        "test_ppl": round(result["ppl"], 2),
        "test_entropy_bits": round(result["entropy_bits"], 4),
        "peak_rss_mb": round(peak_rss_kb / 1024, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''}".strip(", "),
        "epoch_log": log.splitlines(),
    }, indent=1))


if __name__ == "__main__":
    main()

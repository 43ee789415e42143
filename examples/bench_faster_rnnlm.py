#!/usr/bin/env python3
"""Train and evaluate faster-rnnlm (the peer, built separately) on a corpus; print one
JSON object with the same keys as bench_train.py, for side-by-side tables.

    python examples/bench_faster_rnnlm.py --binary /tmp/peers/faster-rnnlm/faster-rnnlm/rnnlm \
        --data ../shared/data/ptb -- -hidden 100 -hidden-type gru-insyn -threads 1

An NCE model is tested with -nce-accurate-test 1 (normalised probabilities).
Training words/s is faster-rnnlm's own measure: training tokens (words and one </s>
per sentence) over the training part of each epoch's "elapsed" time, averaged over
epochs.  Test PPL is 2 ** its "Test entropy".  Peak RSS is the training process's.
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

from bench_train import corpus_files

# Runs a command (argv[2:]) with its stderr into a log file (argv[1]) and prints its exit
# status and peak RSS: ru_maxrss of this wrapper's children is the command's alone.
MEASURED = ("import json, resource, subprocess, sys\n"
            "status = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL,"
            " stderr=open(sys.argv[1], 'w'))\n"
            "print(json.dumps([status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")


def token_count(path):
    with open(path, encoding="utf-8") as text:
        return sum(len(line.split()) + 1 for line in text if line.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="faster-rnnlm's rnnlm executable")
    parser.add_argument("--data", required=True, help="folder with train/valid/test")
    parser.add_argument("options", nargs="*", help="faster-rnnlm training options (after --)")
    args = parser.parse_args()
    train, valid, test = corpus_files(args.data)
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "model")
        start = time.monotonic()
        log_path = os.path.join(work, "train.log")
        measured = subprocess.run(
            [sys.executable, "-c", MEASURED, log_path, args.binary, "-rnnlm", model,
             "-train", train, "-valid", valid, "-show-progress", "0", *args.options],
            capture_output=True, text=True, cwd=work)
        wall = time.monotonic() - start
        status, peak_kb = json.loads(measured.stdout)
        with open(log_path, encoding="utf-8", errors="replace") as log:
            epochs = re.findall(r"Epoch +\d+ entropy \(bits\) valid: +([\d.]+) +elapsed: "
                                r"([\d.]+)s", log.read())
        if status != 0 or not epochs:
            sys.exit(f"bench_faster_rnnlm: training failed (status {status})")
        # an NCE model prints an entropy only when asked to normalise (-nce-accurate-test)
        accurate = ["-nce-accurate-test", "1"] if "-nce" in args.options else []
        tested = subprocess.run([args.binary, "-rnnlm", model, "-test", test, *accurate],
                                capture_output=True, text=True)
        entropy = re.search(r"Test entropy ([\d.]+)", tested.stderr)
        if tested.returncode != 0 or not entropy:
            sys.exit(f"bench_faster_rnnlm: test failed: {tested.stderr.strip()[-300:]}")
    tokens = token_count(train)
    speeds = [tokens / float(seconds) for _, seconds in epochs]
    print(json.dumps({"tool": "faster-rnnlm", "options": args.options,
                      "train_words_per_second_mean": round(sum(speeds) / len(speeds)),
                      "epochs": len(epochs), "train_wall_seconds": round(wall, 1),
                      "valid_ppl": round(2 ** float(epochs[-1][0]), 2),
                      "test_ppl": round(2 ** float(entropy.group(1)), 2),
                      "peak_rss_mb": round(peak_kb / 1024), "machine": platform.machine(),
                      "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()

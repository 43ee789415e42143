#!/usr/bin/env python3
"""Kill -9 training at random moments and check that it always resumes to the same model.

    python examples/fault_injection.py [--trials 10] [--seed 1]

For each trial, `rnnlm train` (one thread, -checkpoint-every) is killed with
SIGKILL at a random time, then the same command is run again until it
finishes (killing it again at random points while it resumes, up to three
kills per trial).  After every kill the file at the output path must be absent
or a readable, checksum-verified model; the finished model must be identical,
array for array, to an uninterrupted run.  Prints one JSON line per trial and
a summary; exit status 1 if any trial failed.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from rnnlm_cli.errors import ModelFileError
from rnnlm_cli.model import Model

ARGS = ["-hidden", "20", "-class", "20", "-bptt", "3", "-direct", "0.1", "-max-iter", "3",
        "-checkpoint-every", "5000", "-q"]


def write_corpus(path, sentences=20000, seed=7):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(200)]
    with open(path, "w") as out:
        for _ in range(sentences):
            out.write(" ".join(rng.choice(words, rng.integers(3, 15))) + "\n")


def train_command(model, text):
    return [sys.executable, "-m", "rnnlm_cli", "train", "-rnnlm", model, "-train", text, *ARGS]


def file_state(model):
    """'absent', 'checkpoint', 'epoch' or 'corrupt: ...' for the file at the output path."""
    if not os.path.exists(model):
        return "absent"
    try:
        return "checkpoint" if Model.load(model).checkpoint is not None else "epoch"
    except ModelFileError as exc:
        return f"corrupt: {exc}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        text = os.path.join(folder, "train.txt")
        write_corpus(text)
        reference = os.path.join(folder, "reference.rnn")
        started = time.perf_counter()
        subprocess.run(train_command(reference, text), check=True, stdout=subprocess.DEVNULL)
        full_seconds = time.perf_counter() - started
        expected = Model.load(reference).network.weights()
        for trial in range(args.trials):
            model = os.path.join(folder, f"trial{trial}.rnn")
            kills, states = 0, []
            while True:
                process = subprocess.Popen(train_command(model, text), stdout=subprocess.DEVNULL)
                if kills < 3:
                    try:
                        process.wait(timeout=rng.uniform(0.5, full_seconds))
                    except subprocess.TimeoutExpired:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        kills += 1
                        states.append(file_state(model))
                        continue
                if process.wait() != 0:
                    states.append(f"exit status {process.returncode}")
                    break
                break
            got = Model.load(model).network.weights() if os.path.exists(model) else {}
            identical = bool(got) and all(np.array_equal(got[name], array)
                                          for name, array in expected.items())
            corrupt = [s for s in states if s not in ("absent", "checkpoint", "epoch")]
            ok = identical and not corrupt
            failures += not ok
            print(json.dumps({"trial": trial, "kills": kills, "after_each_kill": states,
                              "identical_to_uninterrupted": identical, "ok": ok}), flush=True)
    print(json.dumps({"trials": args.trials, "failed": failures,
                      "uninterrupted_seconds": round(full_seconds, 1)}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

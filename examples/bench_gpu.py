#!/usr/bin/env python3
"""CPU vs GPU: N-best scoring and mini-batch training throughput; prints JSON lines.

    python examples/bench_gpu.py --ptb ../shared/data/ptb [--hidden 100 200 500]
        [--batches 32 128] [--train-words 200000] [--hyps 20000]
        [--hidden-type sigmoid gru lstm scrn]

N-best scoring: hypotheses are PTB validation sentences (rnnlm N-best format);
an untrained model of each hidden size on the PTB vocabulary is enough to time
scoring.  `nbest-rescore` runs with --device cpu (one thread: the single-core
CPU path) and --device cuda; hypotheses/s excludes start-up (measured on a
one-hypothesis input).  Training: words/s of one epoch (-one-iter) on the
first --train-words words of PTB train, per-word SGD on the CPU and -batch B
on cpu and cuda, read from the epoch line.  Every run is repeated for each
--hidden-type (default: the Elman sigmoid layer only).  cuda runs are skipped
(with a note) when no GPU is usable.
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


def run(command, **kwargs):
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - started, done.stdout


def gpu_usable() -> bool:
    probe = subprocess.run([sys.executable, "-c", "from numba import cuda; "
                            "print(cuda.is_available())"], capture_output=True, text=True)
    return probe.stdout.strip() == "True"


def emit(record):
    record["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    print(json.dumps(record), flush=True)


def nbest_runs(args, folder, devices):
    sentences = [line.split() for line in open(os.path.join(args.ptb, "ptb.valid.txt"))
                 if line.split()]
    hyps = [sentences[i % len(sentences)] for i in range(args.hyps)]
    nbest = os.path.join(folder, "valid.nbest")
    with open(nbest, "w") as out:
        out.writelines(f"{i // 10} {' '.join(words)}\n" for i, words in enumerate(hyps))
    tiny = os.path.join(folder, "tiny.nbest")
    with open(tiny, "w") as out:
        out.write(f"0 {' '.join(hyps[0])}\n")
    tokens = sum(len(h) + 1 for h in hyps)
    for hidden_type, hidden in ((t, h) for t in args.hidden_type for h in args.hidden):
        model = os.path.join(folder, f"{hidden_type}{hidden}.rnn")
        run(_untrained(model, args.slice, hidden, hidden_type))
        for device in devices:
            base = ["rnnlm", "nbest-rescore", "-rnnlm", model, "-q", "--device", device]
            startup = min(run(base + ["-nbest", tiny])[0] for _ in range(2))
            seconds = run(base + ["-nbest", nbest])[0] - startup
            emit({"bench": "nbest", "hidden_type": hidden_type, "hidden": hidden,
                  "device": device,
                  "hypotheses": len(hyps), "tokens": tokens, "seconds": round(seconds, 2),
                  "hyps_per_second": round(len(hyps) / seconds),
                  "tokens_per_second": round(tokens / seconds)})


def _untrained(model, text, hidden, hidden_type):
    """A command writing a model of this size with one cheap epoch on a tiny text."""
    return ["rnnlm", "train", "-rnnlm", model, "-train", text, "-hidden", str(hidden),
            "-hidden-type", hidden_type, "-independent", "-one-iter", "-alpha", "1e-9", "-q"]


def training_runs(args, folder, devices):
    for hidden_type, hidden in ((t, h) for t in args.hidden_type for h in args.hidden):
        configs = [("cpu", 1)] + [(device, b) for b in args.batches for device in devices]
        for device, batch in configs:
            model = os.path.join(folder, f"t{hidden_type}{hidden}-{device}-{batch}.rnn")
            command = ["rnnlm", "train", "-rnnlm", model, "-train", args.train_slice,
                       "-hidden", str(hidden), "-hidden-type", hidden_type, "-bptt", "4",
                       "-one-iter", "--device", device, "-batch", str(batch)]
            seconds, stdout = run(command)
            speed = float(re.search(r"Words/sec: ([0-9.]+)", stdout).group(1))
            emit({"bench": "train", "hidden_type": hidden_type, "hidden": hidden,
                  "device": device, "batch": batch,
                  "words": args.train_words, "words_per_second": round(speed),
                  "seconds": round(seconds, 1)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptb", required=True, help="folder with ptb.{train,valid}.txt")
    parser.add_argument("--hidden", type=int, nargs="+", default=[100, 200, 500])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--train-words", type=int, default=200_000)
    parser.add_argument("--hyps", type=int, default=20_000)
    parser.add_argument("--hidden-type", nargs="+", default=["sigmoid"],
                        choices=["sigmoid", "tanh", "gru", "lstm", "scrn"])
    parser.add_argument("--skip", choices=["nbest", "train"], action="append", default=[])
    args = parser.parse_args()
    devices = ["cpu", "cuda"]
    if not gpu_usable():
        devices = ["cpu"]
        emit({"note": "no usable CUDA GPU: cuda runs skipped"})
    with tempfile.TemporaryDirectory() as folder:
        words, lines = 0, []
        for line in open(os.path.join(args.ptb, "ptb.train.txt")):
            lines.append(line)
            words += len(line.split()) + 1
            if words >= args.train_words:
                break
        args.train_slice = os.path.join(folder, "train.txt")
        with open(args.train_slice, "w") as out:
            out.writelines(lines)
        args.slice = os.path.join(folder, "vocab.txt")      # every PTB word, once
        with open(args.slice, "w") as out:
            vocabulary = sorted({w for line in open(os.path.join(args.ptb, "ptb.train.txt"))
                                 for w in line.split()})
            out.write(" ".join(vocabulary) + "\n")
        if "nbest" not in args.skip:
            nbest_runs(args, folder, devices)
        if "train" not in args.skip:
            training_runs(args, folder, devices)


if __name__ == "__main__":
    main()

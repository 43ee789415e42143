#!/usr/bin/env python3
"""Throughput of `rnnlm nbest-rescore`; prints one JSON object.

    python examples/bench_nbest.py --model ptb.rnn --nbest test.nbest

Measures hypotheses/s and words/s of the batched independent mode with 1 and 2
threads, and of the sequential carry-over mode (one hypothesis after another,
as rnnlm 0.4b scores them), each as the wall time of the whole command minus
its start-up (measured on a one-list input).  --options passes more options to
every run (e.g. --options=-nce-unnormalized).
"""
import argparse
import json
import os
import platform
import subprocess
import tempfile
import time


def wall(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--nbest", required=True)
    parser.add_argument("--options", default="", help="more nbest-rescore options, one string")
    args = parser.parse_args()
    lines = open(args.nbest).read().splitlines()
    hyps, words = len(lines), sum(len(line.split()) for line in lines)   # id + words = words + </s>
    with tempfile.NamedTemporaryFile("w", suffix=".nbest", delete=False) as tiny:
        tiny.write(lines[0] + "\n")
    base = ["rnnlm", "nbest-rescore", "-rnnlm", args.model, "-q", *args.options.split()]
    startup = min(wall(base + ["-nbest", tiny.name]) for _ in range(2))
    result = {"model": args.model, "options": args.options, "hypotheses": hyps, "tokens": words,
              "startup_seconds": round(startup, 2),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    for name, extra in [("batched_1_thread", []), ("batched_2_threads", ["-threads", "2"]),
                        ("sequential_carry_over", ["-carry-over"])]:
        seconds = wall(base + ["-nbest", args.nbest] + extra) - startup
        result[name] = {"seconds": round(seconds, 2), "hyps_per_second": round(hyps / seconds),
                        "tokens_per_second": round(words / seconds)}
    os.unlink(tiny.name)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

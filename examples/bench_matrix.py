#!/usr/bin/env python3
"""Hidden types and output layers on PTB: every combination of hidden type, output
layer, hidden size, threads and maxent; one JSON object per run, then a summary table.

    python examples/bench_matrix.py --data ../shared/data/ptb [--hidden 100 200]
        [--threads 1 2] [--output class hs] [--direct off on]
        [--hidden-type sigmoid gru lstm scrn] [--batch 1 32] [--faster-rnnlm BINARY]

Each run is a separate bench_train.py process (so peak RSS is that run's), with
-bptt 4 -bptt-block 10 -rand-seed 1; -class 100 for the class softmax, and for the
hierarchical softmax -hs plus --hs-options (default: the PTB recipe -alpha 0.05
-min-improvement 1.001, which trains longer at a lower rate); "direct on" adds
-direct 2 -direct-order 3; --batch B above 1 trains in mini-batches (-batch B,
one thread: -batch does not combine with -threads).  Runs are sequential: with
-threads 2 a run needs both cores of a 2-core machine.  With --faster-rnnlm, every
GRU run with the hierarchical softmax and no maxent is followed by faster-rnnlm's
gru-insyn at the same size and threads (its own defaults otherwise: hs, BPTT 5),
through bench_faster_rnnlm.py, in the same sitting.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys

EXAMPLES = os.path.dirname(os.path.abspath(__file__))
BENCH_TRAIN = os.path.join(EXAMPLES, "bench_train.py")
BENCH_PEER = os.path.join(EXAMPLES, "bench_faster_rnnlm.py")
COMMON = ["-bptt", "4", "-bptt-block", "10", "-rand-seed", "1"]


def options_for(hidden_type, output, hidden, threads, direct, hs_options, batch=1):
    options = ["-hidden-type", hidden_type, "-hidden", str(hidden), *COMMON]
    options += ["-batch", str(batch)] if batch > 1 else ["-threads", str(threads)]
    options += ["-hs", *hs_options.split()] if output == "hs" else ["-class", "100"]
    if direct == "on":
        options += ["-direct", "2", "-direct-order", "3"]
    return options


def measure(script_and_arguments) -> dict:
    """The JSON object a benchmark script prints (a failed run stops the matrix)."""
    done = subprocess.run([sys.executable, *script_and_arguments], capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"bench_matrix: run failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with PTB train/valid/test")
    parser.add_argument("--output", nargs="+", default=["class", "hs"], choices=["class", "hs"])
    parser.add_argument("--hidden", nargs="+", type=int, default=[100, 200])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--direct", nargs="+", default=["off", "on"], choices=["off", "on"])
    parser.add_argument("--hidden-type", nargs="+", default=["sigmoid"],
                        choices=["sigmoid", "tanh", "gru", "lstm", "scrn"])
    parser.add_argument("--batch", nargs="+", type=int, default=[1],
                        help="mini-batch sizes (1: per-word SGD)")
    parser.add_argument("--hs-options", default="-alpha 0.05 -min-improvement 1.001",
                        help="extra training options of the hs runs")
    parser.add_argument("--faster-rnnlm", metavar="BINARY",
                        help="faster-rnnlm's executable: run its gru-insyn beside our GRU")
    args = parser.parse_args()
    rows = []
    for hidden_type, output, hidden, threads, direct, batch in itertools.product(
            args.hidden_type, args.output, args.hidden, args.threads, args.direct, args.batch):
        if batch > 1 and threads > 1:
            continue
        options = options_for(hidden_type, output, hidden, threads, direct, args.hs_options,
                              batch)
        result = measure([BENCH_TRAIN, "--data", args.data, "--", *options])
        result.pop("epoch_log")
        result.update(hidden_type=hidden_type, output=output, hidden=hidden, threads=threads,
                      direct=direct, batch=batch)
        print(json.dumps(result), flush=True)
        rows.append(result)
        if args.faster_rnnlm and (hidden_type, output, direct, batch) == ("gru", "hs", "off", 1):
            peer = measure([BENCH_PEER, "--binary", args.faster_rnnlm, "--data", args.data,
                            "--", "-hidden", str(hidden), "-hidden-type", "gru-insyn",
                            "-threads", str(threads)])
            peer.update(hidden_type="faster-rnnlm gru-insyn", output=output, hidden=hidden,
                        threads=threads, direct=direct, batch=1)
            print(json.dumps(peer), flush=True)
            rows.append(peer)
    print(json.dumps({"summary": [
        {k: r[k] for k in ("hidden_type", "output", "hidden", "threads", "direct", "batch",
                           "train_words_per_second_mean",
                           "epochs", "train_wall_seconds", "test_ppl", "peak_rss_mb")}
        for r in rows]}, indent=1))


if __name__ == "__main__":
    main()

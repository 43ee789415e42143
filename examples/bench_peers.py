#!/usr/bin/env python3
"""This toolkit and its peers side by side on the same data, one job at a time; one
JSON line per job.

    python examples/bench_peers.py --data ../shared/data/ptb \
        --rnnlm04 /tmp/peers/rnnlm04/rnnlm --faster-rnnlm /tmp/peers/faster/faster-rnnlm/rnnlm

The peers are built from source outside this repository (README, "Side by side with
the peers", gives the commands and flags).  Jobs (--jobs picks some, in this order):

  nbest    rescoring 20-best lists of the test sentences (make_nbest.py; every
           hypothesis its own id, scored on its own: Kaldi's use) with an h100 class
           model trained here with -independent; the peer (rnnlm 0.4b -nbest
           -independent) reads it converted to its text format.  Ours runs on 1 and 2
           threads; --nbest-repeat R adds the list R times over.  Hypotheses/s are
           whole-command walls, start-up included; the scores of both on the converted
           model are compared (but the first line's, which rnnlm 0.4b starts from
           another state).
  class    one epoch (-one-iter) of a class RNN h100 c100 -bptt 4 -bptt-block 10 on the
           training text, the whole command's wall (reading and writing included).
  hs       hierarchical softmax h100 trained to convergence on 1 and 2 threads: our
           `-hs` against faster-rnnlm's defaults; walls of training and test PPLs, and
           the wall taken apart: epochs and training seconds per epoch of each tool
           (faster-rnnlm's from its log, ours from the model's epoch records).
  scaling  ours at hidden 200, one epoch of hs and of class, 2 threads against 1.
  startup  warm start of eval, nbest-rescore and drop-in -nbest on a one-line input.
  ngram    KN5 (order 5, interpolated modified Kneser-Ney, no cut-offs) of the training
           text (and of --ngram-corpus, e.g. bench_ngram.py's 20M-word corpus) with
           KenLM's lmplz (--lmplz; -S 20%) and SRILM's ngram-count (--srilm-bin) against
           ours in memory, with -memory (--ngram-memory) and with -threads 2; wall and
           peak RSS of each, and whether our ARPA file is SRILM's byte for byte.
           <unk> is renamed for both tools (lmplz refuses it in the text).

Runs alternate between the tools, --rounds times each for the jobs shorter than a
minute (the best wall counts).  A job whose peer is not given prints "skipped".
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

HERE = os.path.dirname(os.path.abspath(__file__))
CLASS_OPTIONS = ["-hidden", "100", "-class", "100", "-bptt", "4", "-bptt-block", "10"]


def timed(command, stdout=subprocess.DEVNULL, cwd=None):
    """(wall seconds, completed process) of a command that must succeed."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=cwd)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_peers: {' '.join(command[:3])} ... failed: {done.stderr.strip()[-400:]}")
    return wall, done


def best_of(rounds, runs):
    """The best wall of each named command over ``rounds`` alternating rounds: runs is
    name -> a function doing one run and returning its wall."""
    walls = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            walls[name].append(run())
    return {name: round(min(values), 2) for name, values in walls.items()}


def remove(*paths):
    for path in paths:
        for candidate in (path, path + ".nnet"):
            if os.path.exists(candidate):
                os.unlink(candidate)


def emit(record):
    record["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    print(json.dumps(record), flush=True)


def our_ppl(model, test):
    _, done = timed(["rnnlm", "eval", "-rnnlm", model, "-test", test, "--format", "json", "-q"],
                    stdout=subprocess.PIPE)
    return round(json.loads(done.stdout)["ppl"], 2)


def nbest_lists(work, test, train, repeat):
    """The 20-best lists (every hypothesis its own id) and the list ``repeat`` times over."""
    base = os.path.join(work, "test")
    timed([sys.executable, os.path.join(HERE, "make_nbest.py"), "--text", test, "--vocab-from",
           train, "--n", "20", "--out", base + ".nbest"])
    with open(base + ".nbest", encoding="utf-8") as lists:
        hyps = [line.split(maxsplit=1)[1] for line in lists]
    paths = {}
    for times in sorted({1, repeat}):
        path = f"{base}.x{times}.txt"
        with open(path, "w", encoding="utf-8") as out:
            for k in range(times * len(hyps)):
                out.write(f"h{k} {hyps[k % len(hyps)]}")
        paths[times * len(hyps)] = path
    return paths


def job_nbest(args, work, train, valid, test):
    if not args.rnnlm04:
        return emit({"job": "nbest", "skipped": "no --rnnlm04"})
    model, peer_model = os.path.join(work, "nbest.rnn"), os.path.join(work, "nbest.rnn04")
    remove(model, peer_model)
    timed(["rnnlm", "train", "-rnnlm", model, "-train", train, "-valid", valid, *CLASS_OPTIONS,
           "-independent", "-max-iter", str(args.nbest_epochs), "-q"])
    timed(["rnnlm", "convert", "-rnnlm", model, "-out", peer_model, "-to", "rnnlm0.4b"])
    for index, (hyps, path) in enumerate(nbest_lists(work, test, train,
                                                     args.nbest_repeat).items()):
        peer = [args.rnnlm04, "-rnnlm", peer_model, "-test", path, "-nbest", "-independent",
                "-debug", "0"]
        ours = ["rnnlm", "nbest-rescore", "-rnnlm", model, "-nbest", path, "-q"]
        rounds = args.rounds if hyps < 200_000 else 1
        walls = best_of(rounds, {
            "peer": lambda: timed(peer)[0],
            "ours_1_thread": lambda: timed(ours)[0],
            "ours_2_threads": lambda: timed(ours + ["-threads", "2"])[0]})
        record = {}
        if index == 0:                      # the scores are compared on the first list
            peer_scores = timed(peer, stdout=subprocess.PIPE)[1].stdout.split()
            same_model = timed(["rnnlm", "nbest-rescore", "-rnnlm", peer_model, "-nbest", path,
                                "-q"], stdout=subprocess.PIPE)[1].stdout.split()
            # rnnlm 0.4b scores the first line from another state than the rest
            # (INTERFACES 2.11), which nbest-rescore does not copy: compare the others
            record = {"max_score_difference_same_model": round(max(
                abs(float(a) - float(b)) for a, b in zip(peer_scores[1:], same_model[1:])), 6),
                "scored_lines": len(peer_scores)}
        emit({"job": "nbest", "hypotheses": hyps, "peer": "rnnlm 0.4b",
              "peer_wall_s": walls["peer"], "peer_hyps_per_s": round(hyps / walls["peer"]),
              **{f"{name}_wall_s": walls[name] for name in ("ours_1_thread", "ours_2_threads")},
              **{f"{name}_hyps_per_s": round(hyps / walls[name])
                 for name in ("ours_1_thread", "ours_2_threads")},
              "ratio_1_thread": round(walls["peer"] / walls["ours_1_thread"], 2),
              "ratio_2_threads": round(walls["peer"] / walls["ours_2_threads"], 2),
              **record})


def job_class(args, work, train, valid, test):
    if not args.rnnlm04:
        return emit({"job": "class", "skipped": "no --rnnlm04"})
    ours_model, peer_model = os.path.join(work, "class.rnn"), os.path.join(work, "class.rnn04")

    def peer():
        remove(peer_model)
        return timed([args.rnnlm04, "-rnnlm", peer_model, "-train", train, *CLASS_OPTIONS,
                      "-one-iter", "-debug", "0"], cwd=work)[0]

    def ours():
        remove(ours_model)
        return timed(["rnnlm", "train", "-rnnlm", ours_model, "-train", train, *CLASS_OPTIONS,
                      "-one-iter", "-q"])[0]

    walls = best_of(args.rounds, {"peer": peer, "ours": ours})
    emit({"job": "class", "what": "one epoch, h100 c100 -bptt 4 -bptt-block 10",
          "peer": "rnnlm 0.4b", "peer_wall_s": walls["peer"], "ours_wall_s": walls["ours"],
          "ratio": round(walls["peer"] / walls["ours"], 2)})


# faster-rnnlm's line after each epoch: "... valid:  7.50888  elapsed: 5.1s+0.3s"
# (training seconds + validation seconds)
FASTER_EPOCH = re.compile(r"entropy \(bits\) valid:\s+[\d.]+\s+elapsed: ([\d.]+)s\+[\d.]+s")


def faster_train(args, model, train, valid, test, threads):
    """(training wall, test PPL, epochs, training seconds per epoch) of faster-rnnlm at
    its defaults, hidden 100."""
    remove(model)
    wall, trained = timed([args.faster_rnnlm, "-rnnlm", model, "-train", train, "-valid",
                           valid, "-hidden", "100", "-threads", str(threads),
                           "-show-progress", "0"])
    _, tested = timed([args.faster_rnnlm, "-rnnlm", model, "-test", test])
    entropy = re.search(r"Test entropy ([\d.]+)", tested.stderr)
    epochs = [float(seconds) for seconds in FASTER_EPOCH.findall(trained.stderr)]
    return (round(wall, 1), round(2 ** float(entropy.group(1)), 2), len(epochs),
            per_epoch(epochs))


def our_epochs(model):
    """(epochs, training seconds per epoch) from the model's epoch records."""
    from rnnlm_cli.model import Model
    history = Model.load(model).state.history
    return len(history), per_epoch([epoch["seconds"] for epoch in history])


def per_epoch(seconds):
    return round(sum(seconds) / len(seconds), 2) if seconds else None


def job_hs(args, work, train, valid, test):
    if not args.faster_rnnlm:
        return emit({"job": "hs", "skipped": "no --faster-rnnlm"})
    for threads in (1, 2):
        peer_wall, peer_ppl, peer_epochs, peer_epoch_s = faster_train(
            args, os.path.join(work, "faster"), train, valid, test, threads)
        model = os.path.join(work, "hs.rnn")
        remove(model)
        ours_wall, _ = timed(["rnnlm", "train", "-rnnlm", model, "-train", train, "-valid", valid,
                              "-hs", "-hidden", "100", "-threads", str(threads), "-q"])
        ours_epochs, ours_epoch_s = our_epochs(model)
        emit({"job": "hs", "what": "hidden 100 to convergence; ours -hs, the peer's defaults",
              "threads": threads, "peer": "faster-rnnlm", "peer_wall_s": peer_wall,
              "ours_wall_s": round(ours_wall, 1), "ratio": round(peer_wall / ours_wall, 2),
              "peer_test_ppl": peer_ppl, "ours_test_ppl": our_ppl(model, test),
              "peer_epochs": peer_epochs, "ours_epochs": ours_epochs,
              "peer_train_s_per_epoch": peer_epoch_s, "ours_train_s_per_epoch": ours_epoch_s})


def job_scaling(args, work, train, valid, test):
    model = os.path.join(work, "scaling.rnn")
    for name, options in (("hs", ["-hs"]), ("class", ["-class", "100"])):
        def epoch(threads):
            remove(model)
            return timed(["rnnlm", "train", "-rnnlm", model, "-train", train, "-hidden", "200",
                          *options, "-bptt", "4", "-bptt-block", "10", "-one-iter",
                          "-threads", str(threads), "-q"])[0]
        walls = best_of(args.rounds, {1: lambda: epoch(1), 2: lambda: epoch(2)})
        emit({"job": "scaling", "what": f"{name} h200, one epoch", "wall_1_thread_s":
              round(walls[1], 1), "wall_2_threads_s": round(walls[2], 1),
              "speedup": round(walls[1] / walls[2], 2), "rounds": args.rounds})


def job_startup(args, work, train, valid, test):
    model = os.path.join(work, "startup.rnn")
    if not os.path.exists(model):
        timed(["rnnlm", "train", "-rnnlm", model, "-train", valid, *CLASS_OPTIONS, "-one-iter",
               "-q"])
    with open(test, encoding="utf-8") as text:
        sentence = text.readline()
    line = os.path.join(work, "one.txt")
    listed = os.path.join(work, "one.nbest")
    with open(line, "w", encoding="utf-8") as out:
        out.write(sentence)
    with open(listed, "w", encoding="utf-8") as out:
        out.write("u1 " + sentence)
    commands = {"eval": ["rnnlm", "eval", "-rnnlm", model, "-test", line, "-q"],
                "nbest-rescore": ["rnnlm", "nbest-rescore", "-rnnlm", model, "-nbest", listed,
                                  "-q"],
                "drop-in -nbest": ["rnnlm", "-rnnlm", model, "-test", listed, "-nbest",
                                   "-debug", "0"]}
    for command in commands.values():
        timed(command)                                  # warm the Numba cache
    walls = best_of(5, {name: (lambda c=command: timed(c)[0]) for name, command in commands.items()})
    emit({"job": "startup", "what": "warm start on a one-line input, best of 5",
          **{f"{name}_s": wall for name, wall in walls.items()}})


def measured(command, stdin=None, stdout=None):
    """(wall seconds, peak RSS MB) of a command that must succeed, waited with wait4."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source, open(stdout or os.devnull, "wb") as sink, \
            tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdin=source, stdout=sink, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"bench_peers: {' '.join(command[:3])} ... failed: "
                     f"{err.read().decode()[-400:]}")
    return round(wall, 2), round(usage.ru_maxrss / 1024, 1)


def job_ngram(args, work, train, valid, test):
    if not args.lmplz:
        emit({"job": "ngram", "skipped": "give --lmplz"})
        return
    texts = [("PTB train", train)] + ([("corpus", args.ngram_corpus)] if args.ngram_corpus
                                      else [])
    for what, path in texts:
        renamed = os.path.join(work, "ngram-text.txt")
        with open(path, encoding="utf-8") as source, open(renamed, "w", encoding="utf-8") as out:
            for line in source:
                out.write(line.replace("<unk>", "UNK_"))
        arpa, srilm_arpa = os.path.join(work, "ngram.arpa"), os.path.join(work, "srilm.arpa")
        options = ["-text", renamed, "-order", "5", "-kndiscount", "-interpolate", "-gt3min",
                   "1", "-gt4min", "1", "-gt5min", "1"]
        ours = ["rnnlm", "ngram-count", *options, "-q", "-lm", arpa]
        runs = {
            "lmplz -S 20%": lambda: measured(
                [args.lmplz, "-o", "5", "-S", "20%", "-T", work], stdin=renamed,
                stdout=os.path.join(work, "kenlm.arpa")),
            "ours": lambda: measured(ours),
            f"ours -memory {args.ngram_memory}": lambda: measured(
                ours + ["-memory", args.ngram_memory, "-temp-dir", work]),
            f"ours -threads 2 -memory {args.ngram_memory}": lambda: measured(
                ours + ["-threads", "2", "-memory", args.ngram_memory, "-temp-dir", work]),
        }
        if args.srilm_bin:
            runs["SRILM ngram-count"] = lambda: measured(
                [os.path.join(args.srilm_bin, "ngram-count"), *options, "-lm", srilm_arpa])
        rounds = args.rounds if what == "PTB train" else 1
        results = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                results[name].append(run())
        best = {name: min(values) for name, values in results.items()}
        peer_wall = best["lmplz -S 20%"][0]
        same = None
        if args.srilm_bin:
            with open(arpa, "rb") as a, open(srilm_arpa, "rb") as b:
                same = a.read() == b.read()
        emit({"job": "ngram", "what": f"KN5, no cut-offs, {what}",
              **{name: {"wall_s": wall, "peak_rss_mb": rss,
                        "speed_vs_lmplz": round(peer_wall / wall, 2)}
                 for name, (wall, rss) in best.items()},
              "ours_identical_to_srilm": same})


JOBS = {"nbest": job_nbest, "class": job_class, "hs": job_hs, "scaling": job_scaling,
        "startup": job_startup, "ngram": job_ngram}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with train/valid/test text")
    parser.add_argument("--rnnlm04", help="rnnlm 0.4b's rnnlm executable")
    parser.add_argument("--faster-rnnlm", help="faster-rnnlm's rnnlm executable")
    parser.add_argument("--lmplz", help="KenLM's lmplz executable")
    parser.add_argument("--srilm-bin", help="folder of SRILM's ngram-count (ngram job)")
    parser.add_argument("--ngram-corpus", help="a larger text for the ngram job")
    parser.add_argument("--ngram-memory", default="500M", help="-memory of the ngram job")
    parser.add_argument("--jobs", default=",".join(JOBS), help="comma-separated: " + ", ".join(JOBS))
    parser.add_argument("--rounds", type=int, default=2, help="runs of each short job per tool")
    parser.add_argument("--nbest-repeat", type=int, default=10,
                        help="also rescore the lists this many times over (1: not)")
    parser.add_argument("--nbest-epochs", type=int, default=3,
                        help="epochs of the N-best model (its scores' quality is not measured)")
    parser.add_argument("--work", help="folder for models and lists (default: a temporary one)")
    args = parser.parse_args()
    unknown = set(args.jobs.split(",")) - set(JOBS)
    if unknown:
        sys.exit(f"bench_peers: unknown jobs: {', '.join(sorted(unknown))}")
    train, valid, test = corpus_files(args.data)
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or scratch
        os.makedirs(work, exist_ok=True)
        for name in JOBS:
            if name in args.jobs.split(","):
                JOBS[name](args, work, train, valid, test)


if __name__ == "__main__":
    main()

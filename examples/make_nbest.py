#!/usr/bin/env python3
"""Build N-best lists with synthetic acoustic scores from held-out sentences.

    python examples/make_nbest.py --text ../shared/data/ptb/ptb.test.txt --vocab-from \
        ../shared/data/ptb/ptb.train.txt --n 20 --out test.nbest

Each list holds the reference sentence and n-1 variants with 1-4 word errors
(substitutions by a word of similar frequency, deletions, insertions).  The
acoustic score of a hypothesis is -0.6 per error plus Gaussian noise
(sd --noise, default 2.0), so the acoustic-only 1-best is often wrong and a
language model has work to do.  Writes rnnlm-format lists (<id> words), a Kaldi-style acoustic
cost file (<id>-<k> <cost>, negated natural log) and the references.
"""
import argparse
import math
from collections import Counter

import numpy as np


class Confusions:
    """Words to put in place of a word: one of similar frequency (rank within 30), or
    one of the 200 most frequent (an insertion), drawn from ``rng``."""

    def __init__(self, vocab_from: str, rng):
        self.rng = rng
        self.counts = Counter(w for line in open(vocab_from) for w in line.split())
        self.by_rank = [w for w, _ in self.counts.most_common()]
        self.rank = {w: i for i, w in enumerate(self.by_rank)}

    def similar(self, word):
        r = self.rank.get(word, len(self.by_rank) // 2)
        return self.by_rank[int(np.clip(r + self.rng.integers(-30, 31), 0,
                                        len(self.by_rank) - 1))]

    def frequent(self):
        return self.by_rank[int(self.rng.integers(0, min(200, len(self.by_rank))))]


def held_out_sentences(path: str, limit: int) -> list:
    sentences = [line.split() for line in open(path) if line.split()]
    return sentences[:limit] if limit else sentences


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--vocab-from", required=True, help="text whose words substitute")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--max-sentences", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", type=float, default=2.0, help="sd of the acoustic noise")
    parser.add_argument("--out", required=True, help="prefix of the output files")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    confusions = Confusions(args.vocab_from, rng)
    sentences = held_out_sentences(args.text, args.max_sentences)

    def corrupt(words):
        words, errors = list(words), int(rng.integers(1, 5))
        for _ in range(errors):
            kind = rng.random()
            at = int(rng.integers(0, max(len(words), 1)))
            if kind < 0.6 and words:
                words[at] = confusions.similar(words[at])
            elif kind < 0.8 and len(words) > 1:
                del words[at]
            else:
                words.insert(at, confusions.frequent())
        return words, errors

    with open(args.out, "w") as nbest, open(args.out + ".ac", "w") as ac, \
            open(args.out + ".ref", "w") as ref:
        for i, words in enumerate(sentences):
            ref.write(f"{i} {' '.join(words)}\n")
            hyps = [(words, 0)] + [corrupt(words) for _ in range(args.n - 1)]
            order = rng.permutation(len(hyps))
            for k, j in enumerate(order, 1):
                hyp, errors = hyps[j]
                log10_ac = -0.6 * errors + rng.normal(0, args.noise)
                nbest.write(f"{i} {' '.join(hyp)}\n")
                ac.write(f"{i}-{k} {-log10_ac * math.log(10):.4f}\n")


if __name__ == "__main__":
    main()

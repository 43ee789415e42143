#!/usr/bin/env python3
"""Build word lattices with synthetic acoustic scores from held-out sentences, in HTK SLF
and Kaldi text form, with each lattice's own N-best list.

    python examples/make_lattices.py --text ../shared/data/ptb/ptb.test.txt \
        --vocab-from ../shared/data/ptb/ptb.train.txt --max-sentences 400 --out test

Lacking a recogniser, each sentence becomes a confusion network: a slot per word
holding the reference word and 2-4 competitors (words of similar frequency, or no
word: a deletion), and now and then an extra slot whose right answer is no word (an
insertion).  Arcs get an acoustic log10 score of 0 (right) or -0.6 (wrong) plus
Gaussian noise (sd --noise), so the acoustics alone often pick a wrong word, and a
lattice LM score: the word's unigram log probability.  Writes:

  OUT.slf             the lattices, SLF (natural log)
  OUT.ark, words.txt  the same lattices as a Kaldi text archive and its symbol table
  OUT.nbest           each lattice's N best paths by acoustic + lattice LM (rnnlm
                      lists '<utt> words'), with OUT.nbest.ac and OUT.nbest.lm (Kaldi
                      cost files '<utt>-<k> <cost>') and OUT.nbest.ref, the references
"""
import argparse
import heapq
import math
import os
import sys
import numpy as np

from make_nbest import Confusions, held_out_sentences
from rnnlm_cli.formats import lattice_kaldi, lattice_slf
from rnnlm_cli.lattice import Arc, Lattice, topological_order

LN10 = math.log(10.0)


def confusion_network(words, name, rng, confusions, unigram, noise):
    """A lattice whose best path under perfect scores is ``words``."""
    arcs, node = [], 0

    def arc(word, right):
        log10_ac = (0.0 if right else -0.6) + rng.normal(0, noise)
        lm = unigram(word) if word is not None else 0.0
        arcs.append(Arc(node, node + 1, word, log10_ac * LN10, lm))

    for word in words:
        arc(word, True)
        competitors = set()
        for _ in range(int(rng.integers(2, 5))):
            other = None if rng.random() < 0.15 else confusions.similar(word)
            if other != word and other not in competitors:
                competitors.add(other)
                arc(other, False)
        node += 1
        if rng.random() < 0.1:
            arc(None, True)
            arc(confusions.frequent(), False)
            node += 1
    return Lattice(name, 0, arcs, {node: (0.0, 0.0)}, header={"lmscale": "1.0"})


def best_paths(lattice, n):
    """The n best (score, words, acoustic, lm) paths by acoustic + lattice LM: the n best
    partial paths kept at each node in topological order."""
    outgoing = {}
    for arc in lattice.arcs:
        outgoing.setdefault(arc.source, []).append(arc)
    kept = {lattice.start: [(0.0, (), 0.0, 0.0)]}
    for node in topological_order(lattice):
        for score, words, acoustic, lm in kept.pop(node, []):
            for arc in outgoing.get(node, []):
                item = (score + arc.acoustic + arc.lm,
                        words + ((arc.word,) if arc.word else ()),
                        acoustic + arc.acoustic, lm + arc.lm)
                heap = kept.setdefault(arc.target, [])
                if len(heap) < n:
                    heapq.heappush(heap, item)
                else:
                    heapq.heappushpop(heap, item)
            if node in lattice.finals:
                kept.setdefault(("end",), []).append((score, words, acoustic, lm))
    ends = sorted(kept.get(("end",), []), reverse=True)
    distinct, seen = [], set()
    for item in ends:
        if item[1] not in seen:
            seen.add(item[1])
            distinct.append(item)
    return distinct[:n]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--vocab-from", required=True, help="text whose words substitute")
    parser.add_argument("--max-sentences", type=int, default=0)
    parser.add_argument("--n", type=int, default=20, help="paths in each N-best list")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", type=float, default=0.5, help="sd of an arc's acoustic noise")
    parser.add_argument("--out", required=True, help="prefix of the output files")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    confusions = Confusions(args.vocab_from, rng)
    sentences = held_out_sentences(args.text, args.max_sentences)
    total = sum(confusions.counts.values())

    def unigram(word):
        return math.log(confusions.counts.get(word, 1) / total)

    ids = {w: i for i, w in enumerate(confusions.by_rank, 1)}
    folder = os.path.dirname(args.out) or "."
    with open(os.path.join(folder, "words.txt"), "w") as table:
        table.write("<eps> 0\n" + "".join(f"{w} {i}\n" for w, i in ids.items()))
    arcs = 0
    with open(args.out + ".slf", "w") as slf, open(args.out + ".ark", "w") as ark, \
            open(args.out + ".nbest", "w") as nbest, open(args.out + ".nbest.ac", "w") as ac, \
            open(args.out + ".nbest.lm", "w") as lm, open(args.out + ".nbest.ref", "w") as ref:
        for i, words in enumerate(sentences):
            name = f"utt{i:05d}"
            lattice = confusion_network(words, name, rng, confusions, unigram, args.noise)
            arcs += len(lattice.arcs)
            lattice_slf.write(lattice, slf)
            lattice_kaldi.write(lattice, ark, ids)
            ref.write(f"{name} {' '.join(words)}\n")
            for k, (_, hyp, acoustic, old) in enumerate(best_paths(lattice, args.n), 1):
                nbest.write(f"{name} {' '.join(hyp)}\n")
                ac.write(f"{name}-{k} {-acoustic:.4f}\n")
                lm.write(f"{name}-{k} {-old:.4f}\n")
    print(f"{len(sentences)} lattices, {arcs} arcs", file=sys.stderr)


if __name__ == "__main__":
    main()

"""A Markov-chain text source with a known entropy rate, for demos and tests.

Each word's successor distribution is a sparse random distribution over a few
words (``</s>`` included), so the text is a first-order Markov chain whose
entropy rate per token, sum_i pi_i H(P(.|i)), is computed exactly.  A language
model trained on enough of it should approach that entropy from above.

    python -m rnnlm_cli.synthetic OUTDIR [--words 60000] [--seed 1]

writes OUTDIR/{train,valid,test}.txt and prints the true entropy in bits/token.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass

import numpy as np

from .fileio import atomic_output


@dataclass
class MarkovSource:
    words: list[str]          # words[0] is </s>
    transitions: np.ndarray   # (V, V) row-stochastic, row i = P(next | previous i)

    @classmethod
    def random(cls, vocab_size: int = 40, branching: int = 4, seed: int = 1) -> "MarkovSource":
        rng = np.random.default_rng(seed)
        transitions = np.zeros((vocab_size, vocab_size))
        for i in range(vocab_size):
            successors = rng.choice(np.arange(1, vocab_size), branching, replace=False)
            transitions[i, successors] = rng.dirichlet(np.ones(branching))
            if i != 0:  # sentences end with probability 0.15 after any word
                transitions[i] *= 0.85
                transitions[i, 0] = 0.15
        words = ["</s>"] + [f"w{i:02d}" for i in range(1, vocab_size)]
        return cls(words, transitions)

    def stationary(self) -> np.ndarray:
        values, vectors = np.linalg.eig(self.transitions.T)
        pi = np.real(vectors[:, np.argmin(np.abs(values - 1))])
        return pi / pi.sum()

    def entropy_rate(self) -> float:
        """Bits per token (</s> included), the floor for any model's test entropy."""
        p = self.transitions
        logs = np.where(p > 0, np.log2(np.where(p > 0, p, 1)), 0.0)
        return float(-(self.stationary() * (p * logs).sum(axis=1)).sum())

    def sample_lines(self, tokens: int, seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(self.transitions, axis=1)
        lines, current, state = [], [], 0
        for u in rng.random(tokens):
            state = min(int(np.searchsorted(cumulative[state], u, side="right")),
                        len(self.words) - 1)
            if state == 0:
                lines.append(" ".join(current))
                current = []
            else:
                current.append(self.words[state])
        return lines


def write_corpus(folder: str, tokens: int = 60000, seed: int = 1) -> dict:
    """Write train/valid/test (10:1:1 tokens) to ``folder``; return the facts as a dict."""
    source = MarkovSource.random(seed=seed)
    os.makedirs(folder, exist_ok=True)
    sizes = {"train": tokens, "valid": tokens // 10, "test": tokens // 10}
    for offset, (part, size) in enumerate(sizes.items()):
        with atomic_output(os.path.join(folder, f"{part}.txt")) as handle:
            handle.write("".join(line + "\n" for line in
                                 source.sample_lines(size, seed * 100 + offset)).encode())
    return {"folder": folder, "vocabulary": len(source.words),
            "entropy_rate_bits": source.entropy_rate(), "train_tokens": tokens}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rnnlm_cli.synthetic",
                                     description="write a Markov-chain corpus with known entropy")
    parser.add_argument("folder")
    parser.add_argument("--words", type=int, default=60000, help="training tokens")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(write_corpus(args.folder, args.words, args.seed)))


if __name__ == "__main__":
    main()

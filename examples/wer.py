#!/usr/bin/env python3
"""Word error rate of 1-best transcripts against references, both '<id> words' per line.

    python examples/wer.py test.1best test.nbest.ref

Lines are matched by id; prints the WER in per cent (errors / reference words).
"""
import sys

from wer_nbest import edit_distance


def read(path):
    lines = (line.split() for line in open(path, encoding="utf-8"))
    return {fields[0]: fields[1:] for fields in lines if fields}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    hyps, refs = read(sys.argv[1]), read(sys.argv[2])
    missing = sorted(set(refs) - set(hyps))
    if missing:
        sys.exit(f"wer.py: no hypothesis for {len(missing)} references (first: {missing[0]})")
    errors = sum(edit_distance(hyps[key], words) for key, words in refs.items())
    print(f"{100 * errors / sum(len(words) for words in refs.values()):.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The bare command against the same run with a validation file: test perplexity of
``rnnlm train -rnnlm M -train ptb.train.txt`` (validation held out of the training
text) and of the same command with ``-valid ptb.valid.txt``.  Prints JSON.

    python examples/held_out_validation.py --ptb ../shared/data/ptb [-- extra train options]
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def train_and_test(ptb: Path, folder: Path, name: str, extra: list) -> dict:
    model = folder / f"{name}.rnn"
    command = ["rnnlm", "train", "-rnnlm", str(model), "-train", str(ptb / "ptb.train.txt"),
               *extra]
    began = time.time()
    trained = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.time() - began
    scored = subprocess.run(["rnnlm", "eval", "-rnnlm", str(model), "-test",
                             str(ptb / "ptb.test.txt"), "--format", "json", "-q"],
                            capture_output=True, text=True, check=True)
    return {"command": " ".join(command), "test_ppl": round(json.loads(scored.stdout)["ppl"], 2),
            "epochs": len(re.findall(r"^Iter:", trained.stdout, re.M)),
            "held_out": next(iter(re.findall(r"validating on (\d+) sentences",
                                             trained.stderr)), None),
            "train_seconds": round(seconds, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptb", type=Path, default=Path("../shared/data/ptb"))
    parser.add_argument("extra", nargs="*", help="more training options (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bare = train_and_test(args.ptb, Path(folder), "bare", args.extra)
        valid = train_and_test(args.ptb, Path(folder), "valid",
                               [*args.extra, "-valid", str(args.ptb / "ptb.valid.txt")])
    json.dump({"bare": bare, "with_valid": valid,
               "ratio": round(bare["test_ppl"] / valid["test_ppl"], 4)}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

"""Kaldi's way of calling rnnlm (utils/rnnlm_compute_scores.sh), end to end in a shell.

tests/kaldi/compute_scores.sh reproduces that script's steps: map words outside
wordlist.rnn to <RNN_UNK>, run ``rnnlm -independent -rnnlm M -test F -nbest -debug 0``
on lines with unique ids, turn log10 into natural log, check the line count, add the
unknown words' ln(unk.probs) and write costs.
"""
import gzip
import math
import os
import pathlib
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.formats import rnnlm04

SCRIPT = pathlib.Path(__file__).parent / "kaldi" / "compute_scores.sh"
DROPPED = {"UM": 0.25, "PRETTY": 0.5}     # words left out of wordlist.rnn, with unk.probs


@pytest.fixture
def kaldi_setup(tmp_path):
    rnn_dir = tmp_path / "rnn"
    rnn_dir.mkdir()
    model = rnn_dir / "rnnlm"
    with gzip.open(shared_path("reference", "rnnlm-0.4b", "rnn-h20-indep.txt.gz")) as source, \
            open(model, "wb") as out:
        shutil.copyfileobj(source, out)
    words = rnnlm04.read(str(model)).words
    (rnn_dir / "wordlist.rnn").write_text("".join(w + "\n" for w in words if w not in DROPPED))
    (rnn_dir / "unk.probs").write_text("".join(f"{w} {p}\n" for w, p in DROPPED.items()))
    lines = open(shared_path("reference", "rnnlm-0.4b", "nbest.txt")).read().splitlines()
    text = tmp_path / "text"
    text.write_text("".join(f"utt-{k} {' '.join(l.split()[1:])}\n" for k, l in enumerate(lines)))
    wrapper = tmp_path / "rnnlm"
    wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m rnnlm_cli \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return rnn_dir, text, wrapper, words


def test_kaldi_scoring_loop(kaldi_setup, tmp_path):
    rnn_dir, text, wrapper, vocabulary = kaldi_setup
    out = tmp_path / "scores"
    env = dict(os.environ, RNNLM=str(wrapper))
    subprocess.run(["bash", str(SCRIPT), str(rnn_dir), str(tmp_path / "tmp"), str(text),
                    str(out)], check=True, env=env)
    rows = [line.split() for line in out.read_text().splitlines()]
    ids = [l.split()[0] for l in text.read_text().splitlines()]
    assert [r[0] for r in rows] == ids
    costs = np.array([float(r[1]) for r in rows])

    # Expected: each mapped line scored on its own (batched, from the sentence-start
    # state), <RNN_UNK> at rnnlm's -5, plus ln(unk.probs) of the dropped words.
    mapped = tmp_path / "tmp" / "text.nounk"
    scored = subprocess.run([str(wrapper), "nbest-rescore", "-rnnlm", str(rnn_dir / "rnnlm"),
                             "-nbest", str(mapped), "-nbest-format", "rnnlm", "-q"],
                            check=True, capture_output=True, text=True).stdout.split()
    log10p = np.array([float(x) for x in scored])
    known = set(vocabulary) - set(DROPPED)
    unk = np.array([sum(math.log(DROPPED.get(w, 1e-7)) for w in l.split()[1:] if w not in known)
                    for l in text.read_text().splitlines()])
    expected = -(log10p * math.log(10) + unk)
    assert unk.sum() < 0 and "<RNN_UNK>" in mapped.read_text()
    # rnnlm's quirk: the first line starts from the network's initial state, not from the
    # state after </s>; nbest-rescore -carry-over scores it that way.
    carried = subprocess.run([str(wrapper), "nbest-rescore", "-rnnlm", str(rnn_dir / "rnnlm"),
                              "-nbest", str(mapped), "-nbest-format", "rnnlm", "-q",
                              "-carry-over"], check=True, capture_output=True, text=True)
    expected[0] = -(float(carried.stdout.split()[0]) * math.log(10) + unk[0])
    assert abs(expected[0] - -(log10p[0] * math.log(10) + unk[0])) > 0.1   # a real difference
    assert np.max(np.abs(costs - expected) / expected) < 1e-5


def test_line_count_check_fails_loudly(kaldi_setup, tmp_path):
    rnn_dir, text, _, _ = kaldi_setup
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\necho -1.0\n")
    broken.chmod(0o755)
    result = subprocess.run(["bash", str(SCRIPT), str(rnn_dir), str(tmp_path / "t"), str(text),
                             str(tmp_path / "out")], env=dict(os.environ, RNNLM=str(broken)),
                            capture_output=True, text=True)
    assert result.returncode != 0 and "rnnlm rescoring failed" in result.stderr

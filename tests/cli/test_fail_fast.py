"""Checks that need only the command line fail before any input is read, and unknown
options are named as typed.

Every input here is a FIFO that nobody writes: a command that opened one would block
until the timeout, so passing means no input was touched.  Neither NumPy nor Numba
may load on the way to the error, which keeps a script's mistake cheap.
"""
import os
import subprocess
import sys

import pytest

from imports_seen import run_recording_imports


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "never-written"
    os.mkfifo(path)
    return str(path)


def rnnlm(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "rnnlm_cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


BAD_COMBINATIONS = {
    "train: -valid and -valid-fraction": (
        ["train", "-rnnlm", "{dir}/m.rnn", "-train", "{fifo}", "-valid", "{fifo}",
         "-valid-fraction", "0.1"], "give -valid FILE or -valid-fraction F, not both"),
    "train: -threads on the GPU": (
        ["train", "-rnnlm", "{dir}/m.rnn", "-train", "{fifo}", "-threads", "2", "--device",
         "cuda"], "--device cuda trains on one thread"),
    "train: output folder missing": (
        ["train", "-rnnlm", "{dir}/missing/m.rnn", "-train", "{fifo}"], "cannot write here"),
    "train: -valid-fraction out of range": (
        ["train", "-rnnlm", "{dir}/m.rnn", "-train", "{fifo}", "-valid-fraction", "0.9"],
        "-valid-fraction must be between 0 and 0.5"),
    "train: -nce on the GPU": (
        ["train", "-rnnlm", "{dir}/m.rnn", "-train", "{fifo}", "-nce", "5", "--device", "cuda"],
        "--device cuda: the full softmax layer does not support it"),
    "eval: -dynamic on the GPU": (
        ["eval", "-rnnlm", "{fifo}", "-test", "{fifo}", "-independent", "-dynamic", "0.1",
         "--device", "cuda"], "-dynamic is CPU-only"),
    "nbest-rescore: costs with SRILM lists": (
        ["nbest-rescore", "-rnnlm", "{fifo}", "-nbest", "{fifo}", "-nbest-format", "srilm",
         "-ac-cost", "{fifo}"], "-ac-cost and -lm-cost go with rnnlm or Kaldi lists"),
    "nbest-rescore: two inputs": (
        ["nbest-rescore", "-rnnlm", "{fifo}", "-nbest", "{fifo}", "-nbest-files", "{fifo}"],
        "give one of -nbest FILE or -nbest-files LIST"),
    "ngram-count: -text and -read": (
        ["ngram-count", "-text", "{fifo}", "-read", "{fifo}"], "give one of -text or -read"),
    "ngram-count: discount out of range": (
        ["ngram-count", "-text", "{fifo}", "-cdiscount", "2", "-lm", "{dir}/lm.arpa"],
        "-cdiscount must be between 0 and 1"),
    "sample: zero temperature": (
        ["sample", "-rnnlm", "{fifo}", "-temperature", "0"], "-temperature"),
    "convert: output folder missing": (
        ["convert", "-rnnlm", "{fifo}", "-out", "{dir}/missing/x.txt"], "cannot write here"),
}


@pytest.mark.parametrize("case", BAD_COMBINATIONS)
def test_bad_options_fail_before_any_input_is_read(fifo, tmp_path, case):
    args, message = BAD_COMBINATIONS[case]
    done, heavy = run_recording_imports([a.format(fifo=fifo, dir=tmp_path) for a in args],
                                        tmp_path / "imports.txt")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr
    assert heavy == []          # nothing but Python and Click started


@pytest.mark.parametrize("command", [["train", "-rnnlm", "m", "-train"], ["eval", "-rnnlm"],
                                     ["nbest-rescore", "-nbest"], ["ngram-count", "-text"],
                                     ["sample", "-rnnlm"], ["convert", "-out", "x", "-rnnlm"]])
@pytest.mark.parametrize("typed", ["-rmsprop", "-foo", "--hidden-typo"])
def test_an_unknown_option_is_named_as_typed(fifo, command, typed):
    done = rnnlm(*command, fifo, typed, "20")
    assert done.returncode == 2
    assert f"error: no such option '{typed}'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("typed,suggested", [("-hiden", "-hidden"),
                                             ("--hidden-typo", "--hidden-type"),
                                             ("-max-iters", "-max-iter")])
def test_a_close_option_is_suggested(fifo, typed, suggested):
    done = rnnlm("train", "-rnnlm", "m", "-train", fifo, typed, "3")
    assert "did you mean " in done.stderr and suggested in done.stderr.split("did you mean")[1]


def test_single_letter_flags_do_not_cluster(fifo):
    """-qq is not -q -q, and a known option's value may be negative."""
    done = rnnlm("eval", "-rnnlm", fifo, "-test", fifo, "-qq")
    assert done.returncode == 2 and "no such option '-qq' (did you mean -q?)" in done.stderr
    done = rnnlm("nbest-rescore", "-nbest", fifo, "-oov-penalty", "-7", "-nce", "1")
    assert "no such option '-nce'" in done.stderr and "-7" not in done.stderr


def test_dropin_mode_names_unknown_options_whole(tmp_path):
    """rnnlm 0.4b ignores unknown arguments; the drop-in mode does too, with a warning
    that names each option as typed."""
    done = rnnlm("-rnnlm", tmp_path / "missing", "-test", tmp_path / "t", "-hiden", "4")
    assert "ignoring unknown arguments: '-hiden' (did you mean -hidden" in done.stderr

"""Smoke tests of the recipes in examples/ (QUICK=1), through the installed command.

The PTB recipes must end with an interpolation that beats both of its models (the
gated one's last line is a JSON report whose test perplexity eval reproduces); the
N-best recipe's production command (rnnlm nbest-rescore -output best with the tuned
weights) must reproduce the word error rate its tuning script measured.  Without
../shared they run on a synthetic corpus under PTB's file names.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import SHARED
from rnnlm_cli.synthetic import write_corpus

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def recipe(script, *args):
    env = dict(os.environ, QUICK="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run(["bash", os.path.join(EXAMPLES, script), *map(str, args)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def corpus_folder(folder):
    """../shared's PTB when present, else a Markov-source corpus (40 words, 120k training
    tokens) written under PTB's file names into ``folder``."""
    ptb = os.path.join(SHARED, "data", "ptb")
    if os.path.exists(os.path.join(ptb, "ptb.train.txt")):
        return ptb
    write_corpus(str(folder), tokens=120000, seed=3)
    for part in ("train", "valid", "test"):
        os.replace(folder / f"{part}.txt", folder / f"ptb.{part}.txt")
    return folder


@pytest.fixture(scope="module")
def ptb_run(tmp_path_factory):
    data = corpus_folder(tmp_path_factory.mktemp("corpus"))
    work = tmp_path_factory.mktemp("ptb")
    return data, work, recipe("ptb_rnnme_kn5.sh", data, work)


def test_ptb_recipe_interpolation_beats_both_models(ptb_run):
    _, _, out = ptb_run
    numbers = {name: float(value) for name, value in
               re.findall(r"^\s+(KN5|RNNME|RNNME\+KN5):\s+([\d.]+)", out, re.M)}
    assert set(numbers) == {"KN5", "RNNME", "RNNME+KN5"}
    assert numbers["RNNME+KN5"] < min(numbers["KN5"], numbers["RNNME"])
    assert out.count("signature: ") == 3 and "lambda:" in out


@pytest.mark.slow     # a minute of the CI budget; run with -m slow
def test_nbest_recipe_best_output_matches_its_tuning(ptb_run):
    data, work, _ = ptb_run
    out = recipe("nbest_rescoring.sh", work / "rnnme.rnn", work / "kn5.arpa.gz", data,
                 work / "nbest")
    wer = {name.strip(): float(value) for name, value in
           re.findall(r"^\s+(.+?)\s+test WER\s+([\d.]+)%", out, re.M)}
    assert wer["rnnlm nbest-rescore -output best"] == wer["RNN+KN5 (lambda chosen on dev)"]
    assert wer["RNN+KN5 (lambda chosen on dev)"] < wer["acoustic only"]


@pytest.mark.slow     # half a minute of the CI budget; run with -m slow
def test_gated_recipe_reports_its_model_in_json(tmp_path):
    data = corpus_folder(tmp_path / "corpus")
    out = recipe("ptb_gated.sh", data, tmp_path / "gated")
    report = json.loads(out.strip().splitlines()[-1])
    assert set(report) >= {"model_path", "command", "valid_ppl", "test_ppl", "epochs",
                           "train_wall_s", "peak_rss_mb", "kn5_test_ppl",
                           "interpolated_test_ppl"}
    assert report["command"].startswith("rnnlm train ") and "-hidden-type lstm" in report["command"]
    assert report["interpolated_test_ppl"] < min(report["kn5_test_ppl"], report["test_ppl"])
    assert report["epochs"] >= 1 and report["train_wall_s"] > 0 and report["peak_rss_mb"] > 0
    scored = subprocess.run(["rnnlm", "eval", "-rnnlm", report["model_path"], "-test",
                             os.path.join(data, "ptb.test.txt"), "--format", "srilm"],
                            capture_output=True, text=True,
                            env=dict(os.environ, PATH=os.path.dirname(sys.executable)
                                     + os.pathsep + os.environ["PATH"]))
    ppl = float(re.search(r" ppl= ([\d.]+)", scored.stdout).group(1))
    assert ppl == pytest.approx(report["test_ppl"], abs=0.01)

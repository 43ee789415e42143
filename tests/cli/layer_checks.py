"""Checks shared by the hidden-layer command tests (test_gated_layers.py,
test_stacked_layers.py): run a command, train and measure how close a model gets to
its source's entropy, N-best scores against word-by-word scoring, bit-exact resume."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.batch import sentence_start_state
from rnnlm_cli.cli import main
from rnnlm_cli.model import Model
from rnnlm_cli.synthetic import write_corpus
from rnnlm_cli.trainer import TrainingEvents, train_file
from rnnlm_cli.training import Supervision, TrainingInterrupted


def source_corpus(tmp_path_factory, name: str, seed: int = 8):
    """A synthetic corpus of known entropy (rnnlm_cli.synthetic): (folder, bits per word)."""
    folder = tmp_path_factory.mktemp(name)
    facts = write_corpus(str(folder), tokens=30000, seed=seed)
    return folder, facts["entropy_rate_bits"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def bits_per_word(folder, model) -> float:
    out = run("eval", "-rnnlm", model, "-test", folder / "test.txt", "--format", "json")
    return float(np.log2(json.loads(out.stdout)["ppl"]))


def train_and_measure(folder, path, *options) -> float:
    """Train on the corpus in ``folder`` with ``options``; its test entropy in bits."""
    result = run("train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
                 folder / "valid.txt", *options, "-q")
    assert result.exit_code == 0, result.output
    return bits_per_word(folder, path)


def check_rescoring_equals_word_by_word(folder, model, tmp_path):
    """nbest-rescore's batched scores equal each hypothesis scored alone, word by word."""
    lines = (folder / "test.txt").read_text().splitlines()[:6]
    nbest = tmp_path / "n.txt"
    nbest.write_text("".join(f"{k // 3} {line}\n" for k, line in enumerate(lines)))
    batched = [float(x) for x in run("nbest-rescore", "-rnnlm", model, "-nbest",
                                     nbest).stdout.split()]
    loaded = Model.load(str(model))
    start = sentence_start_state(loaded.network)
    sequential = []
    for line in lines:
        ws = loaded.network.workspace()
        ws.start(start)
        ids = [loaded.vocab.index[w] for w in line.split()] + [0]
        sequential.append(float(loaded.network.score(np.array(ids, np.int32), ws).sum()))
    np.testing.assert_allclose(batched, sequential, atol=2e-5)


def check_resume_is_bit_exact(text, config, options, tmp_path):
    """A run stopped after its third checkpoint and resumed ends with the weights of an
    uninterrupted one; returns those weights."""
    whole = train_file(str(tmp_path / "whole.rnn"), text, None, config, options)
    asked = []
    stop = TrainingEvents(supervision=Supervision(
        stop_requested=lambda: asked.append(1) or len(asked) >= 3))
    with pytest.raises(TrainingInterrupted):
        train_file(str(tmp_path / "m.rnn"), text, None, config, options, events=stop)
    assert Model.load(str(tmp_path / "m.rnn")).checkpoint is not None
    resumed = train_file(str(tmp_path / "m.rnn"), text, None, config, options)
    for name, array in whole.network.weights().items():
        np.testing.assert_array_equal(resumed.network.weights()[name], array, err_msg=name)
    return whole.network.weights()

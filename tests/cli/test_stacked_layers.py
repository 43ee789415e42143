"""Stacked hidden layers (-layers N) through the commands: training with BPTT, maxent
and dropout; eval, batched N-best rescoring against word-by-word scoring, sampling;
bit-exact resume; architecture changes refused on resume; one-line refusals (-batch,
rnnlm 0.4b export, -layers 0)."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.batch import sentence_start_state
from rnnlm_cli.cli import main
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.model import Model
from rnnlm_cli.synthetic import write_corpus
from rnnlm_cli.trainer import TrainingEvents, train_file
from rnnlm_cli.training import Supervision, TrainingInterrupted


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    facts = write_corpus(str(folder), tokens=30000, seed=9)
    return folder, facts["entropy_rate_bits"]


@pytest.fixture(scope="module", params=["sigmoid", "lstm"])
def model(corpus, request):
    folder, _ = corpus
    path = folder / f"{request.param}.rnn"
    result = run("train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
                 folder / "valid.txt", "-hidden-type", request.param, "-layers", "2",
                 "-hidden", "16", "-bptt", "3", "-direct", "0.1", "-dropout", "0.1", "-q")
    assert result.exit_code == 0, result.output
    return path


def test_the_stack_learns_the_source(corpus, model):
    folder, entropy = corpus
    out = run("eval", "-rnnlm", model, "-test", folder / "test.txt", "--format", "json")
    assert np.log2(json.loads(out.stdout)["ppl"]) < entropy + 0.2
    assert Model.load(str(model)).config.layers == 2


def test_batched_rescoring_equals_word_by_word_scoring(corpus, model, tmp_path):
    folder, _ = corpus
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
    assert run("sample", "-rnnlm", model, "-n", "3").exit_code == 0


def test_resume_from_a_checkpoint_is_bit_exact(corpus, tmp_path):
    folder, _ = corpus
    config = ModelConfig(hidden=8, hidden_type="gru", layers=3, bptt=3, direct=0.05)
    options = TrainConfig(max_iter=2, checkpoint_every=6000, dropout=0.2)
    text = str(folder / "train.txt")
    whole = train_file(str(tmp_path / "whole.rnn"), text, None, config, options)
    asked = []
    stop = TrainingEvents(supervision=Supervision(
        stop_requested=lambda: asked.append(1) or len(asked) >= 3))
    with pytest.raises(TrainingInterrupted):
        train_file(str(tmp_path / "m.rnn"), text, None, config, options, events=stop)
    resumed = train_file(str(tmp_path / "m.rnn"), text, None, config, options)
    assert set(whole.network.weights()) >= {"U", "W", "U_2", "W_2", "U_3", "W_3"}
    for name, array in whole.network.weights().items():
        np.testing.assert_array_equal(resumed.network.weights()[name], array, err_msg=name)


def test_refusals_are_one_line(corpus, model, tmp_path):
    folder, _ = corpus
    for extra, says in [(["-layers", "0"], "-layers must be at least 1"),
                        (["-layers", "2", "-batch", "8"], "stacked hidden layers (-layers)")]:
        result = run("train", "-rnnlm", tmp_path / "b.rnn", "-train", folder / "train.txt",
                     *extra)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert says in result.stderr
    export = run("convert", "-rnnlm", model, "-out", tmp_path / "x.txt", "-to", "rnnlm0.4b")
    assert export.exit_code != 0 and "has one hidden layer" in export.stderr
    assert export.stderr.count("\n") == 1 and not (tmp_path / "x.txt").exists()
    resume = run("train", "-rnnlm", model, "-train", folder / "train.txt", "-layers", "3")
    assert resume.exit_code != 0 and "-layers" in resume.stderr

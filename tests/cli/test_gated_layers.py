"""GRU, LSTM and SCRN models (-hidden-type gru|lstm|scrn) through the commands: training with
BPTT, maxent, both output layers and Hogwild threads; eval, N-best rescoring and
sampling; resume; -dropout and -clip-norm; one-line refusals where no kernels exist
yet (-batch, rnnlm 0.4b export)."""
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
    folder = tmp_path_factory.mktemp("gru")
    facts = write_corpus(str(folder), tokens=30000, seed=8)
    return folder, facts["entropy_rate_bits"]


LAYERS = {"gru": [], "lstm": [], "scrn": ["-scrn-context", "12"]}
TITLES = {"gru": "GRU", "lstm": "LSTM", "scrn": "SCRN"}


@pytest.fixture(scope="module", params=LAYERS)
def hidden(request):
    return request.param


@pytest.fixture(scope="module", params=["class", "hs"])
def model(corpus, hidden, request):
    folder, _ = corpus
    path = folder / f"{hidden}-{request.param}.rnn"
    result = run("train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
                 folder / "valid.txt", "-hidden-type", hidden, *LAYERS[hidden], "-hidden", "16",
                 "-bptt", "3", "-direct", "0.1", "--output", request.param, "-q")
    assert result.exit_code == 0, result.output
    return path


def test_the_model_learns_the_source(corpus, model):
    folder, entropy = corpus
    out = run("eval", "-rnnlm", model, "-test", folder / "test.txt", "--format", "json")
    bits = np.log2(json.loads(out.stdout)["ppl"])
    assert bits < entropy + 0.15                  # uniform over 40 words: 5.3 bits


def test_rescoring_sampling_and_dynamic_evaluation(corpus, model, tmp_path):
    folder, _ = corpus
    lines = (folder / "test.txt").read_text().splitlines()[:6]
    nbest = tmp_path / "n.txt"
    nbest.write_text("".join(f"{k // 3} {line}\n" for k, line in enumerate(lines)))
    batched = [float(x) for x in run("nbest-rescore", "-rnnlm", model, "-nbest",
                                     nbest).stdout.split()]
    loaded = Model.load(str(model))                 # each hypothesis alone, word by word
    start = sentence_start_state(loaded.network)
    sequential = []
    for line in lines:
        ws = loaded.network.workspace()
        ws.start(start)
        ids = [loaded.vocab.index[w] for w in line.split()] + [0]
        sequential.append(float(loaded.network.score(np.array(ids, np.int32), ws).sum()))
    np.testing.assert_allclose(batched, sequential, atol=2e-5)
    assert run("sample", "-rnnlm", model, "-n", "3").exit_code == 0
    dynamic = run("eval", "-rnnlm", model, "-test", folder / "test.txt", "-dynamic", "0.05")
    assert dynamic.exit_code == 0 and "PPL net:" in dynamic.stdout


def test_two_threads_train_it(corpus, hidden, tmp_path):
    folder, entropy = corpus
    path = tmp_path / "t.rnn"
    result = run("train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
                 folder / "valid.txt", "-hidden-type", hidden, *LAYERS[hidden], "-hidden", "12",
                 "-bptt", "2", "-threads", "2", "-q")
    assert result.exit_code == 0, result.output
    out = run("eval", "-rnnlm", path, "-test", folder / "test.txt", "--format", "json")
    assert np.log2(json.loads(out.stdout)["ppl"]) < entropy + 0.3


def test_resume_from_a_checkpoint_is_bit_exact(corpus, hidden, tmp_path):
    """With -dropout and -clip-norm too: the resumed run must draw the same masks."""
    folder, _ = corpus
    config = ModelConfig(hidden=8, hidden_type=hidden, bptt=3, direct=0.05,
                         scrn_context=6 if hidden == "scrn" else 0)
    options = TrainConfig(max_iter=2, checkpoint_every=6000, dropout=0.3, clip_norm=1.0)
    text = str(folder / "train.txt")
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


def test_dropout_trains_it(corpus, hidden, tmp_path):
    folder, entropy = corpus
    path = tmp_path / "d.rnn"
    result = run("train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
                 folder / "valid.txt", "-hidden-type", hidden, *LAYERS[hidden], "-hidden", "16",
                 "-bptt", "3", "-dropout", "0.25", "-q")
    assert result.exit_code == 0, result.output
    out = run("eval", "-rnnlm", path, "-test", folder / "test.txt", "--format", "json")
    assert np.log2(json.loads(out.stdout)["ppl"]) < entropy + 0.25


def test_refusals_are_one_line(corpus, hidden, model, tmp_path):
    folder, _ = corpus
    batch = run("train", "-rnnlm", tmp_path / "b.rnn", "-train", folder / "train.txt",
                "-hidden-type", hidden, "-batch", "8")
    assert batch.exit_code == 2 and batch.stderr.count("\n") == 1
    assert f"{TITLES[hidden]} layer does not support it" in batch.stderr
    dropout = run("train", "-rnnlm", tmp_path / "b.rnn", "-train", folder / "train.txt",
                  "-hidden-type", hidden, "-batch", "8", "-dropout", "0.2")
    assert dropout.exit_code == 2 and dropout.stderr.count("\n") == 1
    assert "-dropout and -clip-norm belong to the per-word trainer" in dropout.stderr
    export = run("convert", "-rnnlm", model, "-out", tmp_path / "x.txt", "-to", "rnnlm0.4b")
    assert export.exit_code != 0 and TITLES[hidden] in export.stderr
    assert export.stderr.count("\n") == 1 and not (tmp_path / "x.txt").exists()


def test_scrn_context_goes_with_scrn(corpus, tmp_path):
    folder, _ = corpus
    result = run("train", "-rnnlm", tmp_path / "x.rnn", "-train", folder / "train.txt",
                 "-scrn-context", "10")
    assert result.exit_code == 2 and "-scrn-context goes with -hidden-type scrn" in result.stderr

"""Stacked hidden layers (-layers N) through the commands: training with BPTT, maxent
and dropout; eval, batched N-best rescoring against word-by-word scoring, sampling;
bit-exact resume; mini-batch training (-batch); architecture changes refused on resume;
one-line refusals (--device cuda, rnnlm 0.4b export, -layers 0)."""
import pytest

from layer_checks import (check_rescoring_equals_word_by_word, check_resume_is_bit_exact,
                          run, source_corpus, train_and_measure)
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.model import Model


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return source_corpus(tmp_path_factory, "stack", seed=9)


@pytest.fixture(scope="module", params=["sigmoid", pytest.param("lstm", marks=pytest.mark.slow)])
def trained(corpus, request):
    folder, _ = corpus
    path = folder / f"{request.param}.rnn"
    bits = train_and_measure(folder, path, "-hidden-type", request.param, "-layers", "2",
                             "-hidden", "16", "-bptt", "3", "-direct", "0.1", "-dropout", "0.1")
    return path, bits


@pytest.fixture
def model(trained):
    return trained[0]


def test_the_stack_learns_the_source(corpus, trained):
    _, entropy = corpus
    path, bits = trained
    assert bits < entropy + 0.2
    assert Model.load(str(path)).config.layers == 2


def test_batch_training_trains_the_stack(corpus, tmp_path):
    folder, entropy = corpus
    bits = train_and_measure(folder, tmp_path / "b.rnn", "-layers", "2", "-hidden", "16",
                             "-bptt", "3", "-batch", "8")
    assert bits < entropy + 0.3


def test_batched_rescoring_equals_word_by_word_scoring(corpus, model, tmp_path):
    folder, _ = corpus
    check_rescoring_equals_word_by_word(folder, model, tmp_path)
    assert run("sample", "-rnnlm", model, "-n", "3").exit_code == 0


def test_resume_from_a_checkpoint_is_bit_exact(corpus, tmp_path):
    folder, _ = corpus
    config = ModelConfig(hidden=8, hidden_type="gru", layers=3, bptt=3, direct=0.05)
    options = TrainConfig(max_iter=2, checkpoint_every=6000, dropout=0.2)
    weights = check_resume_is_bit_exact(str(folder / "train.txt"), config, options, tmp_path)
    assert set(weights) >= {"U", "W", "U_2", "W_2", "U_3", "W_3"}


def test_refusals_are_one_line(corpus, model, tmp_path):
    folder, _ = corpus
    for extra, says in [(["-layers", "0"], "-layers must be at least 1"),
                        (["-layers", "2", "--device", "cuda"], "stacked hidden layers (-layers)"),
                        (["-dropout", "0.2", "--device", "cuda"], "the GPU trainer has neither")]:
        result = run("train", "-rnnlm", tmp_path / "b.rnn", "-train", folder / "train.txt",
                     *extra)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert says in result.stderr
    export = run("convert", "-rnnlm", model, "-out", tmp_path / "x.txt", "-to", "rnnlm0.4b")
    assert export.exit_code != 0 and "has one hidden layer" in export.stderr
    assert export.stderr.count("\n") == 1 and not (tmp_path / "x.txt").exists()
    resume = run("train", "-rnnlm", model, "-train", folder / "train.txt", "-layers", "3")
    assert resume.exit_code != 0 and "-layers" in resume.stderr

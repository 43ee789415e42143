"""GRU, LSTM and SCRN models (-hidden-type gru|lstm|scrn) through the commands: training with
BPTT, maxent, both output layers and Hogwild threads; eval, N-best rescoring and
sampling; resume; -dropout and -clip-norm; mini-batch training (-batch, with both
regularisers); one-line refusal of rnnlm 0.4b export (tests/cuda has the GPU's)."""
import numpy as np
import pytest

from layer_checks import (bits_per_word, check_rescoring_equals_word_by_word,
                          check_resume_is_bit_exact, run, source_corpus,
                          train_and_measure)
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.model import Model


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return source_corpus(tmp_path_factory, "gru")


LAYERS = {"gru": [], "lstm": [], "scrn": ["-scrn-context", "12"]}
TITLES = {"gru": "GRU", "lstm": "LSTM", "scrn": "SCRN"}


@pytest.fixture(scope="module", params=LAYERS)
def hidden(request):
    return request.param


# one output layer per type, both covered (tests/test_layers.py checks every pair's kernels)
OUTPUT_OF = {"gru": "hs", "lstm": "class", "scrn": "hs"}


@pytest.fixture(scope="module")
def model(corpus, hidden):
    folder, _ = corpus
    output = OUTPUT_OF[hidden]
    path = folder / f"{hidden}-{output}.rnn"
    train_and_measure(folder, path, "-hidden-type", hidden, *LAYERS[hidden], "-hidden", "16",
                      "-bptt", "3", "-direct", "0.1", "--output", output)
    return path


def test_the_model_learns_the_source(corpus, model):
    folder, entropy = corpus
    assert bits_per_word(folder, model) < entropy + 0.15    # uniform over 40 words: 5.3 bits


def test_rescoring_sampling_and_dynamic_evaluation(corpus, model, tmp_path):
    folder, _ = corpus
    check_rescoring_equals_word_by_word(folder, model, tmp_path)
    assert run("sample", "-rnnlm", model, "-n", "3").exit_code == 0
    dynamic = run("eval", "-rnnlm", model, "-test", folder / "test.txt", "-dynamic", "0.05")
    assert dynamic.exit_code == 0 and "PPL net:" in dynamic.stdout


@pytest.mark.parametrize("options, bound", [(["-hidden", "12", "-bptt", "2", "-threads", "2"], 0.3),
                                            (["-hidden", "16", "-bptt", "3", "-dropout", "0.25"],
                                             0.25)])
def test_two_threads_and_dropout_train_it(corpus, hidden, tmp_path, options, bound):
    folder, entropy = corpus
    bits = train_and_measure(folder, tmp_path / "t.rnn", "-hidden-type", hidden,
                             *LAYERS[hidden], *options)
    assert bits < entropy + bound


def test_batch_training_learns_it_determined_by_its_seed(corpus, hidden, tmp_path):
    """-batch trains each gated type (batch_layers.py), with -dropout and -clip-norm, on
    one thread or two (Hogwild, each with its own streams); two one-thread runs of the
    same command write the same weights (the dropout masks come from the seed: checked
    on one type, the masks do not depend on it)."""
    folder, entropy = corpus
    options = ["-hidden-type", hidden, *LAYERS[hidden], "-hidden", "16", "-bptt", "3",
               "-batch", "8", "-dropout", "0.1", "-clip-norm", "5",
               "-threads", "1" if hidden == "gru" else "2"]
    bits = train_and_measure(folder, tmp_path / "a.rnn", *options)
    assert bits < entropy + 0.3
    if hidden != "gru":
        return
    train_and_measure(folder, tmp_path / "b.rnn", *options)
    first, second = (Model.load(str(tmp_path / name)).network.weights()
                     for name in ("a.rnn", "b.rnn"))
    for name, array in first.items():
        np.testing.assert_array_equal(second[name], array, err_msg=name)


def test_resume_from_a_checkpoint_is_bit_exact(corpus, hidden, tmp_path):
    """With -dropout and -clip-norm too: the resumed run must draw the same masks."""
    folder, _ = corpus
    config = ModelConfig(hidden=8, hidden_type=hidden, bptt=3, direct=0.05,
                         scrn_context=6 if hidden == "scrn" else 0)
    options = TrainConfig(max_iter=2, checkpoint_every=6000, dropout=0.3, clip_norm=1.0)
    check_resume_is_bit_exact(str(folder / "train.txt"), config, options, tmp_path)


def test_refusals_are_one_line(corpus, hidden, model, tmp_path):
    folder, _ = corpus
    export = run("convert", "-rnnlm", model, "-out", tmp_path / "x.txt", "-to", "rnnlm0.4b")
    assert export.exit_code != 0 and TITLES[hidden] in export.stderr
    assert export.stderr.count("\n") == 1 and not (tmp_path / "x.txt").exists()


def test_scrn_context_goes_with_scrn(corpus, tmp_path):
    folder, _ = corpus
    result = run("train", "-rnnlm", tmp_path / "x.rnn", "-train", folder / "train.txt",
                 "-scrn-context", "10")
    assert result.exit_code == 2 and "-scrn-context goes with -hidden-type scrn" in result.stderr

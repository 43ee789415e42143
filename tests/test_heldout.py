"""Training without -valid: every k-th sentence of the training text validates."""
import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.cli import main
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.corpus import Corpus
from rnnlm_cli.errors import ConfigError, InputError
from rnnlm_cli.heldout import DEFAULT_FRACTION, MAX_SENTENCES, every_kth, fraction_to_hold_out, \
    hold_out
from rnnlm_cli.model import Model
from rnnlm_cli.synthetic import write_corpus
from rnnlm_cli.trainer import TrainingEvents, train_file


def test_every_kth_sentence_is_held_out():
    # sentences: [5] [6 7] [8] [9 10 11] [12] [13]  (</s> = 0 closes each)
    tokens = np.array([5, 0, 6, 7, 0, 8, 0, 9, 10, 11, 0, 12, 0, 13, 0], np.int32)
    training, valid = hold_out(Corpus("t", tokens, 6), 3)
    assert valid.tokens.tolist() == [8, 0, 13, 0]                     # sentences 3 and 6
    assert training.tokens.tolist() == [5, 0, 6, 7, 0, 9, 10, 11, 0, 12, 0]
    assert (training.sentences, valid.sentences) == (4, 2)


def test_too_few_sentences_is_one_clear_error():
    with pytest.raises(InputError, match="too few to hold out every 50th"):
        hold_out(Corpus("t", np.array([5, 0, 6, 0], np.int32), 2), 50)


def test_the_fraction_and_its_cap():
    assert fraction_to_hold_out(TrainConfig()) == DEFAULT_FRACTION
    assert fraction_to_hold_out(TrainConfig(max_iter=3)) == 0.0
    assert fraction_to_hold_out(TrainConfig(one_iter=True)) == 0.0
    assert fraction_to_hold_out(TrainConfig(max_iter=3, valid_fraction=0.1)) == 0.1
    assert every_kth(42068, 0.02) == 50
    assert every_kth(40_000_000, 0.02) == 40_000_000 // MAX_SENTENCES   # capped
    with pytest.raises(ConfigError):
        TrainConfig(valid_fraction=0.6)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heldout")
    write_corpus(str(folder), tokens=30000, seed=6)
    return folder


def test_the_bare_command_trains_on_the_rest_and_records_the_rule(corpus, tmp_path):
    model_path = tmp_path / "m.rnn"
    result = CliRunner().invoke(main, ["train", "-rnnlm", str(model_path), "-train",
                                       str(corpus / "train.txt"), "-hidden", "10"])
    assert result.exit_code == 0, result.output
    sentences = len((corpus / "train.txt").read_text().splitlines())
    held = sentences // 50
    assert f"validating on {held} sentences held out" in result.stderr
    assert "VALID entropy" in result.stdout
    model = Model.load(str(model_path))
    assert (model.state.held_out_every, model.state.held_out_sentences) == (50, held)
    assert model.state.finished and model.state.epochs_done > 1
    signature = result.stdout.strip().splitlines()[-1]
    assert f"|heldout:{held}|" in signature
    scored = CliRunner().invoke(main, ["eval", "-rnnlm", str(model_path), "-test",
                                       str(corpus / "test.txt")])
    assert scored.stdout.strip().splitlines()[-1] == signature


def test_max_iter_without_valid_holds_nothing_out(corpus, tmp_path):
    model = train_file(str(tmp_path / "m.rnn"), str(corpus / "train.txt"), None,
                       ModelConfig(hidden=6), TrainConfig(max_iter=1))
    assert model.state.held_out_sentences == 0


def test_a_resumed_run_holds_out_the_same_sentences(corpus, tmp_path):
    """Stopped inside epoch 2 and resumed: the same training tokens, so the checkpoint's
    position is valid and the run ends as an uninterrupted one (one thread: exactly)."""
    from rnnlm_cli.training import Supervision, TrainingInterrupted
    config, options = ModelConfig(hidden=6), TrainConfig(checkpoint_every=7000)
    whole = train_file(str(tmp_path / "whole.rnn"), str(corpus / "train.txt"), None,
                       config, options)
    path, epochs, asked = str(tmp_path / "m.rnn"), [], []

    def stop_inside_epoch_2():      # the first question after epoch 1 is at its end
        asked.extend([1] if epochs else [])
        return len(asked) >= 2
    stop = TrainingEvents(epoch_done=epochs.append,
                          supervision=Supervision(stop_requested=stop_inside_epoch_2))
    with pytest.raises(TrainingInterrupted):
        train_file(path, str(corpus / "train.txt"), None, config, options, events=stop)
    assert Model.load(path).checkpoint is not None
    resumed = train_file(path, str(corpus / "train.txt"), None, config, options)
    assert resumed.state.held_out_sentences == whole.state.held_out_sentences
    for name, array in whole.network.weights().items():
        np.testing.assert_array_equal(resumed.network.weights()[name], array, err_msg=name)

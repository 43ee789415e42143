"""-average epoch (rnnlm_cli/averaging.py): what is sampled, that training goes on from
the unaveraged weights, that the file keeps them until training ends, bit-exact resume
between and within epochs, and that the mean scores better (what -hs implies:
test_hierarchical_softmax.py)."""
import numpy as np
import pytest

from layer_checks import check_resume_is_bit_exact, source_corpus, train_and_measure
from rnnlm_cli import averaging
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.errors import ModelFileError
from rnnlm_cli.formats import model_file
from rnnlm_cli.model import Model
from rnnlm_cli.trainer import TrainingEvents, train_file

HS = ModelConfig(hidden=8, output="hs", bptt=3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return source_corpus(tmp_path_factory, "averaging")


class _Weights:
    """A stand-in network whose single weight is set by the test."""

    def __init__(self):
        self.value = np.zeros(2, np.float32)

    def weights(self):
        return {"W": self.value, "h_init": np.full(2, 9.0, np.float32)}


def test_the_mean_is_sampled_at_each_multiple_and_at_the_end():
    net, every = _Weights(), 100
    mean = averaging.EpochMean(net, every)
    for done, value in [(every // 2, 1.0), (every, 2.0), (every + 5, 3.0), (3 * every + 1, 4.0),
                        (3 * every + 7, 5.0)]:
        net.value[:] = value
        mean.progress(done)
    # sampled: 2.0 (at every), 4.0 (crossing 2*every and 3*every: once), 5.0 (the end)
    result = mean.finish()
    np.testing.assert_allclose(result["W"], np.full(2, (2.0 + 4.0 + 5.0) / 3))
    assert "h_init" not in result          # the scoring start state is not averaged


def test_a_pass_ending_on_a_multiple_is_not_sampled_twice():
    net, every = _Weights(), 100
    mean = averaging.EpochMean(net, every)
    net.value[:] = 1.0
    mean.progress(every)
    net.value[:] = 3.0
    mean.progress(2 * every)
    np.testing.assert_allclose(mean.finish()["W"], np.full(2, 2.0))


class _StopAfterFirstEpoch(Exception):
    pass


def _first_epoch_then_stop(path, text, config, options):
    def stop(report):
        raise _StopAfterFirstEpoch()
    with pytest.raises(_StopAfterFirstEpoch):
        train_file(str(path), text, None, config, options,
                   events=TrainingEvents(epoch_done=stop))
    return Model.load(str(path))


def test_training_goes_on_from_the_unaveraged_weights_which_the_file_keeps(corpus, tmp_path):
    folder, _ = corpus
    text = str(folder / "train.txt")
    plain = _first_epoch_then_stop(tmp_path / "plain.rnn", text, HS, TrainConfig(max_iter=3))
    averaged = _first_epoch_then_stop(tmp_path / "avg.rnn", text, HS,
                                      TrainConfig(max_iter=3, average="epoch"))
    assert plain.iterate is None
    weights = averaged.network.weights()
    for name, array in plain.network.weights().items():
        if name == "h_init" or array.size == 0:     # not averaged; no maxent here
            continue
        np.testing.assert_array_equal(averaged.iterate[name], array, err_msg=name)
        assert not np.array_equal(weights[name], array), name      # the mean differs


def test_the_finished_file_holds_only_the_mean(corpus, tmp_path):
    folder, _ = corpus
    train_file(str(tmp_path / "m.rnn"), str(folder / "train.txt"), None, HS,
               TrainConfig(max_iter=2, average="epoch"))
    assert Model.load(str(tmp_path / "m.rnn")).iterate is None


def test_resume_between_epochs_is_bit_exact(corpus, tmp_path):
    folder, _ = corpus
    text, options = str(folder / "train.txt"), TrainConfig(max_iter=3, average="epoch")
    whole = train_file(str(tmp_path / "whole.rnn"), text, None, HS, options)
    _first_epoch_then_stop(tmp_path / "m.rnn", text, HS, options)
    resumed = train_file(str(tmp_path / "m.rnn"), text, None, HS, options)
    for name, array in whole.network.weights().items():
        np.testing.assert_array_equal(resumed.network.weights()[name], array, err_msg=name)


def test_resume_within_an_epoch_is_bit_exact(corpus, tmp_path):
    """One epoch, stopped inside it: its mean needs the samples taken before the stop."""
    folder, _ = corpus
    check_resume_is_bit_exact(str(folder / "train.txt"), HS,
                              TrainConfig(max_iter=1, checkpoint_every=6000, average="epoch"),
                              tmp_path)


def test_the_mean_scores_better_than_the_last_weights(corpus, tmp_path):
    """At a high rate the last weights of an epoch are scattered around the minimum; the
    mean along the epoch is nearer to it."""
    folder, _ = corpus
    common = ["-hidden", "16", "-hs", "-alpha", "0.4", "-max-iter", "2"]
    last = train_and_measure(folder, tmp_path / "last.rnn", *common, "-average", "off")
    mean = train_and_measure(folder, tmp_path / "mean.rnn", *common, "-average", "epoch")
    assert mean < last - 0.02, (mean, last)


def test_an_iterate_of_the_wrong_shape_is_refused_by_name(corpus, tmp_path):
    folder, _ = corpus
    stopped = _first_epoch_then_stop(tmp_path / "m.rnn", str(folder / "train.txt"), HS,
                                     TrainConfig(max_iter=3, average="epoch"))
    assert stopped.iterate is not None
    meta, arrays = model_file.read(str(tmp_path / "m.rnn"))
    arrays = {name: np.array(array) for name, array in arrays.items()}
    arrays["iterate.W"] = arrays["iterate.W"][:2]
    model_file.write(str(tmp_path / "bad.rnn"), meta, arrays)
    with pytest.raises(ModelFileError, match="iterate.W does not match"):
        Model.load(str(tmp_path / "bad.rnn"))

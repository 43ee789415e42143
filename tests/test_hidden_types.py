"""Hidden unit types and diagonal initialisation, end to end."""
import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.cli import main
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.corpus import read_text, read_training_text
from rnnlm_cli.model import Model
from rnnlm_cli.nbest import RescoreOptions, Rescorer
from rnnlm_cli.formats.nbest import read_lists_from_text
from rnnlm_cli.score import score_corpus
from rnnlm_cli.synthetic import write_corpus
from rnnlm_cli.training import train


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("types")
    facts = write_corpus(str(folder), tokens=30000, seed=8)
    return folder, facts


def trained(corpus, alpha=0.05, **config):
    folder, _ = corpus
    vocab, tokens = read_training_text(str(folder / "train.txt"), 8)
    model = Model.create(ModelConfig(hidden=16, classes=8, bptt=3, **config),
                         TrainConfig(alpha=alpha), vocab)
    train(model, tokens, read_text(str(folder / "valid.txt"), vocab, "validation"))
    return model


@pytest.mark.parametrize("hidden_type,alpha", [("tanh", 0.05), ("relu", 0.01),
                                              ("relu-trunc", 0.01)])
def test_other_hidden_types_learn_the_source(corpus, hidden_type, alpha):
    """(ReLU units want a lower learning rate than rnnlm's default, as documented.)"""
    folder, facts = corpus
    model = trained(corpus, alpha, hidden_type=hidden_type, diagonal_initialization=0.5)
    report, _ = score_corpus(model, read_text(str(folder / "test.txt"), model.vocab))
    assert report.entropy < facts["entropy_rate_bits"] + 0.15


def test_batched_scoring_uses_the_hidden_type(corpus):
    """N-best batches (matrix products + add_inputs_and_activate) equal the sequential
    scorer for a tanh model."""
    folder, _ = corpus
    model = trained(corpus, hidden_type="tanh", independent=True)
    lines = (folder / "test.txt").read_text().splitlines()[:30]
    text = "".join(f"{i} {line}\n" for i, line in enumerate(lines))
    batched = [s for _, scores in Rescorer(model, RescoreOptions()).rescore(
        read_lists_from_text(text, "rnnlm")) for s in scores]
    sequential = [s for _, scores in Rescorer(model, RescoreOptions(carry_over=True)).rescore(
        read_lists_from_text(text, "rnnlm")) for s in scores]
    # carry-over mode starts the first list from rnnlm's S0; compare the rest
    np.testing.assert_allclose(batched[1:], sequential[1:], atol=1e-4)


def test_diagonal_initialization_sets_the_recurrent_matrix(corpus):
    folder, _ = corpus
    vocab, _ = read_training_text(str(folder / "train.txt"), 8)
    model = Model.create(ModelConfig(hidden=5, classes=8, diagonal_initialization=0.7),
                         TrainConfig(), vocab)
    np.testing.assert_array_equal(model.network.W, np.eye(5, dtype=np.float32) * 0.7)


def test_hidden_type_is_stored_and_export_refused(corpus, tmp_path):
    folder, _ = corpus
    runner = CliRunner()
    model = tmp_path / "m.rnn"
    result = runner.invoke(main, ["train", "-rnnlm", str(model), "-train",
                                  str(folder / "train.txt"), "-valid", str(folder / "valid.txt"),
                                  "-hidden", "8", "-class", "8", "-hidden-type", "tanh",
                                  "-max-iter", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert Model.load(str(model)).config.hidden_type == "tanh"
    exported = runner.invoke(main, ["convert", "-rnnlm", str(model), "-out", str(tmp_path / "x")])
    assert exported.exit_code == 2 and "only sigmoid" in exported.stderr
    assert not (tmp_path / "x").exists()
    bad = runner.invoke(main, ["train", "-rnnlm", str(tmp_path / "y"), "-train",
                               str(folder / "train.txt"), "-hidden-type", "softplus"])
    assert bad.exit_code == 2 and "'softplus' is not one of" in bad.stderr and "relu-trunc" in bad.stderr

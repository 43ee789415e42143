import math

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import shared_path
from rnnlm_cli.cli import main
from rnnlm_cli.interpolate import interpolate


def test_rnnlm_oov_rules():
    rnn = np.array([-1.0, np.nan, np.nan, -2.0])       # tokens 1 and 2 unknown to the RNN
    other = np.array([0.05, 0.2, 0.0, 0.01])
    report, combined = interpolate(rnn, other, 0.5)
    assert report.tokens == 3                           # the OOV without P_other is skipped
    assert report.logprob_rnn == pytest.approx(-1.0 - 8.0 - 2.0)
    assert report.logprob_other == pytest.approx(math.log10(0.05 * 0.2 * 0.01))
    expected = [math.log10(0.5 * 0.1 + 0.5 * 0.05), math.log10(0.5 * 0.2),
                math.log10(0.5 * 0.01 + 0.5 * 0.01)]
    assert report.logprob_combined == pytest.approx(sum(expected))
    assert np.isnan(combined[2])
    assert report.ppl_combined == pytest.approx(10 ** (-sum(expected) / 3))


def train_model(folder, text):
    path = str(folder / "m.rnn")
    result = CliRunner().invoke(main, ["train", "-rnnlm", path, "-train", text, "-hidden", "8",
                                       "-max-iter", "1", "-q"])
    assert result.exit_code == 0
    return path


@pytest.fixture(scope="module")
def swb_model(tmp_path_factory):
    """One epoch on swb-example: the text the reference KN5 scores belong to."""
    return train_model(tmp_path_factory.mktemp("swb"),
                       shared_path("data", "swb-example", "train.txt"))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """One epoch on random sentences over a small conversational vocabulary."""
    folder = tmp_path_factory.mktemp("interp")
    words = "YOU KNOW I THINK SO IT IS UH YEAH THAT WAS RIGHT WE THEY DO NOT".split()
    rng = np.random.default_rng(3)
    (folder / "train.txt").write_text("".join(
        " ".join(rng.choice(words, rng.integers(2, 12))) + "\n" for _ in range(3000)))
    return train_model(folder, str(folder / "train.txt"))


def lines_of(result):
    return dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)


def test_arpa_and_probability_file_give_the_same_interpolation(swb_model):
    model = swb_model
    test = shared_path("data", "swb-example", "test.txt")
    run = CliRunner().invoke
    by_file = lines_of(run(main, ["eval", "-rnnlm", model, "-test", test, "-lambda", "0.5",
                                  "-lm-prob", shared_path("reference", "rnnlm-0.4b",
                                                          "kn5.lmprob.txt")]))
    by_arpa = lines_of(run(main, ["eval", "-rnnlm", model, "-test", test, "-lambda", "0.5",
                                  "-lm", shared_path("reference", "srilm", "kn5.arpa.gz")]))
    assert float(by_arpa["PPL other"]) == pytest.approx(74.35593, rel=1e-6)   # SRILM's ppl
    for key in ("PPL net", "PPL other", "PPL combine"):
        assert float(by_arpa[key]) == pytest.approx(float(by_file[key]), rel=1e-5)
    # the one-epoch RNN is weak; mixing in KN5 must still beat it
    assert float(by_arpa["PPL combine"]) < float(by_arpa["PPL net"])


def test_probability_file_must_match_the_tokens(model, tmp_path):
    probs = tmp_path / "p.txt"
    probs.write_text("0.5\n0.5\n")
    result = CliRunner().invoke(main, ["eval", "-rnnlm", model, "-test", "-", "-lm-prob",
                                       str(probs)], input="YOU KNOW IT\n")
    assert result.exit_code == 1 and "2 probabilities for 4 tokens" in result.stderr


def test_dynamic_evaluation_learns_from_the_text(model, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("YOU KNOW I THINK SO\n" * 200)
    run = CliRunner().invoke
    static = float(lines_of(run(main, ["eval", "-rnnlm", model, "-test", str(text)]))["PPL net"])
    zero = float(lines_of(run(main, ["eval", "-rnnlm", model, "-test", str(text), "-dynamic",
                                     "0"]))["PPL net"])
    dynamic = float(lines_of(run(main, ["eval", "-rnnlm", model, "-test", str(text),
                                        "-dynamic", "0.1"]))["PPL net"])
    assert zero == static
    assert dynamic < 0.5 * static       # a repeated sentence becomes predictable

"""-retry N: training stops the Nth time the validation gain falls below
-min-improvement instead of rnnlm's second time; N = 2 is rnnlm's schedule."""
from click.testing import CliRunner

from rnnlm_cli.cli import main
from rnnlm_cli.model import Model
from rnnlm_cli.synthetic import write_corpus


def epoch_lines(folder, path, *options):
    result = CliRunner().invoke(main, [str(a) for a in (
        "train", "-rnnlm", path, "-train", folder / "train.txt", "-valid",
        folder / "valid.txt", "-hidden", "12", "-bptt", "2", "-q", *options)])
    assert result.exit_code == 0, result.output
    return [line.split("Words/sec")[0] + line.split("VALID")[1]
            for line in result.stdout.splitlines() if line.startswith("Iter:")]


def test_more_retries_train_on_after_rnnlm_would_stop(tmp_path):
    write_corpus(str(tmp_path), tokens=12000, seed=4)
    rnnlm = epoch_lines(tmp_path, tmp_path / "a.rnn")
    default = epoch_lines(tmp_path, tmp_path / "b.rnn", "-retry", "2")
    longer = epoch_lines(tmp_path, tmp_path / "c.rnn", "-retry", "4")
    assert default == rnnlm
    assert len(longer) > len(rnnlm) and longer[:len(rnnlm) - 1] == rnnlm[:-1]
    assert Model.load(str(tmp_path / "c.rnn")).state.low_gains == 4


def test_retry_below_one_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["train", "-rnnlm", str(tmp_path / "m.rnn"),
                                       "-train", str(tmp_path / "t.txt"), "-retry", "0"])
    assert result.exit_code == 2 and "-retry must be at least 1" in result.stderr

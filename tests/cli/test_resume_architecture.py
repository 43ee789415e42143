"""An existing model is resumed with its own architecture: options that would change it
are refused with one line naming them, not silently ignored."""
import pytest
from click.testing import CliRunner

import rnnlm_cli
from rnnlm_cli.cli import main
from rnnlm_cli.errors import ConfigError

TEXT = "the cat sat\nthe dog ran\na cat ran\nthe dog sat on the mat\n" * 30


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("arch")
    (folder / "train.txt").write_text(TEXT)
    model = folder / "m.rnn"
    result = CliRunner().invoke(main, ["train", "-rnnlm", str(model), "-train",
                                       str(folder / "train.txt"), "-hidden", "8", "-direct",
                                       "0.01", "-max-iter", "2", "-q"])
    assert result.exit_code == 0, result.output
    return folder, model


def again(trained, *options):
    folder, model = trained
    return CliRunner().invoke(main, ["train", "-rnnlm", str(model), "-train",
                                     str(folder / "train.txt"), "-max-iter", "2", *options])


@pytest.mark.parametrize("options,named", [
    (["-hidden", "20"], "-hidden 8, not -hidden 20"),
    (["-hs"], "-output class, not -output hs"),
    (["--hidden-type", "tanh", "-direct-order", "4"],
     "-direct-order 3 -hidden-type sigmoid, not -direct-order 4 -hidden-type tanh"),
    (["-direct", "2"], "-direct 0.01, not -direct 2.0"),
])
def test_changed_architecture_is_refused(trained, options, named):
    before = trained[1].read_bytes()
    result = again(trained, *options)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and named in result.stderr
    assert trained[1].read_bytes() == before


def test_the_same_values_or_none_resume(trained):
    for options in ([], ["-hidden", "8", "-direct", "0.01"], ["-bptt", "3"]):
        result = again(trained, *options)
        assert result.exit_code == 0 and "already trained" in result.stderr


def test_the_python_api_refuses_too(trained):
    folder, model = trained
    with pytest.raises(ConfigError, match="-hidden 8, not -hidden 9"):
        rnnlm_cli.train(str(folder / "train.txt"), model=str(model), hidden=9, max_iter=2)

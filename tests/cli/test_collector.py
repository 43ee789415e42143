"""The command line pauses Python's cyclic collector until the model is loaded
(rnnlm_cli/collector.py) and always turns it back on."""
import gc

import pytest
from click.testing import CliRunner

from rnnlm_cli import collector
from rnnlm_cli.cli import main
from rnnlm_cli.model import Model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collector")
    (folder / "t.txt").write_text("a b c\nb c a\nc a b\n" * 20)
    path = folder / "m.rnn"
    done = CliRunner().invoke(main, ["train", "-rnnlm", str(path), "-train",
                                     str(folder / "t.txt"), "-hidden", "5", "-class", "2",
                                     "-max-iter", "1", "-q"])
    assert done.exit_code == 0, done.output
    return folder, path


def test_eval_loads_its_model_with_the_collector_paused_and_ends_with_it_on(model,
                                                                          monkeypatch):
    folder, path = model
    seen = []
    load = Model.load

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return load(*args, **kwargs)
    monkeypatch.setattr(Model, "load", spy)
    assert gc.isenabled()
    done = CliRunner().invoke(main, ["eval", "-rnnlm", str(path), "-test",
                                     str(folder / "t.txt"), "-q"])
    assert done.exit_code == 0, done.output
    assert seen == [False]
    assert gc.isenabled()


def test_a_failing_command_turns_the_collector_back_on(tmp_path):
    done = CliRunner().invoke(main, ["eval", "-rnnlm", str(tmp_path / "missing.rnn"),
                                     "-test", str(tmp_path / "missing.txt")])
    assert done.exit_code != 0
    assert gc.isenabled()


def test_resume_leaves_a_collector_it_did_not_pause_alone():
    gc.disable()
    try:
        collector.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()
    collector.pause()
    assert not gc.isenabled()
    collector.resume()
    assert gc.isenabled()

"""Quiet commands (-q, or stderr not a terminal) do not import Rich: pipelines call a
command once per job, and Rich's import (about 50 ms) would buy them nothing."""
import pytest

from imports_seen import run_recording_imports


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quiet")
    (folder / "t.txt").write_text("a b c\nb c a\nc a b\n" * 20)
    (folder / "l.nbest").write_text("1 a b c\n1 b c\n")
    model = folder / "m.rnn"
    done, rich = run_recording_imports(["train", "-rnnlm", model, "-train", folder / "t.txt",
                                        "-hidden", "5", "-class", "2", "-max-iter", "1", "-q"],
                                       folder / "train.imports", watched=("rich",))
    assert done.returncode == 0, done.stderr
    assert rich == []
    return folder, model


@pytest.mark.parametrize("quiet", [["-q"], []], ids=["-q", "stderr not a terminal"])
def test_nbest_rescore_and_eval_do_not_load_rich(tiny, quiet):
    folder, model = tiny
    for args in (["nbest-rescore", "-rnnlm", model, "-nbest", folder / "l.nbest", *quiet],
                 ["eval", "-rnnlm", model, "-test", folder / "t.txt", *quiet]):
        done, rich = run_recording_imports(args, folder / "run.imports", watched=("rich",))
        assert done.returncode == 0, done.stderr
        assert rich == [], args[0]

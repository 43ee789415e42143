"""A hierarchical-softmax model through every command that scores or generates."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.batch import score_sentences, sentence_start_state
from rnnlm_cli.cli import main
from rnnlm_cli.kernels.hsoftmax import HierarchicalSoftmax
from rnnlm_cli.model import Model
from rnnlm_cli.sample import Sampler

TRAIN = "the cat sat\nthe dog sat\na cat ran\nthe dog ran on the mat\n" * 30


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hs")
    (folder / "train.txt").write_text(TRAIN)
    (folder / "valid.txt").write_text("the cat ran\na dog sat\n")
    (folder / "test.txt").write_text("the cat sat on the mat\nthe zebra ran\n")
    return folder


@pytest.fixture(scope="module")
def model(folder):
    path = str(folder / "hs.rnn")
    result = run("train", "-rnnlm", path, "-train", str(folder / "train.txt"), "-valid",
                 str(folder / "valid.txt"), "-hidden", "8", "-hs", "-bptt", "2", "-direct",
                 "0.01", "-q")
    assert result.exit_code == 0, result.output
    return path


def test_hs_and_output_hs_train_the_same_model(folder, model):
    other = str(folder / "hs2.rnn")
    result = run("train", "--rnnlm", other, "--train", str(folder / "train.txt"), "--valid",
                 str(folder / "valid.txt"), "--hidden", "8", "--output", "hs", "--bptt", "2",
                 "--direct", "0.01", "-q")
    assert result.exit_code == 0
    a, b = Model.load(model), Model.load(other)
    assert isinstance(a.network.output, HierarchicalSoftmax) and a.config.output == "hs"
    for name, array in a.network.weights().items():
        np.testing.assert_array_equal(array, b.network.weights()[name])


def test_training_learns_and_eval_reports_a_normalised_model(folder, model):
    out = run("eval", "-rnnlm", model, "-test", str(folder / "test.txt"), "-format", "json")
    ppl = json.loads(out.stdout)["ppl"]
    assert 1.0 < ppl < 8.0         # the text is nearly deterministic; uniform would be ~10
    m = Model.load(model)
    ws = m.network.workspace()
    ws.start(m.network.h_init)
    m.network.score(np.array([1, 2], np.int32), ws)
    assert float(m.network.distribution(ws).sum()) == pytest.approx(1.0, abs=1e-5)


def test_batched_nbest_scores_equal_sequential_scoring(folder, model):
    m = Model.load(model)
    sentences = [np.array(s, np.int32) for s in ([1, 2, 3], [4], [], [2, -1, 5, 1, 1])]
    start = sentence_start_state(m.network)
    batched = score_sentences(m.network, sentences, start)
    for ids, got in zip(sentences, batched):
        ws = m.network.workspace()
        ws.start(start)
        tokens = np.append(ids, 0).astype(np.int32)
        want = np.where(tokens >= 0, m.network.score(tokens, ws), np.nan)
        np.testing.assert_allclose(got, want, atol=1e-5)
    lists = "1 the cat sat\n1 the cat\n2 a dog ran\n"
    result = run("nbest-rescore", "-rnnlm", model, "-nbest", "-", stdin=lists)
    assert result.exit_code == 0 and len(result.stdout.split()) == 3


def test_sampling_and_dynamic_evaluation_work(folder, model):
    sampler = Sampler(Model.load(model), seed=3)
    words = [w for sentence in sampler.sentences(20, 30) for w in sentence]
    assert set(words) <= set(TRAIN.split()) and len(words) > 20
    result = run("sample", "-rnnlm", model, "-n", "3", "-seed", "2")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3
    # Text repeated many times: a model that learns while it reads must do better on it.
    repeated = folder / "repeated.txt"
    repeated.write_text("the mat sat on a dog\n" * 40)
    ppl = [json.loads(run("eval", "-rnnlm", model, "-test", str(repeated), "-format", "json",
                          *extra).stdout)["ppl"] for extra in ([], ["-dynamic", "0.1"])]
    assert ppl[1] < 0.5 * ppl[0]          # measured: 16.2 -> 2.6


def test_export_to_rnnlm_format_is_refused_with_one_line(folder, model):
    result = run("convert", "-rnnlm", model, "-out", str(folder / "old.txt"), "-to", "rnnlm0.4b")
    assert result.exit_code != 0
    assert "hierarchical softmax" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "old.txt").exists()


@pytest.mark.parametrize("typed, expected", [
    ((), {"bptt": 4, "bptt_block": 10, "average": "epoch", "alpha": 0.1}),
    (("-bptt", "0", "-alpha", "0.2"), {"bptt": 0, "bptt_block": 10, "average": "epoch",
                                       "alpha": 0.2}),
    (("-bptt-block", "5", "-average", "off"),
     {"bptt": 4, "bptt_block": 5, "average": "off", "alpha": 0.1})])
def test_hs_trains_with_its_own_defaults_for_what_is_not_typed(folder, tmp_path, typed,
                                                               expected):
    """rnnlm-train(1): -hs implies -bptt 4 -bptt-block 10 -average epoch unless given; the
    class softmax keeps rnnlm's defaults."""
    for output, wanted in (("-hs", expected), ("-class", {"bptt": 0, "bptt_block": 10,
                                                          "average": "off", "alpha": 0.1})):
        path = tmp_path / f"m{output}.rnn"
        result = run("train", "-rnnlm", str(path), "-train", str(folder / "train.txt"),
                     "-hidden", "4", output, *(("4",) if output == "-class" else ()),
                     "-max-iter", "1", *(typed if output == "-hs" else ()), "-q")
        assert result.exit_code == 0, result.output
        model = Model.load(str(path))
        got = {name: getattr(model.config, name, None) for name in ("bptt", "bptt_block")}
        got.update(average=model.train_config.average, alpha=model.train_config.alpha)
        assert got == wanted, output

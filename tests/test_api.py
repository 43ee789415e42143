"""The Python API gives the command line's numbers: load / score / perplexity / rescore /
sample / train against rnnlm eval, nbest-rescore, sample and train on the same inputs."""
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

import rnnlm_cli
from rnnlm_cli.cli import main
from rnnlm_cli.errors import ConfigError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "v0.1.0")
TEST_TEXT = os.path.join(FIXTURES, "test.txt")
MODELS = [os.path.join(FIXTURES, f"{name}.rnn") for name in ("class", "hs")]


def cli(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(params=MODELS, ids=["class", "hs"])
def model_path(request):
    return request.param


def test_perplexity_equals_rnnlm_eval_json(model_path):
    expected = json.loads(cli("eval", "-rnnlm", model_path, "-test", TEST_TEXT, "--format",
                              "json", "-q"))
    got = rnnlm_cli.load(model_path).perplexity(TEST_TEXT).as_dict(model_path)
    assert got == expected


def test_interpolated_perplexity_equals_rnnlm_eval(model_path, tmp_path):
    probs = tmp_path / "other.txt"
    tokens = sum(len(line.split()) + 1 for line in open(TEST_TEXT))
    probs.write_text("".join(f"{0.001 * (1 + i % 7)}\n" for i in range(tokens)))
    expected = json.loads(cli("eval", "-rnnlm", model_path, "-test", TEST_TEXT, "-lm-prob",
                              str(probs), "-lambda", "0.6", "--format", "json", "-q"))
    result = rnnlm_cli.load(model_path).perplexity(TEST_TEXT, lm_prob=str(probs), lam=0.6)
    assert result.as_dict(model_path) == expected
    assert result.ppl == expected["interpolation"]["ppl"]


def test_score_equals_the_per_word_table_of_rnnlm_eval(model_path):
    expected = json.loads(cli("eval", "-rnnlm", model_path, "-test", TEST_TEXT, "-debug", "2",
                              "--format", "json", "-q"))["word_log10_probs"]
    lines = open(TEST_TEXT).read().splitlines()
    sentences = [line if i % 2 else line.split() for i, line in enumerate(lines)]
    scores = rnnlm_cli.load(model_path).score(sentences)
    assert [len(s) for s in scores] == [len(line.split()) + 1 for line in lines]
    flat = np.concatenate(scores)
    wanted = np.array([np.nan if v is None else v for v in expected])
    np.testing.assert_array_equal(flat, wanted)


def test_rescore_equals_rnnlm_nbest_rescore(model_path, tmp_path):
    lines = open(TEST_TEXT).read().splitlines()[:12]
    lists = [lines[i:i + 4] for i in range(0, len(lines), 4)]
    nbest = tmp_path / "lists.txt"
    nbest.write_text("".join(f"{k} {hyp}\n" for k, hyps in enumerate(lists) for hyp in hyps))
    expected = [float(line.split()[0]) for line in
                cli("nbest-rescore", "-rnnlm", model_path, "-nbest", str(nbest), "-q",
                    "-output", "scores").splitlines()]
    got = rnnlm_cli.load(model_path).rescore(lists)
    assert [len(scores) for scores in got] == [len(hyps) for hyps in lists]
    np.testing.assert_allclose(np.concatenate(got), expected, atol=1e-6)


def test_sample_equals_rnnlm_sample(model_path):
    expected = cli("sample", "-rnnlm", model_path, "-n", "4", "-seed", "9", "-prefix",
                   "YEAH I").splitlines()
    assert rnnlm_cli.load(model_path).sample(4, seed=9, prefix="YEAH I") == expected


@pytest.mark.parametrize("extra, options", [
    ([], {}), (["-hs", "-bptt", "2", "-class", "5"], {"hs": True, "bptt": 2, "class": 5})])
def test_train_equals_rnnlm_train(tmp_path, extra, options):
    text = open(TEST_TEXT).read().splitlines()
    train, valid = tmp_path / "train.txt", tmp_path / "valid.txt"
    train.write_text("\n".join(text[:24] * 3) + "\n")
    valid.write_text("\n".join(text[24:]) + "\n")
    path = str(tmp_path / "cli.rnn")
    cli("train", "-rnnlm", path, "-train", str(train), "-valid", str(valid), "-hidden", "6",
        "-max-iter", "3", "-q", *extra)
    model = rnnlm_cli.train(train=str(train), valid=str(valid), hidden=6, max_iter=3,
                            **options)
    assert isinstance(model, rnnlm_cli.Model)
    assert model.perplexity(TEST_TEXT).as_dict() == rnnlm_cli.load(path).perplexity(
        TEST_TEXT).as_dict()


def test_train_refuses_unknown_options(tmp_path):
    with pytest.raises(ConfigError, match="hiden"):
        rnnlm_cli.train(train=TEST_TEXT, hiden=5, max_iter=1)


@pytest.mark.parametrize("name", ["rnnme-h15.txt.gz", "rnnme-h15.bin.gz"])
def test_load_reads_rnnlm_04_files_and_gives_their_perplexity(tmp_path, name):
    """rnnlm 0.4b's own text and binary model files: load() scores as rnnlm eval does,
    and as rnnlm 0.4b printed (its approximate exponential, the model's default)."""
    import gzip
    import re
    from conftest import shared_path
    folder = shared_path("reference", "rnnlm-0.4b")
    path = str(tmp_path / name[:-3])
    with gzip.open(os.path.join(folder, name), "rb") as source, open(path, "wb") as out:
        out.write(source.read())
    test = shared_path("data", "swb-example", "test.txt")
    expected = json.loads(cli("eval", "-rnnlm", path, "-test", test, "--format", "json", "-q"))
    result = rnnlm_cli.load(path).perplexity(test)
    assert result.as_dict(path) == expected
    printed = open(os.path.join(folder, name.replace(".txt.gz", "").replace(".gz", "")
                                + ".test.out")).read()
    assert result.ppl == pytest.approx(
        float(re.search(r"PPL net: ([0-9.]+)", printed).group(1)), rel=2e-4)

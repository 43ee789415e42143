"""Perplexity signatures: every reported perplexity names the model content and the
options that change the number; equal signatures mean comparable numbers."""
import gzip
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli import __version__
from rnnlm_cli.cli import main
from rnnlm_cli.interop import load_model
from rnnlm_cli.signature import rnn_model_digest

TRAIN = "the cat sat\nthe dog sat\na cat ran\nthe dog ran\n" * 30


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result


def fields(line: str) -> dict:
    assert line.startswith("signature: ")
    return dict(field.split(":", 1) for field in line[len("signature: "):].split("|"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sig")
    (folder / "train.txt").write_text(TRAIN)
    (folder / "valid.txt").write_text("the cat ran\na dog sat\n")
    (folder / "test.txt").write_text("the cat sat\nthe zebra ran\n")
    model = str(folder / "m.rnn")
    result = run("train", "-rnnlm", model, "-train", str(folder / "train.txt"),
                 "-valid", str(folder / "valid.txt"), "-hidden", "8", "-class", "3", "-q")
    return folder, model, result.stdout.strip().split("\n")[-1]


def test_train_and_eval_sign_the_same_model(trained):
    folder, model, train_line = trained
    eval_line = run("eval", "-rnnlm", model, "-test", str(folder / "test.txt")).stdout \
        .strip().split("\n")[-1]
    assert eval_line == train_line
    signed = fields(eval_line)
    assert signed["model"] == rnn_model_digest(load_model(model))
    assert (signed["exp"], signed["indep"], signed["dyn"], signed["version"]) == \
        ("exact", "no", "0", __version__)


def test_options_that_change_the_number_change_the_signature(trained):
    folder, model, _ = trained
    test = str(folder / "test.txt")
    plain = fields(run("eval", "-rnnlm", model, "-test", test).stdout.strip().split("\n")[-1])
    for option, key, value in ((["-independent"], "indep", "yes"),
                               (["-dynamic", "0.1"], "dyn", "0.1"),
                               (["-exp", "rnnlm"], "exp", "rnnlm")):
        other = fields(run("eval", "-rnnlm", model, "-test", test, *option).stdout
                       .strip().split("\n")[-1])
        assert other[key] == value != plain[key]
        assert other["model"] == plain["model"]


def test_digest_follows_content_not_file_format(trained, tmp_path):
    _, model, _ = trained
    old = str(tmp_path / "m.bin")
    run("convert", "-rnnlm", model, "-out", old, "-to", "rnnlm0.4b-binary")
    ours, theirs = load_model(model), load_model(old)
    assert rnn_model_digest(theirs) == rnn_model_digest(ours)
    theirs.network.W[0, 0] += 1e-6
    assert rnn_model_digest(theirs) != rnn_model_digest(ours)
    ours.vocab.words[1], ours.vocab.words[2] = ours.vocab.words[2], ours.vocab.words[1]
    assert rnn_model_digest(ours) != rnn_model_digest(load_model(model))


def test_srilm_layout_keeps_stdout_and_signs_on_stderr(trained):
    folder, model, _ = trained
    result = run("eval", "-rnnlm", model, "-test", str(folder / "test.txt"), "-format", "srilm")
    assert len(result.stdout.strip().split("\n")) == 2
    assert fields(result.stderr.strip())["model"] == fields(trained[2])["model"]
    quiet = run("eval", "-rnnlm", model, "-test", str(folder / "test.txt"), "-format", "srilm",
                "-q")
    assert quiet.stderr == ""


def test_json_and_interpolation_carry_the_other_model(trained, tmp_path):
    folder, model, _ = trained
    plain, arpa = tmp_path / "wb3.arpa", str(tmp_path / "wb3.arpa.gz")
    run("ngram-count", "-text", str(folder / "train.txt"), "-order", "3", "-wbdiscount",
        "-lm", str(plain))
    with open(plain, "rb") as text, gzip.open(arpa, "wb") as packed:
        shutil.copyfileobj(text, packed)
    signatures = []
    for path, order in ((arpa, "0"), (str(plain), "0"), (str(plain), "2")):
        result = run("eval", "-rnnlm", model, "-lm", path, "-order", order, "-lambda", "0.5",
                     "-test", str(folder / "test.txt"), "-format", "json")
        signatures.append(fields("signature: " + json.loads(result.stdout)["signature"]))
    gz, text, bigram = signatures
    assert gz == text and (gz["order"], gz["lambda"], gz["unk"]) == ("3", "0.5", "no")
    assert bigram["order"] == "2" and bigram["lm"] == gz["lm"]
    alone = run("eval", "-lm", str(plain), "-test", str(folder / "test.txt"))
    assert fields(alone.stderr.strip()) == {"lm": gz["lm"], "order": "3", "unk": "no",
                                            "version": __version__}


def test_lm_prob_file_is_signed_by_its_values(trained, tmp_path):
    folder, model, _ = trained
    test = str(folder / "test.txt")
    tokens = sum(len(line.split()) + 1 for line in open(test))
    signed = []
    for value in ("0.01", "0.02"):
        probs = tmp_path / f"p{value}"
        probs.write_text(f"{value}\n" * tokens)
        line = run("eval", "-rnnlm", model, "-lm-prob", str(probs), "-test", test).stdout \
            .strip().split("\n")[-1]
        signed.append(fields(line))
    assert signed[0]["lmprob"] != signed[1]["lmprob"]
    assert len(signed[0]["lmprob"]) == 10


def test_dropin_mode_signs_on_stderr(trained):
    folder, model, _ = trained
    old = str(folder / "m.txt")
    run("convert", "-rnnlm", model, "-out", old)
    result = CliRunner().invoke(main, ["-rnnlm", old, "-test", str(folder / "test.txt")])
    assert result.exit_code == 0
    assert "signature" not in result.stdout
    assert fields(result.stderr.strip().split("\n")[-1])["exp"] == "rnnlm"

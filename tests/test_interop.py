"""rnnlm 0.4b interoperability: its model files, its numbers, its command line.

The expected values are rnnlm 0.4b's own outputs in ../shared/reference/rnnlm-0.4b;
tests that need no reference number run on a synthetic corpus and a model of ours.
"""
import gzip
import math
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import shared_path
from rnnlm_cli.cli import main
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.corpus import read_text, read_training_text
from rnnlm_cli.formats import rnnlm04
from rnnlm_cli.interop import from_rnnlm04, load_model
from rnnlm_cli.model import Model
from rnnlm_cli.score import score_corpus
from rnnlm_cli.synthetic import write_corpus
from rnnlm_cli.training import train

MODELS = {  # reference model -> its -debug 2 output and its test PPL
    "rnnme-h15.txt.gz": ("rnnme-h15.test.debug2.out", "rnnme-h15.test.out"),
    "rnnme-h15.bin.gz": (None, "rnnme-h15.bin.test.out"),
    "rnn-h20-indep.txt.gz": ("rnn-h20-indep.test.debug2.out", "rnn-h20-indep.test.out"),
}


def reference(name):
    return shared_path("reference", "rnnlm-0.4b", name)


def swb(name="test.txt"):
    return shared_path("data", "swb-example", name)


def run(*args, stdin=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


def summary_value(text, label):
    return float(re.search(re.escape(label) + r" (-?[0-9.]+)", text).group(1))


def table_probabilities(text):
    """P(NET) column of an rnnlm -debug 2 table (0 at OOV rows)."""
    return np.array([float(line.split("\t")[1]) for line in text.splitlines()
                     if re.match(r"-?\d+\t", line)])


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The reference models, gunzipped (rnnlm writes them uncompressed)."""
    folder = tmp_path_factory.mktemp("rnnlm04")
    paths = {}
    for name in MODELS:
        target = folder / name[:-3]
        with gzip.open(reference(name), "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
        paths[name] = target
    return paths


@pytest.mark.parametrize("name", [n for n in MODELS if MODELS[n][0]])
def test_per_word_probabilities_equal_rnnlm(name):
    model = load_model(reference(name))
    report, scores = score_corpus(model, read_text(swb(), model.vocab))
    theirs = table_probabilities(open(reference(MODELS[name][0])).read())
    known = theirs > 0
    assert known.sum() == np.count_nonzero(~np.isnan(scores)) == report.scored_tokens
    assert np.max(np.abs(scores[known] - np.log10(theirs[known]))) < 1e-4


@pytest.mark.parametrize("name", MODELS)
def test_dropin_perplexity_equals_rnnlm(name):
    result = run("-rnnlm", reference(name), "-test", swb())
    assert result.exit_code == 0, result.output
    ours = summary_value(result.stdout, "PPL net:")
    theirs = summary_value(open(reference(MODELS[name][1])).read(), "PPL net:")
    assert f"{ours:.5g}" == f"{theirs:.5g}"
    assert result.stdout.splitlines()[:2] == [f"test file: {swb()}",
                                              f"rnnlm file: {reference(name)}"]


def test_exact_exponential_is_an_option_and_differs():
    fast = run("eval", "-rnnlm", reference("rnnme-h15.txt.gz"), "-test", swb())
    exact = run("eval", "-rnnlm", reference("rnnme-h15.txt.gz"), "-test", swb(),
                "-exp", "exact")
    theirs = summary_value(open(reference("rnnme-h15.test.out")).read(), "PPL net:")
    assert summary_value(fast.stdout, "PPL net:") == pytest.approx(theirs, rel=1e-6)
    assert abs(summary_value(exact.stdout, "PPL net:") - theirs) > 0.01


def test_dropin_debug2_table_matches_rnnlm_layout():
    result = run("-rnnlm", reference("rnn-h20-indep.txt.gz"), "-test", swb(),
                 "-debug", "2", "-independent")
    theirs = open(reference("rnn-h20-indep.test.debug2.out")).read()
    strip = lambda text: [l for l in text.splitlines() if not l.startswith(("test file", "rnnlm file"))]
    ours_lines, their_lines = strip(result.stdout), strip(theirs)
    assert len(ours_lines) == len(their_lines)
    for a, b in zip(ours_lines, their_lines):
        if re.match(r"-?\d+\t", b):
            fa, fb = a.split("\t"), b.split("\t")
            assert fa[0] == fb[0] and fa[2:] == fb[2:]
            assert float(fa[1]) == pytest.approx(float(fb[1]), rel=2e-4)
        elif b.startswith(("test log probability", "PPL net")):
            assert a.split(":")[0] == b.split(":")[0]
        else:
            assert a == b


def test_stored_independence_wins_over_the_command_line():
    """rnnlm reads -independent from the model: on a model trained without it the flag
    changes nothing (reference rnnme-h15.test.independent.out)."""
    result = run("-rnnlm", reference("rnnme-h15.txt.gz"), "-test", swb(), "-independent")
    theirs = open(reference("rnnme-h15.test.independent.out")).read()
    assert "Sentences will be processed independently..." in result.stdout
    assert summary_value(result.stdout, "PPL net:") == summary_value(theirs, "PPL net:")


def test_dropin_lm_prob_interpolation_equals_rnnlm():
    result = run("-rnnlm", reference("rnnme-h15.txt.gz"), "-test", swb(),
                 "-lm-prob", reference("kn5.lmprob.txt"), "-lambda", "0.5")
    theirs = open(reference("rnnme-h15.test.lmprob-lambda0.5.out")).read()
    for label in ("test log probability given by other lm:",
                  "test log probability 0.500000*rnn + 0.500000*other_lm:",
                  "PPL net:", "PPL other:", "PPL combine:"):
        assert summary_value(result.stdout, label) == pytest.approx(
            summary_value(theirs, label), abs=2e-6, rel=1e-9), label


@pytest.mark.parametrize("name,extra", [("rnnme-h15", []),
                                        ("rnn-h20-indep", ["-independent"])])
def test_dropin_nbest_scores_equal_rnnlm(name, extra):
    result = run("-rnnlm", reference(f"{name}.txt.gz"), "-test", reference("nbest.txt"),
                 "-nbest", "-debug", "0", *extra)
    assert result.exit_code == 0, result.output
    ours = np.array(result.stdout.split(), dtype=float)
    theirs = np.loadtxt(reference(f"{name}.nbest.out"))
    assert ours.shape == theirs.shape == (200,)
    assert all(re.fullmatch(r"-?\d+\.\d{6}", line) for line in result.stdout.splitlines())
    assert np.max(np.abs(ours - theirs)) < 5e-5


def test_nbest_from_stdin(unpacked):
    text = open(reference("nbest.txt")).read()
    result = run("-rnnlm", unpacked["rnnme-h15.txt.gz"], "-test", "-", "-nbest", "-debug", "0",
                 stdin=text)
    theirs = np.loadtxt(reference("rnnme-h15.nbest.out"))
    assert np.max(np.abs(np.array(result.stdout.split(), dtype=float) - theirs)) < 5e-5


@pytest.mark.parametrize("name", MODELS)
def test_import_then_export_gives_the_same_bytes(unpacked, tmp_path, name):
    original = unpacked[name]
    ours, back = tmp_path / "ours.rnn", tmp_path / "back"
    assert run("convert", "-rnnlm", original, "-out", ours).exit_code == 0
    assert not rnnlm04.looks_like(str(ours))
    target = "rnnlm0.4b-binary" if ".bin" in name else "rnnlm0.4b"
    result = run("convert", "-rnnlm", ours, "-out", back, "-to", target)
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == original.read_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """train.txt, valid.txt and test.txt from a Markov source of 40 words."""
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(str(folder), tokens=20000, seed=2)
    return folder


@pytest.fixture(scope="module")
def our_model(tmp_path_factory, corpus):
    """A small RNNME model trained by us (two epochs on the synthetic corpus)."""
    vocab, text = read_training_text(str(corpus / "train.txt"), 30)
    config = ModelConfig(hidden=8, classes=30, direct=0.5, direct_order=3, bptt=2)
    model = Model.create(config, TrainConfig(max_iter=2), vocab)
    train(model, text, read_text(str(corpus / "valid.txt"), vocab, "validation"))
    path = tmp_path_factory.mktemp("ours") / "model.rnn"
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def our_exports(our_model, tmp_path_factory):
    """Our model in rnnlm 0.4b's text and binary formats."""
    folder = tmp_path_factory.mktemp("exports")
    paths = {"text": folder / "model.txt", "binary": folder / "model.bin"}
    for kind, target in (("text", "rnnlm0.4b"), ("binary", "rnnlm0.4b-binary")):
        assert run("convert", "-rnnlm", our_model, "-out", paths[kind], "-to",
                   target).exit_code == 0
    return paths


def test_export_binary_reads_back_with_identical_scores(our_model, our_exports, corpus):
    original = Model.load(str(our_model))
    imported = load_model(str(our_exports["binary"]), "exact")
    text = read_text(str(corpus / "test.txt"), original.vocab)
    assert np.array_equal(score_corpus(original, text)[1],
                          score_corpus(imported, text)[1], equal_nan=True)


def test_export_text_header_follows_rnnlm_layout(our_model, our_exports, unpacked, corpus):
    exported = our_exports["text"]
    ours = exported.read_text().split("Vocabulary:")[0].splitlines()
    theirs = unpacked["rnnme-h15.txt.gz"].read_text().split("Vocabulary:")[0].splitlines()
    label = lambda line: line.split(":")[0] + ":" if ":" in line else line
    assert [label(l) for l in ours] == [label(l) for l in theirs]
    header = dict(l.split(": ", 1) for l in ours if ": " in l)
    model = Model.load(str(our_model))
    assert int(header["hidden layer size"]) == 8
    assert int(header["input layer size"]) == len(model.vocab) + 8
    assert int(header["output layer size"]) == len(model.vocab) + model.vocab.n_classes
    assert int(header["direct connections"]) == 500000
    assert int(header["bptt"]) == 3
    # Four decimals per weight: scores stay close to the original's.
    original, imported = Model.load(str(our_model)), load_model(str(exported), "exact")
    text = read_text(str(corpus / "test.txt"), original.vocab)
    a, b = score_corpus(original, text)[0].ppl, score_corpus(imported, text)[0].ppl
    assert a == pytest.approx(b, rel=2e-3)


def test_dropin_training_writes_an_rnnlm_model_and_resumes(tmp_path, corpus):
    model = tmp_path / "m"
    base = ["-train", corpus / "train.txt", "-valid", corpus / "valid.txt", "-rnnlm", model,
            "-hidden", "6", "-class", "20", "-bptt", "2", "-direct", "1", "-binary"]
    first = run(*base, "-max-iter", "1")
    assert first.exit_code == 0, first.output
    words = set((corpus / "train.txt").read_text().split()) | {"</s>"}
    assert "Starting training using file" in first.stdout
    assert f"Vocab size: {len(words)}\n" in first.stdout
    assert re.search(r"Iter:   0\tAlpha: 0.100000\t   TRAIN entropy: \d+\.\d{4}    "
                     r"Words/sec: \d+\.\d   VALID entropy: \d+\.\d{4}", first.stdout)
    assert rnnlm04.read(str(model)).header["format"] == 1
    log = (tmp_path / "m.output.txt").read_text()
    assert "iter: 0" in log and "PPL net:" in log
    second = run(*base, "-max-iter", "2")
    assert "Restoring network from file to continue training..." in second.stdout
    assert "Iter:   1" in second.stdout and "Iter:   0" not in second.stdout
    assert rnnlm04.read(str(model)).header["iter"] == 2
    scored = run("-rnnlm", model, "-test", corpus / "test.txt")
    assert scored.exit_code == 0 and summary_value(scored.stdout, "PPL net:") > 1


def test_dropin_gen_layout(our_exports):
    result = run("-rnnlm", our_exports["text"], "-gen", "200", "-debug", "0")
    assert result.exit_code == 0
    words = set(rnnlm04.read(str(our_exports["text"])).words)
    tokens = result.stdout.replace("\n", " ").split()
    assert len(tokens) + result.stdout.count("\n") == 200
    assert set(tokens) <= words
    assert all(line == "" or line.endswith(" ") for line in result.stdout.split("\n"))


@pytest.mark.parametrize("args,text", [
    (["-rnnlm", "/nonexistent/model", "-test", "x"], "nonexistent"),
    (["-rnnlm", "m"], "training or testing must be specified"),
    (["-test", "x", "-hidden", "ten"], "-hidden: expected int"),
    (["-rnnlm", "m", "-test", "x", "-compression", "10"], "compression"),
    (["-rnnlm", "m", "-test", "x", "-lambda", "1.5"], "-lambda must be between 0 and 1"),
    (["-rnnlm", "m", "-gen", "-3", "-test", "x"], "must not be negative"),
])
def test_dropin_errors_are_one_line_on_stderr(args, text):
    result = run(*args)
    assert result.exit_code != 0
    if text != "nonexistent":       # option errors come before the option echo lines
        assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in result.stderr


def test_unimportable_file_is_reported(tmp_path, corpus):
    broken = tmp_path / "broken.txt"
    broken.write_text("version: 10\nfile format: 0\n\ntraining data file: x\n")
    result = run("-rnnlm", broken, "-test", corpus / "test.txt", "-debug", "0")
    assert result.exit_code == 1 and "rnnlm 0.4b" in result.stderr


def test_reader_rejects_a_truncated_binary_model(our_exports, tmp_path, corpus):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(our_exports["binary"].read_bytes()[:-100])
    result = run("-rnnlm", cut, "-test", corpus / "test.txt")
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_imported_weights_land_where_rnnlm_reads_them(unpacked):
    """The first hidden unit's weight from word 0 is syn0's first text value, and so on."""
    text = unpacked["rnn-h20-indep.txt.gz"].read_text()
    first = lambda label: float(text.split(label)[1].split()[0])
    model = from_rnnlm04(rnnlm04.read(str(unpacked["rnn-h20-indep.txt.gz"])))
    assert model.network.U[0, 0] == pytest.approx(first("Weights 0->1:"), abs=1e-6)
    assert model.network.output.Ow[0, 0] == pytest.approx(first("Weights 1->2:"), abs=1e-6)
    assert model.network.h_init[0] == pytest.approx(first("Hidden layer activation:"), abs=1e-6)
    assert model.config.independent and model.network.fast_exp
    assert math.isclose(model.state.best_valid_logp, -12905.200210)


def test_dropin_scores_our_own_models_with_rnnlms_exponential(our_model, corpus):
    test = corpus / "test.txt"
    dropin = run("-rnnlm", our_model, "-test", test)
    fast = run("eval", "-rnnlm", our_model, "-test", test, "-exp", "rnnlm")
    exact = run("eval", "-rnnlm", our_model, "-test", test)
    ppl = lambda result: summary_value(result.stdout, "PPL net:")
    assert ppl(dropin) == ppl(fast) != ppl(exact)


def test_dropin_first_occurrence_of_an_option_wins(our_exports, corpus):
    """rnnlm looks each option up from the start of argv: -debug 0 -debug 2 is -debug 0."""
    result = run("-rnnlm", our_exports["text"], "-test", corpus / "test.txt",
                 "-debug", "0", "-debug", "2")
    assert result.exit_code == 0 and result.stdout == ""


def test_dropin_training_reproduces_rnnlms_own_run(tmp_path, unpacked):
    """reference/README.md's command for rnnme-h15, run the old way: rnnlm's exponential
    in training too, so every epoch follows rnnlm's log and the model matches its file."""
    model = tmp_path / "model.bin"
    result = run("-train", swb("train.txt"), "-valid", swb("valid.txt"), "-rnnlm", model,
                 "-hidden", "15", "-rand-seed", "1", "-debug", "2", "-class", "100", "-bptt", "4",
                 "-bptt-block", "10", "-direct-order", "3", "-direct", "2", "-binary")
    assert result.exit_code == 0, result.output
    entropies = lambda text: [float(x) for x in re.findall(r"VALID entropy: ([0-9.]+)", text)]
    theirs = entropies(open(reference("rnnme-h15.train.log")).read())
    ours = entropies(result.stdout)
    assert len(ours) == len(theirs)
    assert np.max(np.abs(np.array(ours) - np.array(theirs))) < 5e-4
    header = rnnlm04.read(str(model)).header
    reference_header = rnnlm04.read(str(unpacked["rnnme-h15.bin.gz"])).header
    for key in ("iter", "alpha", "alpha_divide", "vocab", "classes", "direct", "bptt"):
        assert header[key] == reference_header[key], key
    scored = run("-rnnlm", model, "-test", swb())
    assert summary_value(scored.stdout, "PPL net:") == pytest.approx(72.447589, rel=2e-4)


@pytest.mark.parametrize("damage", ["bad number", "cut"])
def test_damaged_text_model_is_one_clear_error(our_exports, tmp_path, corpus, damage):
    text = our_exports["text"].read_bytes()
    at = text.index(b"Weights 1->2:") + 200
    damaged = text[:at] + b"abc\n" + text[at:] if damage == "bad number" else text[:-5000]
    path = tmp_path / "damaged.txt"
    path.write_bytes(damaged)
    result = run("-rnnlm", path, "-test", corpus / "test.txt")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and any(
        text in lines[0] for text in ("(truncated or corrupt)", "missing section", "(corrupt)"))

"""faster-rnnlm models: the reader, the conversion to our layers, its test command line.

Written models (tests/faster_rnnlm_files.py: every hidden type, stacked, old and new
headers) are scored against naive_faster.faster_rnnlm_sentence_log10, computed from the
stored arrays by faster-rnnlm's equations; the models faster-rnnlm itself made on
swb-example (../shared/reference/faster-rnnlm) against its own output.
"""
import gzip
import json
import math
import shutil
import subprocess

import numpy as np
import pytest

import naive
import naive_faster
from conftest import shared_path
from faster_rnnlm_files import write_model
from rnnlm_cli import api
from rnnlm_cli.corpus import read_text
from rnnlm_cli.errors import ModelFileError
from rnnlm_cli.evaluation import evaluate, faster_rnnlm_test
from rnnlm_cli.formats import faster_rnnlm
from rnnlm_cli.huffman import faster_rnnlm_paths
from rnnlm_cli.interop import load_model
from rnnlm_cli.kernels import maxent

# file order differs from faster-rnnlm's (a stable sort by count after </s>)
WORDS = ["</s>", "b", "a", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"]
COUNTS = [30, 5, 9, 9, 1, 12, 3, 3, 7, 2, 2, 1, 4, 6]
SENTENCES = ["a b c", "h a a m m e", "e", "l k j i h g f e d c b a", "a zz b", "", "m e a"]
TYPES = ["sigmoid", "tanh", "relu", "relu-trunc", "gru", "gru-bias", "gru-insyn", "gru-full"]


def rnnlm(*args):
    return subprocess.run(["rnnlm", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "test.txt"
    path.write_text("\n".join(SENTENCES) + "\n")
    return str(path)


def written(tmp_path, **options):
    path = str(tmp_path / "fr")
    write_model(path, WORDS, COUNTS, 5, **options)
    return path


def twin_scores(path, unnormalised=False):
    stored = faster_rnnlm.read(path)
    index = {w: i for i, w in enumerate(stored.words)}
    scores = []
    for sentence in SENTENCES:
        words = sentence.split()
        if not words:
            continue
        ids = [index.get(w) for w in words]
        scores.append(None if None in ids else naive_faster.faster_rnnlm_sentence_log10(
            stored, ids, unnormalised))
    return scores


# stacked: an Elman and a GRU type with input matrices (biased GRUs: test_refusals)
@pytest.mark.parametrize("layer_type, layer_count", [(kind, 1) for kind in TYPES] +
                         [("relu-trunc", 2), ("gru-insyn", 2), ("gru", 3)])
def test_scores_equal_faster_rnnlms_equations(tmp_path, text, layer_type, layer_count):
    path = written(tmp_path, layer_type=layer_type, layer_count=layer_count, hash_size=400,
                   maxent_order=3)
    model = load_model(path)
    got = faster_rnnlm_test(model, read_text(text, model.vocab)).log10
    expected = twin_scores(path)
    assert [g is None for g in got] == [e is None for e in expected]
    assert [g for g in got if g is not None] == pytest.approx(
        [e for e in expected if e is not None], abs=1e-4)


@pytest.mark.parametrize("arity", [3, 5])
def test_trees_of_higher_arity(tmp_path, text, arity):
    """faster-rnnlm pads its vocabulary with never-seen words to make the tree full."""
    padding = (-(len(WORDS) - 1)) % (arity - 1)
    path = str(tmp_path / "fr")
    write_model(path, WORDS + [f"__**FAKE_WORD{i}" for i in range(padding)],
                COUNTS + [0] * padding, 5, layer_type="gru", hash_size=400, maxent_order=3,
                arity=arity)
    model = load_model(path)
    got = faster_rnnlm_test(model, read_text(text, model.vocab)).log10
    assert [g for g in got if g is not None] == pytest.approx(
        [e for e in twin_scores(path) if e is not None], abs=1e-4)
    distribution = model.network.distribution(model.network.workspace())
    assert float(distribution.sum()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("unnormalised", [False, True])
def test_nce_models_score_normalised_or_not(tmp_path, text, unnormalised):
    path = written(tmp_path, layer_type="gru-insyn", hash_size=400, maxent_order=3, nce=True,
                   lnz=2.5)
    model = load_model(path)
    if unnormalised:
        model.network = model.network.with_unnormalised_scores()
    got = faster_rnnlm_test(model, read_text(text, model.vocab)).log10
    assert [g for g in got if g is not None] == pytest.approx(
        [e for e in twin_scores(path, unnormalised) if e is not None], abs=1e-4)


def test_unnormalised_scores_are_labelled_and_refused_where_none_exist(tmp_path, text):
    nce = written(tmp_path, hash_size=400, maxent_order=3, nce=True)
    plain = eval_json(nce, text)
    marked = eval_json(nce, text, "-nce-unnormalized")
    assert "norm:no" in marked["signature"] and "norm:" not in plain["signature"]
    assert marked["logprob"] != plain["logprob"]
    tree = str(tmp_path / "tree")
    write_model(tree, WORDS, COUNTS, 5)
    refused = rnnlm("eval", "-rnnlm", tree, "-test", text, "-nce-unnormalized")
    assert refused.returncode != 0 and len(refused.stderr.splitlines()) == 1
    assert "no unnormalised scores" in refused.stderr


def eval_json(model, text, *options):
    done = rnnlm("eval", "-rnnlm", model, "-test", text, "--format", "json", *options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("version", [0, 3, 6])
def test_every_header_version_reads(tmp_path, text, version):
    path = written(tmp_path, version=version, hash_size=300, maxent_order=2)
    model = load_model(path)
    got = faster_rnnlm_test(model, read_text(text, model.vocab)).log10
    assert [g for g in got if g is not None] == pytest.approx(
        [e for e in twin_scores(path) if e is not None], abs=1e-4)


def test_the_vocabulary_is_resorted_stably_by_count(tmp_path):
    words, counts = faster_rnnlm.read_vocabulary(written(tmp_path))
    assert words == ["</s>", "e", "a", "c", "h", "m", "b", "l", "f", "g", "i", "j", "d", "k"]
    assert counts.tolist() == [30, 12, 9, 9, 7, 6, 5, 4, 3, 3, 2, 2, 1, 1]


@pytest.mark.parametrize("arity", [2, 3, 6])
def test_tree_is_faster_rnnlms(arity):
    counts = np.array([50, 40, 40, 20, 9, 9, 9, 3, 2, 1, 1])
    start, nodes, codes = faster_rnnlm_paths(counts, arity)
    paths = naive_faster.faster_rnnlm_tree(counts, arity)
    for word, path in enumerate(paths):
        span = slice(start[word], start[word + 1])
        assert list(zip(nodes[span].tolist(), codes[span].tolist())) == path
    if arity == 2:
        cost = sum(c * (start[w + 1] - start[w]) for w, c in enumerate(counts))
        assert cost == naive.huffman_cost(counts)


def test_maxent_hashes_equal_the_twin():
    rng = np.random.default_rng(4)
    out = np.zeros(maxent.MAX_ORDER, np.int64)
    for _ in range(50):
        hist = rng.integers(-1, 100000, 8).astype(np.int32)
        order = int(rng.integers(1, 8))
        used = maxent.faster_rnnlm_hashes(hist, order, 999983, out)
        assert list(out[:used]) == naive_faster.faster_rnnlm_hashes(hist, order, 999983)


@pytest.mark.parametrize("change, message", [
    (dict(layer_type="gru-full", layer_count=2), "biases above the first layer"),
    (dict(layer_type="gru-bias", layer_count=3), "biases above the first layer"),
    (dict(layer_type="scrn40"), "hidden type 'scrn40' is not supported"),
])
def test_refusals(tmp_path, text, change, message):
    path = written(tmp_path, **change)
    result = rnnlm("-rnnlm", path, "-test", text)
    assert result.returncode != 0 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_corrupt_files_are_one_line_errors(tmp_path, text):
    path = written(tmp_path, hash_size=300, maxent_order=2)
    data = open(path + ".nnet", "rb").read()
    for broken, message in [(data[:-7], "truncated"), (data + b"\0" * 8, "bytes more"),
                            (b"\x07" * 8 + data[8:], "version")]:
        open(path + ".nnet", "wb").write(broken)
        result = rnnlm("-rnnlm", path, "-test", text)
        assert result.returncode != 0 and len(result.stderr.splitlines()) == 1
        assert message in result.stderr and "Traceback" not in result.stderr
    open(path, "w").write("a 3\n</s> 4\n")
    with pytest.raises(ModelFileError, match="starts with </s>"):
        faster_rnnlm.read_vocabulary(path)


def test_eval_leaves_out_sentences_with_oovs_and_blank_lines(tmp_path, text):
    model = load_model(written(tmp_path, hash_size=300, maxent_order=2))
    corpus = read_text(text, model.vocab)
    result = evaluate(model, corpus)
    expected = [e for e in twin_scores(str(tmp_path / "fr")) if e is not None]
    assert result.report.logprob == pytest.approx(sum(expected), abs=1e-4)
    assert result.report.scored_tokens == sum(len(s.split()) + 1 for s in SENTENCES
                                              if s and "zz" not in s)
    assert result.report.oovs == 3


def test_python_api_and_batched_rescoring_score_as_faster_rnnlm(tmp_path):
    path = written(tmp_path, layer_type="gru-bias", hash_size=400, maxent_order=4)
    model = api.load(path)
    sentences = [s for s in SENTENCES if s and "zz" not in s]
    expected = [e for e in twin_scores(path) if e is not None]
    assert [float(np.sum(s)) for s in model.score(sentences)] == pytest.approx(expected,
                                                                              abs=1e-4)
    (rescored,) = model.rescore([sentences])           # batched, layer by layer
    assert list(rescored) == pytest.approx(expected, abs=1e-4)


def test_convert_keeps_the_scores(tmp_path, text):
    path = written(tmp_path, layer_type="gru-insyn", layer_count=2, hash_size=300,
                   maxent_order=3)
    ours = tmp_path / "ours.rnn"
    assert rnnlm("convert", "-rnnlm", path, "-out", ours).returncode == 0
    reports = [eval_json(m, text) for m in (path, ours)]
    assert reports[0]["logprob"] == reports[1]["logprob"]
    assert reports[0]["oovs"] == 3


# faster-rnnlm's own models and outputs on swb-example

def reference_model(tmp_path, name):
    folder = shared_path("reference", "faster-rnnlm")
    for suffix, target in ((".vocab.gz", ""), (".nnet.gz", ".nnet")):
        with gzip.open(f"{folder}/{name}{suffix}") as src, open(tmp_path / (name + target),
                                                                   "wb") as dst:
            shutil.copyfileobj(src, dst)
    return str(tmp_path / name), f"{folder}/{name}"


@pytest.mark.parametrize("name", ["hs-h20", "gru-me"])
def test_dropin_answers_as_faster_rnnlm(tmp_path, name):
    model, reference = reference_model(tmp_path, name)
    test = shared_path("data", "swb-example", "test.txt")
    # Kaldi's rnnlm_compute_scores.sh line, rnnlm 0.4b flags included
    result = rnnlm("-independent", "-rnnlm", model, "-test", test, "-nbest", "-debug", "0")
    assert result.returncode == 0
    got = result.stdout.splitlines()
    expected = open(reference + ".test.out").read().splitlines()
    assert len(got) == len(expected) == 1000
    assert [g == "OOV" for g in got] == [e == "OOV" for e in expected]
    pairs = [(float(g), float(e)) for g, e in zip(got, expected) if e != "OOV"]
    assert max(abs(g - e) for g, e in pairs) < 1e-4
    assert sum(g != e for g, e in zip(got, expected)) < len(got)   # digits, not just OOVs
    entropy = float(result.stderr.split("Test entropy")[1])
    reference_entropy = float(open(reference + ".test.entropy").read().split()[-1])
    assert round(entropy, 5) == round(reference_entropy, 5)


@pytest.mark.parametrize("accurate, reference", [("1", ".test.out"),
                                                 ("0", ".test.unnormalized.out")])
def test_nce_model_answers_as_faster_rnnlm(tmp_path, accurate, reference):
    model, stem = reference_model(tmp_path, "nce-h20")
    test = shared_path("data", "swb-example", "test.txt")
    result = rnnlm("-rnnlm", model, "-test", test, "-nce-accurate-test", accurate)
    got = result.stdout.splitlines()
    expected = open(stem + reference).read().splitlines()
    assert [g == "OOV" for g in got] == [e == "OOV" for e in expected]
    assert max(abs(float(g) - float(e)) for g, e in zip(got, expected) if e != "OOV") < 1e-4
    if accurate == "1":
        entropy = float(open(stem + ".test.entropy").read().split()[-1])
        assert result.stderr.strip() == f"Test entropy {entropy:f}"
    else:
        assert result.stderr.strip() == "Use -nce-accurate-test to calculate entropy"


def test_reference_model_converts_samples_and_rescores(tmp_path):
    model, reference = reference_model(tmp_path, "gru-me")
    test = shared_path("data", "swb-example", "test.txt")
    ours = tmp_path / "ours.rnn"
    assert rnnlm("convert", "-rnnlm", model, "-out", ours).returncode == 0
    evaluation = json.loads(rnnlm("eval", "-rnnlm", ours, "-test", test, "--format",
                                  "json").stdout)
    reference_entropy = float(open(reference + ".test.entropy").read().split()[-1])
    assert evaluation["entropy_bits"] == pytest.approx(reference_entropy, abs=1e-5)
    sample = rnnlm("sample", "-rnnlm", model, "-n", "3", "-seed", "2")
    assert sample.returncode == 0 and len(sample.stdout.splitlines()) == 3
    lines = [line for line in open(test).read().splitlines()[:6]]
    nbest = tmp_path / "nbest.txt"
    nbest.write_text("".join(f"0 {line}\n" for line in lines))
    rescored = rnnlm("nbest-rescore", "-rnnlm", model, "-nbest", nbest)
    assert rescored.returncode == 0 and len(rescored.stdout.splitlines()) == 6
    assert math.isfinite(evaluation["logprob"])

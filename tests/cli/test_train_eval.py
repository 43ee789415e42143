import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rnnlm_cli.cli import main

TRAIN = "the cat sat\nthe dog sat\na cat ran\nthe dog ran\n" * 30
VALID = "the cat ran\na dog sat\n"


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "train.txt").write_text(TRAIN)
    (folder / "valid.txt").write_text(VALID)
    (folder / "test.txt").write_text("the cat sat\nthe zebra ran\n")
    return folder


@pytest.fixture(scope="module")
def model(corpus):
    path = str(corpus / "m.rnn")
    result = run("train", "-rnnlm", path, "-train", str(corpus / "train.txt"),
                 "-valid", str(corpus / "valid.txt"), "-hidden", "8", "-class", "3",
                 "-bptt", "2", "--direct", "0.01", "-q")
    assert result.exit_code == 0, result.output + result.stderr
    return path


def test_train_prints_one_rnnlm_line_per_epoch(corpus, model):
    meta = json.loads(run("eval", "-rnnlm", model, "-test", str(corpus / "test.txt"),
                          "--format", "json").stdout)
    assert meta["oovs"] == 1
    result = run("train", "-rnnlm", str(corpus / "m2.rnn"), "-train", str(corpus / "train.txt"),
                 "-valid", str(corpus / "valid.txt"), "-hidden", "8", "-class", "3", "-q")
    *lines, signature = result.stdout.strip().split("\n")
    assert len(lines) >= 2 and all(line.startswith("Iter:") for line in lines)
    assert all("VALID entropy:" in line and "Words/sec:" in line for line in lines)
    assert signature.startswith("signature: model:")


def test_eval_rnnlm_format(corpus, model):
    result = run("eval", "-rnnlm", model, "-test", str(corpus / "test.txt"))
    assert result.exit_code == 0
    out = result.stdout
    assert "OOVs: 1 (skipped)" in out and "scored tokens: 7" in out
    logp = float(out.split("test log probability:")[1].split()[0])
    ppl = float(out.split("PPL net:")[1].split()[0])
    assert ppl == pytest.approx(10 ** (-logp / 7), rel=1e-6)


def test_eval_srilm_format(corpus, model):
    lines = run("eval", "-rnnlm", model, "-test", str(corpus / "test.txt"),
                "--format", "srilm").stdout.splitlines()
    assert lines[0] == f"file {corpus / 'test.txt'}: 2 sentences, 6 words, 1 OOVs"
    fields = lines[1].split()
    assert fields[:2] == ["0", "zeroprobs,"]
    logprob, ppl, ppl1 = float(fields[3]), float(fields[5]), float(fields[7])
    assert ppl == pytest.approx(10 ** (-logprob / (6 - 1 + 2)), rel=1e-5)
    assert ppl1 == pytest.approx(10 ** (-logprob / (6 - 1)), rel=1e-5)


def test_eval_debug2_table_and_stdin(corpus, model):
    text = (corpus / "test.txt").read_text()
    result = run("eval", "-rnnlm", model, "-test", "-", "-debug", "2", stdin=text)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Index", "P(NET)", "Word"] and lines[1] == "-" * 34
    rows = lines[2:10]
    assert rows[5] == "-1\t0\t\tOOV"
    probs = [float(r.split("\t")[1]) for r in rows if not r.startswith("-1")]
    logp = float(result.stdout.split("test log probability:")[1].split()[0])
    import math
    assert sum(math.log10(p) for p in probs) == pytest.approx(logp, abs=1e-6)


def test_both_spellings_agree(corpus, model):
    a = run("eval", "-rnnlm", model, "-test", str(corpus / "test.txt"), "-independent")
    b = run("eval", "--rnnlm", model, "--test", str(corpus / "test.txt"), "--independent")
    c = run("eval", "-rnnlm", model, "-test", str(corpus / "test.txt"))
    assert a.stdout == b.stdout and a.stdout != c.stdout


def test_train_help_lists_defaults_and_units():
    out = " ".join(run("train", "--help").stdout.split())
    for text in ("-hidden, --hidden", "default: 30", "-bptt-block", "millions of weights",
                 "-min-improvement", "default: 1.003", "-rand-seed"):
        assert text in out


def test_training_without_valid_and_a_fixed_epoch_count(corpus):
    """-max-iter without -valid: those epochs, no validation held out (the bare
    command's held-out validation is tests/test_heldout.py's)."""
    result = run("train", "-rnnlm", str(corpus / "nv.rnn"), "-train", str(corpus / "train.txt"),
                 "-hidden", "4", "-class", "2", "-max-iter", "2")
    assert result.exit_code == 0 and result.stdout.count("Iter:") == 2
    assert "held out" not in result.stderr and "VALID" not in result.stdout


def test_finished_model_is_not_retrained(corpus, model):
    before = open(model, "rb").read()
    result = run("train", "-rnnlm", model, "-train", str(corpus / "train.txt"),
                 "-valid", str(corpus / "valid.txt"))
    assert result.exit_code == 0 and "already trained" in result.stderr
    assert open(model, "rb").read() == before


def one_error_line(result, code, text):
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,code,text", [
    (["-hidden", "-5"], 2, "-hidden must be at least 1"),
    (["-class", "0"], 2, "-class must be at least 1"),
    (["-direct-order", "0"], 2, "-direct-order must be between"),
    (["-bptt-block", "0"], 2, "-bptt-block must be at least 1"),
    (["-alpha", "0"], 2, "-alpha must be positive"),
    (["-hidden", "many"], 2, "'many' is not a valid integer"),
    (["-nonsense", "1"], 2, "no such option '-nonsense'"),
])
def test_impossible_train_options(corpus, args, code, text):
    result = run("train", "-rnnlm", str(corpus / "x.rnn"), "-train", str(corpus / "train.txt"),
                 "-valid", str(corpus / "valid.txt"), *args)
    one_error_line(result, code, text)
    assert not os.path.exists(corpus / "x.rnn")


def test_bad_inputs(corpus, model, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.txt").write_bytes(b"the \xff cat\n")
    (tmp_path / "unknown.txt").write_text("zebra gnu\n")
    (tmp_path / "foreign.rnn").write_text("hello world\n")
    (tmp_path / "cut04.txt").write_text("version: 10\nfile format: 0\n")
    (tmp_path / "cut.rnn").write_bytes(open(model, "rb").read()[:300])
    test = str(corpus / "test.txt")
    cases = [
        (["train", "-rnnlm", str(tmp_path / "m"), "-train", str(tmp_path / "empty.txt"),
          "-max-iter", "1"], "file is empty"),
        (["train", "-rnnlm", str(tmp_path / "m"), "-train", str(tmp_path / "nope.txt"),
          "-max-iter", "1"], "no such file"),
        (["eval", "-rnnlm", model, "-test", str(tmp_path / "bad.txt")], "bad.txt:1: invalid UTF-8"),
        (["eval", "-rnnlm", model, "-test", str(tmp_path / "unknown.txt")],
         "none of the 2 words"),
        (["eval", "-rnnlm", model, "-test", str(tmp_path / "empty.txt")], "test file is empty"),
        (["eval", "-rnnlm", str(tmp_path / "foreign.rnn"), "-test", test], "not an rnnlm model"),
        (["eval", "-rnnlm", str(tmp_path / "cut.rnn"), "-test", test], "truncated"),
        (["eval", "-rnnlm", str(tmp_path / "cut04.txt"), "-test", test], "rnnlm 0.4b model"),
        (["eval", "-rnnlm", str(tmp_path), "-test", test], "is a directory"),
    ]
    for args, text in cases:
        one_error_line(run(*args), 1, text)


def test_console_script_end_to_end(corpus, model):
    """The installed command, in a pipe: results on stdout, exit status 0."""
    done = subprocess.run(["rnnlm", "eval", "-rnnlm", model, "-test", "-", "--format", "json"],
                          input="the cat sat\n", capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["sentences"] == 1
    assert done.stderr == ""
    # python -m from the root of a source checkout, where kernels/ is not inside the package
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    failed = subprocess.run([sys.executable, "-m", "rnnlm_cli", "eval", "-rnnlm", "nope",
                             "-test", "-"], input="", capture_output=True, text=True, cwd=root)
    assert failed.returncode == 1 and failed.stderr == "rnnlm: error: nope: no such model file\n"


def test_one_iter_trains_one_epoch_without_validation(corpus):
    result = run("train", "-rnnlm", str(corpus / "one.rnn"), "-train", str(corpus / "train.txt"),
                 "-valid", str(corpus / "valid.txt"), "-hidden", "4", "-class", "2", "-one-iter",
                 "-q")
    assert result.exit_code == 0
    assert result.stdout.count("Iter:") == 1 and "VALID" not in result.stdout


def test_old_classes_option_changes_the_class_assignment(corpus):
    from rnnlm_cli.model import Model
    classes = {}
    for flag in ((), ("-old-classes",)):
        path = str(corpus / f"cls{len(flag)}.rnn")
        run("train", "-rnnlm", path, "-train", str(corpus / "train.txt"), "-hidden", "4",
            "-class", "3", "-max-iter", "1", "-q", *flag)
        model = Model.load(path)
        assert model.config.old_classes == bool(flag)
        classes[bool(flag)] = list(model.vocab.word_class)
    assert classes[True] != classes[False]

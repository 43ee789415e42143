import gzip

import pytest
from click.testing import CliRunner

from conftest import shared_path
from rnnlm_cli.cli import main


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


def one_error_line(result, code, text):
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr


@pytest.fixture(scope="module")
def swb():
    return shared_path("data", "swb-example", "train.txt"), shared_path("data", "swb-example",
                                                                        "test.txt")


def test_kn5_from_the_command_line_matches_srilm(tmp_path, swb):
    train, test = swb
    arpa = tmp_path / "kn5.arpa.gz"
    result = run("ngram-count", "-text", train, "-order", "5", "-kndiscount", "-interpolate",
                 "-gt3min", "1", "-gt4min", "1", "-lm", str(arpa))
    assert result.exit_code == 0, result.stderr
    with gzip.open(arpa, "rt") as ours, gzip.open(shared_path("reference", "srilm",
                                                              "kn5.arpa.gz"), "rt") as ref:
        assert ours.read() == ref.read()
    result = run("eval", "-lm", str(arpa), "-order", "5", "-ppl", test)
    reference = open(shared_path("reference", "srilm", "kn5.ppl.debug0")).read()
    assert result.stdout == reference.replace("ex.test", test)


def test_counts_to_stdout_by_default_and_per_order_files(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a b\nb a\n")
    result = run("ngram-count", "-text", str(text), "-order", "2")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == ["</s>\t2", "<s>\t2", "<s> a\t1"]
    result = run("ngram-count", "-text", str(text), "-order", "2", "-write2",
                 str(tmp_path / "two"), "-write-vocab", str(tmp_path / "vocab"))
    assert result.stdout == ""
    assert (tmp_path / "two").read_text().splitlines() == [
        "<s> a\t1", "<s> b\t1", "a </s>\t1", "a b\t1", "b </s>\t1", "b a\t1"]
    assert (tmp_path / "vocab").read_text().split() == ["-pau-", "</s>", "<s>", "<unk>", "a", "b"]


def test_text_from_stdin_and_lm_to_stdout():
    result = run("ngram-count", "-text", "-", "-order", "1", "-lm", "-", stdin="a b a\n")
    assert result.exit_code == 0
    assert result.stdout.startswith("\n\\data\\\nngram 1=4\n")


def test_kneser_ney_on_tiny_data_fails_clearly_then_falls_back(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a b c\n")
    result = run("ngram-count", "-text", str(text), "-order", "2", "-kndiscount", "-lm",
                 str(tmp_path / "x.arpa"))
    one_error_line(result, 2, "order 1")
    assert "-discount-fallback" in result.stderr and not (tmp_path / "x.arpa").exists()
    result = run("ngram-count", "-text", str(text), "-order", "2", "-kndiscount",
                 "-discount-fallback", "-lm", str(tmp_path / "x.arpa"))
    assert result.exit_code == 0 and (tmp_path / "x.arpa").exists()
    assert "using fallback discounts" in result.stderr


@pytest.mark.parametrize("args,code,text", [
    (["ngram-count", "-order", "2"], 2, "give one of -text or -read"),
    (["ngram-count", "-text", "nope.txt"], 1, "nope.txt: no such file"),
    (["ngram-count", "-text", "-", "-cdiscount", "2", "-lm", "-"], 2, "-cdiscount must be"),
    (["ngram-count", "-text", "-", "-order", "0"], 2, "0 is not in the range"),
    (["eval", "-test", "-"], 2, "give -rnnlm MODEL, -lm ARPA, or both"),
    (["eval", "-lm", "x.arpa", "-lm-prob", "p", "-test", "-"], 2, "-lm-prob goes with -rnnlm"),
])
def test_bad_command_lines(args, code, text):
    one_error_line(run(*args, stdin="a b\n"), code, text)


def test_bad_arpa_file_names_the_line(tmp_path):
    arpa = tmp_path / "bad.arpa"
    arpa.write_text("\\data\\\nngram 1=1\n\n\\1-grams:\n-0.5 a\nzz b\n\n\\end\\\n")
    one_error_line(run("eval", "-lm", str(arpa), "-ppl", "-", stdin="a\n"), 1,
                   "bad.arpa:6: bad probability 'zz'")


def test_vocabulary_options(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("The cat\nthe Dog\n")
    vocab = tmp_path / "v.txt"
    vocab.write_text("the\ncat\n")
    out = run("ngram-count", "-text", str(text), "-order", "1", "-tolower").stdout
    assert "the\t2" in out and "dog\t1" in out
    out = run("ngram-count", "-text", str(text), "-order", "1", "-tolower", "-vocab", str(vocab),
              "-map-unk", "<UNK>").stdout
    assert "<UNK>\t1" in out and "dog" not in out
    counts = tmp_path / "c.txt"
    counts.write_text("the cat\t3\nthe dog\t2\nthe\t5\ncat\t3\ndog\t2\n")
    out = run("ngram-count", "-read", str(counts), "-order", "2", "-vocab", str(vocab),
              "-limit-vocab").stdout
    assert "the cat\t3" in out and "dog" not in out and "<unk>" not in out

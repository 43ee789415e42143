import gzip
import re

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


@pytest.fixture(scope="module")
def rnn_model(tmp_path_factory):
    """A small RNN trained on a text of known structure (rnnlm_cli.synthetic)."""
    from rnnlm_cli.synthetic import write_corpus
    folder = tmp_path_factory.mktemp("approx")
    write_corpus(str(folder), tokens=20000, seed=3)
    path = folder / "m.rnn"
    result = run("train", "-rnnlm", str(path), "-train", str(folder / "train.txt"), "-valid",
                 str(folder / "valid.txt"), "-hidden", "16", "-class", "8", "-q")
    assert result.exit_code == 0, result.output
    return folder, path


def ppl(arpa, text):
    result = run("eval", "-lm", str(arpa), "-ppl", str(text), "--format", "json")
    assert result.exit_code == 0, result.stderr
    import json
    return json.loads(result.stdout)["ppl"]


def test_ngram_approx_turns_the_rnn_into_an_arpa_model(rnn_model, tmp_path):
    """A trigram estimated on text sampled from the RNN models held-out text of the RNN's
    source nearly as well as a trigram estimated on that source's own training text
    (the same number of tokens); pruning shrinks it; two threads work."""
    folder, model = rnn_model
    approx = tmp_path / "approx.arpa"
    result = run("ngram-approx", "-rnnlm", str(model), "-words", "20000", "-order", "3",
                 "-lm", str(approx), "-threads", "2")
    assert result.exit_code == 0, result.stderr
    assert "sampled" in result.stderr
    direct = tmp_path / "direct.arpa"
    assert run("ngram-count", "-text", str(folder / "train.txt"), "-order", "3",
               "-kndiscount", "-interpolate", "-discount-fallback", "-lm", str(direct),
               "-q").exit_code == 0
    assert ppl(approx, folder / "test.txt") < 1.15 * ppl(direct, folder / "test.txt")
    pruned = tmp_path / "pruned.arpa"
    assert run("ngram-approx", "-rnnlm", str(model), "-words", "20000", "-order", "3",
               "-prune", "1e-3", "-lm", str(pruned), "-q").exit_code == 0
    assert pruned.stat().st_size < 0.8 * approx.stat().st_size
    bounded = tmp_path / "bounded.arpa"
    result = run("ngram-approx", "-rnnlm", str(model), "-words", "20000", "-order", "3",
                 "-prune", "1e-3", "-lm", str(bounded), "-memory", "32M")
    assert result.exit_code == 0, result.stderr
    assert bounded.read_text() == pruned.read_text()
    counts = [int(n) for n in re.findall(r"ngram \d=(\d+)", bounded.read_text())]
    assert result.stderr.strip().endswith(" ".join(f"{k}={n}" for k, n in enumerate(counts, 1)))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ngram-approx.")]


def test_bounded_memory_writes_srilm_bytes_and_leaves_no_temp_files(tmp_path, swb):
    train, _ = swb
    arpa, temp = tmp_path / "kn5.arpa.gz", tmp_path / "spill"
    temp.mkdir()
    (temp / "rnnlm-ngram.999999999.abcdef").mkdir()      # left by a killed run
    (temp / "someone-elses").mkdir()
    result = run("ngram-count", "-text", train, "-order", "5", "-kndiscount", "-interpolate",
                 "-gt3min", "1", "-gt4min", "1", "-lm", str(arpa), "-memory", "32M",
                 "-temp-dir", str(temp))
    assert result.exit_code == 0, result.stderr
    with gzip.open(arpa, "rt") as ours, gzip.open(shared_path("reference", "srilm",
                                                              "kn5.arpa.gz"), "rt") as ref:
        assert ours.read() == ref.read()
    assert sorted(p.name for p in temp.iterdir()) == ["someone-elses"]


def test_bounded_memory_prunes_and_writes_the_vocabulary(tmp_path, swb):
    train, _ = swb
    common = ["ngram-count", "-text", train, "-order", "3", "-kndiscount", "-prune", "1e-6"]
    assert run(*common, "-lm", str(tmp_path / "a.arpa")).exit_code == 0
    result = run(*common, "-lm", str(tmp_path / "b.arpa"), "-memory", "32M",
                 "-write-vocab", str(tmp_path / "v"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.arpa").read_text() == (tmp_path / "b.arpa").read_text()
    assert len((tmp_path / "v").read_text().split()) > 1000


def test_sigterm_removes_the_temp_folder(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    temp = tmp_path / "spill"
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnlm_cli", "ngram-count", "-text", "-", "-lm",
         str(tmp_path / "x.arpa"), "-memory", "32M", "-temp-dir", str(temp)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdin.write("a b c\n" * 1000)
    process.stdin.flush()
    deadline = time.time() + 60
    while not list(temp.iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    assert list(temp.iterdir()), "no work folder appeared"
    os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr, stderr
    assert not list(temp.iterdir()) and not (tmp_path / "x.arpa").exists()


def test_bounded_memory_writes_and_merges_count_files(tmp_path, swb):
    train, _ = swb
    lines = open(train).read().splitlines()
    (tmp_path / "a.txt").write_text("\n".join(lines[::2]) + "\n")
    (tmp_path / "b.txt").write_text("\n".join(lines[1::2]) + "\n")
    for name in "ab":
        result = run("ngram-count", "-text", str(tmp_path / f"{name}.txt"), "-order", "3",
                     "-memory", "32M", "-write", str(tmp_path / f"{name}.counts.gz"))
        assert result.exit_code == 0, result.stderr
    assert run("ngram-count", "-text", train, "-order", "3", "-write",
               str(tmp_path / "all.counts"), "-write2", str(tmp_path / "all.2")).exit_code == 0
    result = run("ngram-count", "-read", str(tmp_path / "a.counts.gz"), "-read",
                 str(tmp_path / "b.counts.gz"), "-order", "3", "-memory", "32M", "-write",
                 str(tmp_path / "merged.counts"), "-write2", str(tmp_path / "merged.2"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "merged.counts").read_text() == (tmp_path / "all.counts").read_text()
    assert (tmp_path / "merged.2").read_text() == (tmp_path / "all.2").read_text()

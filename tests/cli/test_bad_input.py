"""The bad-input matrix: every case through the installed `rnnlm` command.

Errors: exactly one line on stderr, a non-zero exit status, no traceback, and no
output file left behind.  Odd but valid input (CRLF, blank lines, tabs, very
long lines) is read, and scores as its clean twin does.
"""
import json
import subprocess

import pytest

TRAIN = "the cat sat on the mat\nthe dog sat\na cat ran\nthe dog ran on the mat\n" * 20


def rnnlm(*args, stdin=None):
    return subprocess.run(["rnnlm", *map(str, args)], capture_output=True, text=True,
                          input=stdin)


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "train.txt").write_text(TRAIN)
    (d / "test.txt").write_text("the cat sat\nthe dog ran on the mat\n")
    assert rnnlm("train", "-rnnlm", d / "m.rnn", "-train", d / "train.txt", "-hidden", "5",
                 "-class", "3", "-max-iter", "2", "-q").returncode == 0
    assert rnnlm("ngram-count", "-text", d / "train.txt", "-order", "3", "-lm",
                 d / "lm.arpa").returncode == 0
    model = (d / "m.rnn").read_bytes()
    (d / "cut.rnn").write_bytes(model[:len(model) // 2])
    flipped = bytearray(model)
    header_end = 22 + int.from_bytes(model[14:22], "little")      # magic, version, length
    flipped[-(-header_end // 64) * 64 + 3] ^= 0xFF                 # inside the first array
    (d / "flipped.rnn").write_bytes(bytes(flipped))
    (d / "foreign.rnn").write_bytes(b"PK\x03\x04 not a model at all")
    arpa = (d / "lm.arpa").read_text().splitlines(keepends=True)
    (d / "cut.arpa").write_text("".join(arpa[:len(arpa) // 2]))
    (d / "foreign.arpa").write_text("this is not an ARPA file\n")
    (d / "empty.txt").write_text("")
    (d / "utf8.txt").write_bytes(b"the cat\nthe \xc3\x28 dog\n")
    (d / "nul.txt").write_bytes(b"the cat\nthe \x00 dog\n")
    (d / "unknown.txt").write_text("zebra gnu okapi\n")
    (d / "dup.vocab").write_text("the\ncat\nthe\n")
    (d / "ids.nbest").write_text("0 the cat\n1 the dog\n0 a cat\n")
    (d / "lists.nbest").write_text("0 the cat sat\n0\n1 the dog\n")
    return d


def error_cases(d):
    m, test = d / "m.rnn", d / "test.txt"
    new = d / "new.rnn"
    return [
        ("missing file", ["eval", "-rnnlm", m, "-test", d / "nope.txt"], "no such file"),
        ("missing model", ["eval", "-rnnlm", d / "nope.rnn", "-test", test], "no such model"),
        ("empty training text", ["train", "-rnnlm", new, "-train", d / "empty.txt",
                                 "-max-iter", "1"], "empty"),
        ("empty test text", ["eval", "-rnnlm", m, "-test", d / "empty.txt"], "empty"),
        ("directory as text", ["eval", "-rnnlm", m, "-test", d], "directory"),
        ("directory as model", ["eval", "-rnnlm", d, "-test", test], "directory"),
        ("invalid UTF-8", ["eval", "-rnnlm", m, "-test", d / "utf8.txt"], "utf8.txt:2"),
        ("NUL byte", ["eval", "-rnnlm", m, "-test", d / "nul.txt"], "nul.txt:2"),
        ("validation without known words", ["train", "-rnnlm", new, "-train",
                                            d / "train.txt", "-valid", d / "unknown.txt", "-q"],
         "unknown.txt"),
        ("truncated model", ["eval", "-rnnlm", d / "cut.rnn", "-test", test], "truncated"),
        ("corrupt model", ["eval", "-rnnlm", d / "flipped.rnn", "-test", test], "checksum"),
        ("foreign model", ["eval", "-rnnlm", d / "foreign.rnn", "-test", test], "model"),
        ("truncated ARPA", ["eval", "-lm", d / "cut.arpa", "-ppl", test], "cut.arpa"),
        ("foreign ARPA", ["eval", "-lm", d / "foreign.arpa", "-ppl", test], "not an ARPA file"),
        ("N-best list ids not contiguous", ["nbest-rescore", "-rnnlm", m, "-nbest",
                                            d / "ids.nbest"], "appears again"),
        ("vocabulary with duplicates", ["ngram-count", "-text", d / "train.txt", "-vocab",
                                        d / "dup.vocab", "-lm", d / "x.arpa"], "dup.vocab"),
        ("negative hidden size", ["train", "-rnnlm", new, "-train", d / "train.txt",
                                  "-hidden", "-5", "-max-iter", "1"], "hidden"),
        ("zero classes", ["train", "-rnnlm", new, "-train", d / "train.txt", "-class", "0",
                          "-max-iter", "1"], "class"),
        ("order 0", ["ngram-count", "-text", d / "train.txt", "-order", "0"], "order"),
        ("negative -prune", ["ngram-count", "-text", d / "train.txt", "-lm", d / "x.arpa",
                             "-prune", "-1e-7"], "-prune"),
        ("ngram-prune: missing model", ["ngram-prune", "-lm", d / "nope.arpa", "-prune",
                                        "1e-7", "-write-lm", d / "x.arpa"], "no such file"),
        ("ngram-prune: truncated ARPA", ["ngram-prune", "-lm", d / "cut.arpa", "-prune",
                                         "1e-7", "-write-lm", d / "x.arpa"], "cut.arpa"),
        ("ngram-approx: missing model", ["ngram-approx", "-rnnlm", d / "nope.rnn", "-words",
                                         "100", "-lm", d / "x.arpa"], "no such model"),
        ("ngram-approx: missing temp dir", ["ngram-approx", "-rnnlm", m, "-words", "100",
                                            "-lm", d / "x.arpa", "-temp-dir", d / "nope"],
         "-temp-dir"),
        ("ngram-approx: unwritable temp dir", ["ngram-approx", "-rnnlm", m, "-words", "100",
                                               "-lm", d / "x.arpa", "-temp-dir", "/proc"],
         "cannot write"),
        ("ngram-approx: unwritable output folder", ["ngram-approx", "-rnnlm", m, "-words",
                                                    "100", "-lm", "/proc/x.arpa"],
         "cannot write"),
        ("ngram-count -memory: missing temp dir", ["ngram-count", "-text", d / "train.txt",
                                                   "-lm", d / "x.arpa", "-memory", "64M",
                                                   "-temp-dir", d / "nope"], "-temp-dir"),
        ("ngram-count -memory: unwritable temp dir", ["ngram-count", "-text", d / "train.txt",
                                                      "-lm", d / "x.arpa", "-memory", "64M",
                                                      "-temp-dir", "/proc"], "cannot write"),
        ("ngram-count -memory: budget too small", ["ngram-count", "-text", d / "train.txt",
                                                   "-lm", d / "x.arpa", "-memory", "1M"],
         "too small"),
        ("ngram-count -memory: not a size", ["ngram-count", "-text", d / "train.txt",
                                             "-lm", d / "x.arpa", "-memory", "lots"], "-memory"),
        ("ngram-count -temp-dir without -memory", ["ngram-count", "-text", d / "train.txt",
                                                   "-lm", d / "x.arpa", "-temp-dir", d],
         "-temp-dir goes with"),
        ("ngram-count -dask: scheduler unreachable", ["ngram-count", "-text", d / "train.txt",
                                                      "-lm", d / "x.arpa", "-dask",
                                                      "tcp://127.0.0.1:9"], "cannot reach"),
        ("ngram-count -dask: no workers", ["ngram-count", "-text", d / "train.txt", "-lm",
                                           d / "x.arpa", "-dask", "local:0"], "local:N"),
        ("ngram-mix: missing second model", ["ngram-mix", "-lm", d / "lm.arpa", "-mix-lm",
                                             d / "nope.arpa", "-write-lm", d / "x.arpa"],
         "no such file"),
        ("ngram-mix: truncated second model", ["ngram-mix", "-lm", d / "lm.arpa", "-mix-lm",
                                               d / "cut.arpa", "-write-lm", d / "x.arpa"],
         "cut.arpa"),
        ("ngram-mix: weight above 1", ["ngram-mix", "-lm", d / "lm.arpa", "-mix-lm",
                                       d / "lm.arpa", "-lambda", "1.5"], "lambda"),
        ("eval -mix-lm with an RNN", ["eval", "-rnnlm", m, "-lm", d / "lm.arpa", "-mix-lm",
                                      d / "lm.arpa", "-test", test], "ngram-mix"),
        ("ngram-prune: threshold 0", ["ngram-prune", "-lm", d / "lm.arpa", "-prune", "0",
                                      "-write-lm", d / "x.arpa"], "-prune"),
        ("lambda above 1", ["eval", "-rnnlm", m, "-lm", d / "lm.arpa", "-test", test,
                            "-lambda", "1.5"], "lambda"),
        ("negative checkpoint interval", ["train", "-rnnlm", new, "-train", d / "train.txt",
                                          "-checkpoint-every", "-1", "-max-iter", "1"],
         "checkpoint"),
        ("threads on the GPU", ["train", "-rnnlm", new, "-train", d / "train.txt", "-threads",
                                "2", "--device", "cuda", "-max-iter", "1"], "one thread"),
    ]


CASE_NAMES = [case[0] for case in error_cases(__import__("pathlib").Path("."))]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_error_case(d, name):
    (case,) = [c for c in error_cases(d) if c[0] == name]
    _, args, expected = case
    done = rnnlm(*args)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert expected.lower() in done.stderr.lower(), done.stderr
    assert not (d / "new.rnn").exists()
    assert not (d / "x.arpa").exists()


def json_ppl(d, text_path):
    done = rnnlm("eval", "-rnnlm", d / "m.rnn", "-test", text_path, "-format", "json")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name, content", [
    ("crlf", "the cat sat\r\nthe dog ran on the mat\r\n"),
    ("tabs and runs of spaces", "the\tcat  sat \n\tthe dog ran   on\t\tthe mat\n"),
])
def test_odd_but_valid_text_scores_like_its_clean_twin(d, name, content):
    path = d / f"{name.replace(' ', '_')}.txt"
    path.write_text(content, newline="")
    odd, clean = json_ppl(d, path), json_ppl(d, d / "test.txt")
    assert (odd["sentences"], odd["words"]) == (clean["sentences"], clean["words"])
    assert odd["ppl"] == pytest.approx(clean["ppl"], rel=1e-9)


def test_blank_lines_are_empty_sentences_as_in_rnnlm(d):
    """rnnlm scores an empty line as a lone </s>; so do we (SRILM skips them)."""
    path = d / "blank.txt"
    path.write_text("\nthe cat sat\n\nthe dog ran on the mat\n")
    report = json_ppl(d, path)
    assert (report["sentences"], report["words"], report["scored_tokens"]) == (4, 9, 13)


def test_a_line_of_100000_words(d):
    path = d / "long.txt"
    path.write_text(" ".join(["the", "cat", "sat", "on", "the", "mat"] * 16667)[:10**7] + "\n")
    report = json_ppl(d, path)
    assert report["sentences"] == 1 and report["words"] > 100_000


def test_nbest_with_an_empty_hypothesis(d):
    done = rnnlm("nbest-rescore", "-rnnlm", d / "m.rnn", "-nbest", d / "lists.nbest", "-q")
    assert done.returncode == 0, done.stderr
    scores = [float(x) for x in done.stdout.split()]
    assert len(scores) == 3 and scores[1] < 0      # the empty one still scores its </s>

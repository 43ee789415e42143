"""--encoding and --errors: text in another encoding gives the same numbers as the same
text in UTF-8; undecodable bytes are an error naming the line unless replaced."""
import json
import random

import pytest
from click.testing import CliRunner

from rnnlm_cli.cli import main

WORDS = ["café", "naïve", "über", "garçon", "the", "a", "déjà", "vu"]


def run(*args, code=0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """The same sentences in latin-1 and in UTF-8."""
    folder = tmp_path_factory.mktemp("enc")
    rng = random.Random(3)
    text = "".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + "\n"
                   for _ in range(300))
    (folder / "latin1.txt").write_bytes(text.encode("latin-1"))
    (folder / "utf8.txt").write_bytes(text.encode("utf-8"))
    return folder


def test_default_utf8_names_the_bad_line(texts):
    result = run("train", "-rnnlm", str(texts / "bad.rnn"), "-train",
                 str(texts / "latin1.txt"), "-max-iter", "1", "-q", code=1)
    line, = result.stderr.strip().split("\n")
    assert "latin1.txt:1: invalid UTF-8" in line and "--encoding" in line
    assert not (texts / "bad.rnn").exists()


def test_latin1_pipeline_equals_utf8_pipeline(texts):
    results = {}
    for name, encoding in (("latin1", "latin-1"), ("utf8", "utf-8")):
        text, arpa, model = (str(texts / f"{name}{suffix}") for suffix in (".txt", ".arpa",
                                                                             ".rnn"))
        run("ngram-count", "-text", text, "-order", "3", "-wbdiscount", "-lm", arpa,
            "--encoding", encoding)
        run("train", "-rnnlm", model, "-train", text, "-hidden", "5", "-class", "3",
            "-max-iter", "2", "-q", "--encoding", encoding)
        ngram = run("eval", "-lm", arpa, "-test", text, "--encoding", encoding)
        rnn = run("eval", "-rnnlm", model, "-test", text, "-format", "json",
                  "--encoding", encoding)
        results[name] = (ngram.stdout.replace(name, ""), json.loads(rnn.stdout))
    assert (texts / "latin1.arpa").read_bytes().decode("latin-1") == \
        (texts / "utf8.arpa").read_text(encoding="utf-8")
    assert results["latin1"][0] == results["utf8"][0]
    latin, utf = results["latin1"][1], results["utf8"][1]
    assert latin["oovs"] == utf["oovs"] == 0
    assert latin["ppl"] == utf["ppl"] and latin["signature"] == utf["signature"]


def test_errors_replace_reads_bad_bytes_as_unknown_words(texts):
    model = str(texts / "u.rnn")
    run("train", "-rnnlm", model, "-train", str(texts / "utf8.txt"), "-hidden", "5",
        "-class", "3", "-max-iter", "1", "-q")
    result = run("eval", "-rnnlm", model, "-test", str(texts / "latin1.txt"), "-format", "json",
                 "--errors", "replace")
    report = json.loads(result.stdout)
    accented = sum(1 for word in (texts / "utf8.txt").read_text().split() if word in WORDS[:4]
                   or word == "déjà")
    assert report["oovs"] == accented > 0


def test_output_is_written_in_the_encoding(texts):
    model = str(texts / "s.rnn")
    run("train", "-rnnlm", model, "-train", str(texts / "utf8.txt"), "-hidden", "5",
        "-class", "3", "-max-iter", "1", "-q")
    latin = run("sample", "-rnnlm", model, "-n", "20", "--encoding", "latin-1").stdout_bytes
    utf = run("sample", "-rnnlm", model, "-n", "20").stdout_bytes
    assert latin.decode("latin-1") == utf.decode("utf-8") and latin != utf
    ascii_only = run("sample", "-rnnlm", model, "-n", "20", "--encoding", "ascii", code=1)
    assert "cannot write" in ascii_only.stderr and "Traceback" not in ascii_only.stderr
    replaced = run("sample", "-rnnlm", model, "-n", "20", "--encoding", "ascii",
                   "--errors", "replace").stdout_bytes
    assert replaced.decode("ascii") == "".join(c if ord(c) < 128 else "?"
                                               for c in utf.decode("utf-8"))


def test_byte_order_mark_is_not_a_word(texts, tmp_path):
    model = str(texts / "b.rnn")
    run("train", "-rnnlm", model, "-train", str(texts / "utf8.txt"), "-hidden", "5",
        "-class", "3", "-max-iter", "1", "-q")
    marked = tmp_path / "bom.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + (texts / "utf8.txt").read_bytes())
    plain = json.loads(run("eval", "-rnnlm", model, "-test", str(texts / "utf8.txt"),
                           "-format", "json").stdout)
    with_bom = json.loads(run("eval", "-rnnlm", model, "-test", str(marked),
                              "-format", "json").stdout)
    assert with_bom["oovs"] == 0 and with_bom["ppl"] == plain["ppl"]


@pytest.mark.parametrize("encoding, message", [("utf-16", "iconv"), ("klingon", "unknown")])
def test_unusable_encodings_are_refused(texts, encoding, message):
    result = run("eval", "-lm", "x.arpa", "-test", str(texts / "utf8.txt"),
                 "--encoding", encoding, code=2)
    line, = result.stderr.strip().split("\n")
    assert message in line

import io
import math

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.errors import InputError
from rnnlm_cli.kernels.arpa import parse_number
from rnnlm_cli.ngram.arpa import read_arpa, write_arpa
from rnnlm_cli.ngram.ppl import perplexity

# A KenLM-style toy model (bows on every line, <s> with probability 0 = log10 1),
# small enough to compute its probabilities by hand.
KENLM_TOY = """\\data\\
ngram 1=4
ngram 2=3

\\1-grams:
-1\t<unk>\t0
0\t<s>\t-0.30103
-0.5\ta\t-0.2
-0.6\t</s>\t0

\\2-grams:
-0.1\t<s> a
-0.25\ta </s>
-0.7\ta a

\\end\\
"""


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.arpa"
    path.write_text(KENLM_TOY)
    return str(path)


def test_kenlm_toy_scores_by_hand(toy, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a a\na b\n")
    out = io.StringIO()
    stats = perplexity(read_arpa(toy), str(text), debug=2, out=out)
    # sentence 1: p(a|<s>) p(a|a) p(</s>|a) = -0.1 -0.7 -0.25
    # sentence 2: p(a|<s>) = -0.1; b is scored as <unk>, which has a probability here:
    # bow(a) + p(<unk>) = -0.2 - 1; then p(</s>|<unk>) backs off: bow(<unk>) 0 + p(</s>)
    assert stats.logprob == pytest.approx(-0.1 - 0.7 - 0.25 - 0.1 - 1.2 - 0.6, abs=1e-6)
    assert (stats.sentences, stats.words, stats.oovs) == (2, 4, 0)
    assert stats.ppl == pytest.approx(10 ** (2.95 / (4 + 2)))
    lines = out.getvalue().splitlines()
    assert lines[1] == "\tp( a | <s> ) \t= [2gram] 0.7943282 [ -0.1 ]"
    assert "\tp( <unk> | a ...) \t= [1gram] 0.06309573 [ -1.2 ]" in lines
    assert "\tp( </s> | <unk> ...) \t= [1gram] 0.2511886 [ -0.6 ]" in lines


def test_unknown_word_without_probability_is_an_oov(toy, tmp_path):
    path = tmp_path / "closed.arpa"
    path.write_text(KENLM_TOY.replace("-1\t<unk>\t0", "-99\t<unk>\t0"))
    text = tmp_path / "t.txt"
    text.write_text("a b\n")
    out = io.StringIO()
    stats = perplexity(read_arpa(str(path)), str(text), debug=2, out=out)
    assert (stats.words, stats.oovs, stats.zeroprobs) == (2, 1, 0)
    assert stats.logprob == pytest.approx(-0.1 - 0.6, abs=1e-6)
    # SRILM finds the explicit -99 unigram, so it prints [1gram] (not [OOV]) and counts an OOV
    assert "\tp( <unk> | a ...) \t= [1gram] 0 [ -inf ]" in out.getvalue()


def test_backoff_weight_is_added_when_backing_off(toy, tmp_path):
    # p(</s> | <s>) is not explicit: bow(<s>) + p(</s>) = -0.30103 - 0.6
    model = read_arpa(toy)
    assert model.sentence_logprob([]) == pytest.approx(-0.90103, abs=1e-6)


@pytest.mark.parametrize("name,unk", [("kn5", False), ("gt3", False), ("wb3", False),
                                      ("kn3-backoff", False), ("kn3-unk", True)])
def test_srilm_files_give_srilm_perplexity(name, unk):
    test = shared_path("data", "swb-example", "test.txt")
    out = io.StringIO()
    perplexity(read_arpa(shared_path("reference", "srilm", f"{name}.arpa.gz"), unk_is_word=unk),
               test, out=out)
    reference = open(shared_path("reference", "srilm", f"{name}.ppl.debug0")).read()
    assert out.getvalue() == reference.replace("ex.test", test)


@pytest.mark.parametrize("debug", [1, 2])
def test_srilm_debug_output_is_identical(debug):
    test = shared_path("data", "swb-example", "test.txt")
    out = io.StringIO()
    perplexity(read_arpa(shared_path("reference", "srilm", "kn5.arpa.gz")), test, debug=debug,
               out=out)
    reference = open(shared_path("reference", "srilm", f"kn5.ppl.debug{debug}")).read()
    assert out.getvalue() == reference.replace("ex.test", test)


def test_write_then_read_round_trip(toy):
    model = read_arpa(toy)
    buffer = io.StringIO()
    write_arpa(model, buffer)
    text = buffer.getvalue()
    assert "-99\t<s>" not in text and "0\t<s>\t-0.30103" in text   # KenLM's <s> prob kept
    again = io.StringIO()
    path = toy + ".again"
    open(path, "w").write(text)
    write_arpa(read_arpa(path), again)
    assert again.getvalue() == text


@pytest.mark.parametrize("text", ["-0.1234567", "-99", "0", "1e-05", "-1.5E+3", "12.5",
                                  "-0.000001234567", "-7"])
def test_number_parser_agrees_with_python(text):
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    value, exact = parse_number(data, 0, data.size)
    assert exact
    assert value == float(text)


@pytest.mark.parametrize("text", ["-inf", "abc", "1.2.3", "-", "1e", "0.12345678901234567",
                                  "3.4028235e+38"])   # the last: exponent beyond exact range
def test_number_parser_leaves_other_tokens_to_python(text):
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    assert parse_number(data, 0, data.size)[1] is False


@pytest.mark.parametrize("mangle,message", [
    (lambda t: t.replace("-0.25\ta </s>", "x\ta </s>"), r"toy.arpa:\d+: bad probability 'x'"),
    (lambda t: t.replace("-0.7\ta a", "-0.7\ta a b c"), "2-gram line needs"),
    (lambda t: t.replace("\\end\\\n", ""), "truncated ARPA file"),
    (lambda t: t.replace("\\data\\", "data"), "not an ARPA file"),
    (lambda t: t.replace("ngram 2=3", "ngram two=3"), "expected 'ngram N=count'"),
])
def test_malformed_files_name_the_problem(tmp_path, mangle, message):
    path = tmp_path / "toy.arpa"
    path.write_text(mangle(KENLM_TOY))
    with pytest.raises(InputError, match=message):
        read_arpa(str(path))


def test_bad_probability_reports_its_line(tmp_path):
    path = tmp_path / "toy.arpa"
    path.write_text(KENLM_TOY.replace("-0.25\ta </s>", "x\ta </s>"))
    with pytest.raises(InputError) as error:
        read_arpa(str(path))
    line = KENLM_TOY.splitlines().index("-0.25\ta </s>") + 1
    assert f"toy.arpa:{line}:" in str(error.value)


def test_order_limits_the_model(toy):
    model = read_arpa(toy, order=1)
    assert model.order == 1
    assert model.sentence_logprob(["a"]) == pytest.approx(-0.5 - 0.6)
    assert math.isfinite(model.sentence_logprob(["a"]))

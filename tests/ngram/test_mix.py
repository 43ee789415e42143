"""Static mixing of two backoff models (ngram-mix, eval -mix-lm), as SRILM's -mix-lm."""
import io
import subprocess
import sys

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.ngram.arpa import read_arpa, write_arpa
from rnnlm_cli.ngram.mix import mix

TEST = shared_path("data", "swb-example", "test.txt")


def reference(name):
    return shared_path("reference", "srilm", f"{name}.arpa.gz")


def naive_logp(model, context: list, word: str) -> float:
    """log10 P(word | context) by the ARPA rule, word strings in Python dicts: the
    longest explicit n-gram's probability plus the weights of the longer contexts."""
    if not hasattr(model, "entries"):
        from rnnlm_cli.ngram.arpa import words_matrix
        model.entries = {}
        for k, table in enumerate(model.tables, 1):
            rows = np.flatnonzero(~np.isnan(table.logp) | table.node)
            for row, ids in zip(rows, words_matrix(model, k, rows)):
                key = tuple(model.vocab.words[i] for i in ids)
                model.entries[key] = (float(table.logp[row]),
                                      float(table.bow[row]) if table.node[row] else 0.0)
    bow = 0.0
    for start in range(len(context) + 1):
        probability = model.entries.get(tuple(context[start:]) + (word,), (np.nan,))[0]
        if not np.isnan(probability):
            return probability + bow
        bow += model.entries.get(tuple(context[start:]), (0.0, 0.0))[1]
    return -np.inf


@pytest.fixture(scope="module")
def models():
    return read_arpa(reference("kn5")), read_arpa(reference("gt3-prune1e-6"))


def _histories(model, count, seed):
    rng = np.random.default_rng(seed)
    words = [w for w in model.vocab.words if w not in ("<s>", "-pau-")]
    return [(["<s>"] + list(rng.choice(words, int(rng.integers(0, 4)))))[-4:]
            for _ in range(count)]


def test_explicit_ngrams_get_the_weighted_backoff_probabilities(models):
    main, other = models
    mixed = mix(main, other, 0.3)
    rng = np.random.default_rng(3)
    for k in range(1, 6):
        table = mixed.tables[k - 1]
        rows = rng.choice(np.flatnonzero(~np.isnan(table.logp)), 40)
        from rnnlm_cli.ngram.arpa import words_matrix
        for ids in words_matrix(mixed, k, rows):
            gram = [mixed.vocab.words[i] for i in ids]
            expected = np.log10(0.3 * 10 ** naive_logp(main, gram[:-1], gram[-1])
                                + 0.7 * 10 ** naive_logp(other, gram[:-1], gram[-1]))
            assert naive_logp(mixed, gram[:-1], gram[-1]) == pytest.approx(expected, abs=2e-6)


def test_every_context_sums_to_one(models):
    mixed = mix(*models, 0.6)
    vocab = mixed.vocab
    events = np.array([i for i, w in enumerate(vocab.words) if w not in ("<s>", "-pau-")])
    for context in _histories(mixed, 25, 5):
        ids = [vocab.index.get(w, -1) for w in context]
        rows = np.array([ids + [w] for w in events], np.int64)
        total = np.sum(np.power(10.0, mixed.backoff_logp(rows).astype(np.float64)))
        assert total == pytest.approx(1.0, abs=2e-5)


def test_weight_one_keeps_the_main_model(models):
    main, other = models
    mixed = mix(main, other, 1.0)
    for context in _histories(main, 20, 7):
        for word in ["the", "uh", "</s>", "know"]:
            assert naive_logp(mixed, context, word) == pytest.approx(
                naive_logp(main, context, word), abs=2e-6)


@pytest.mark.parametrize("main, other, weight, order, ppl", [
    # measured with SRILM 1.7.3: ngram -order N -lm MAIN -mix-lm OTHER -lambda W -ppl test.txt
    ("kn5", "wb3", 0.6, 5, "73.60812"),
    ("gt3", "kn3-unk", 0.25, 3, "89.36353"),
    # pruned: contexts whose suffixes have no n-grams of their own (nodes of weight 0)
    ("kn5-prune1e-7", "wb3-prune1e-6-minprune3", 0.4, 5, "74.64993"),
])
def test_perplexity_of_the_mixture_is_srilms(main, other, weight, order, ppl):
    done = subprocess.run([sys.executable, "-m", "rnnlm_cli", "eval", "-lm", reference(main),
                           "-mix-lm", reference(other), "-lambda", str(weight), "-order",
                           str(order), "-test", TEST, "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"ppl= {ppl} " in done.stdout


def test_written_mixture_reads_back_and_differs_from_either(models, tmp_path):
    out = tmp_path / "mix.arpa"
    done = subprocess.run([sys.executable, "-m", "rnnlm_cli", "ngram-mix", "-lm",
                           reference("kn5"), "-mix-lm", reference("gt3-prune1e-6"),
                           "-lambda", "0.5", "-write-lm", str(out)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    again = read_arpa(str(out))
    expected = io.StringIO()
    write_arpa(mix(*models, 0.5), expected)
    assert out.read_text() == expected.getvalue()
    assert again.counts()[4] == models[0].counts()[4]
    assert again.counts()[1] >= max(m.counts()[1] for m in models)


def _unigram_model(tmp_path, probabilities):
    lines = "".join(f"{np.log10(p):.10f}\t{w}\n" for w, p in probabilities.items())
    path = tmp_path / "u.arpa"
    path.write_text(f"\n\\data\\\nngram 1={len(probabilities) + 1}\n\n\\1-grams:\n"
                    f"-99\t<s>\n{lines}\n\\end\\\n")
    return read_arpa(str(path))


@pytest.mark.parametrize("leftover, spread", [(0.0746, True), (5e-6, True), (2e-6, False)])
def test_unigram_mass_left_is_spread_evenly_unless_below_epsilon(tmp_path, leftover, spread):
    """As SRILM recomputes a model: mass above 3e-6 missing from the unigrams goes to all
    words evenly (measured: 5e-6 spread, 2e-6 not)."""
    given = {"</s>": 0.5, "a": 0.3, "b": 0.2 - leftover}
    model = _unigram_model(tmp_path, given)
    mixed = mix(model, model, 1.0)
    for word, p in given.items():
        expected = p + leftover / 3 if spread else p
        got = 10.0 ** float(mixed.tables[0].logp[mixed.vocab.index[word]])
        assert got == pytest.approx(expected, rel=3e-7)

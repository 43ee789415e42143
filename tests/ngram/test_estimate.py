import gzip
import io

import numpy as np
import pytest

import naive
from conftest import shared_path
from rnnlm_cli.ngram.arpa import write_arpa
from rnnlm_cli.ngram.counts import count_text
from rnnlm_cli.ngram.pipeline import SmoothingConfig, estimate_backoff_model
from rnnlm_cli.ngram.vocab import NgramVocab
from rnnlm_cli.synthetic import MarkovSource

SENTENCES = [line.split() for line in MarkovSource.random(vocab_size=25, seed=3).sample_lines(
    2500, seed=5)]


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(" ".join(s) for s in SENTENCES) + "\n")
    return str(path)


def estimate(text, order, unk=False, **options):
    counts = count_text(text, NgramVocab(unk_is_word=unk), order)
    model, _ = estimate_backoff_model(counts, SmoothingConfig(**options))
    return model


def test_interpolated_kneser_ney_matches_textbook_twin(text):
    model = estimate(text, 3, kndiscount={0: True}, interpolate={0: True},
                     gtmin={1: 1, 2: 1, 3: 1})
    expected = naive.interpolated_kneser_ney(SENTENCES, 3)
    words = model.vocab.words
    checked = 0
    for gram, p in expected.items():
        k = len(gram)
        ids = [words.index(w) for w in gram]
        parent = 0
        for j in range(1, k):
            parent = int(model.find(j, np.array([parent]), np.array([ids[j - 1]]))[0])
        row = int(model.find(k, np.array([parent]), np.array([ids[-1]]))[0])
        assert row >= 0, gram
        assert 10 ** float(model.tables[k - 1].logp[row]) == pytest.approx(p, rel=2e-6), gram
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("options", [
    dict(kndiscount={0: True}, interpolate={0: True}),
    dict(kndiscount={0: True}),
    dict(wbdiscount={0: True}, interpolate={0: True}),
    dict(),                                   # Good-Turing backoff with default cut-offs
    dict(cdiscount={0: 0.6}, interpolate={0: True}, gtmin={3: 1}),
    dict(ukndiscount={0: True}, interpolate={0: True}),
    dict(kndiscount={2: True, 3: True}, wbdiscount={1: True}, interpolate={3: True}),
])
def test_every_context_is_normalised(text, options):
    """sum over the vocabulary of p(w | h) is 1 for every context h in the model."""
    model = estimate(text, 3, **options)
    events = np.flatnonzero(~model.vocab.nonevent_mask())
    for k in (1, 2):
        for row in np.flatnonzero(model.tables[k - 1].node)[:40]:
            history = model_words(model, k, row)
            ids = np.array([model.vocab.START] + history, np.int64)
            total = 0.0
            for w in events:
                seq = np.append(ids, w)
                logp, _ = model.score_positions(seq, np.zeros(seq.size, np.int64))
                total += 10 ** float(logp[-1])
            assert total == pytest.approx(1.0, abs=2e-5), (history, options)


def model_words(model, k, row):
    words = []
    for j in range(k, 0, -1):
        words.insert(0, int(model.tables[j - 1].word[row]))
        row = int(model.tables[j - 1].parent[row])
    return words


@pytest.mark.parametrize("name,order,options,unk", [
    ("kn5", 5, dict(kndiscount={0: True}, interpolate={0: True}, gtmin={3: 1, 4: 1}), False),
    ("gt3", 3, dict(), False),
    ("wb3", 3, dict(wbdiscount={0: True}), False),
    ("kn3-backoff", 3, dict(kndiscount={0: True}), False),
    ("kn3-unk", 3, dict(kndiscount={0: True}, interpolate={0: True}), True),
])
def test_reference_arpa_files_are_reproduced_exactly(name, order, options, unk):
    model = estimate(shared_path("data", "swb-example", "train.txt"), order, unk, **options)
    buffer = io.StringIO()
    write_arpa(model, buffer)
    with gzip.open(shared_path("reference", "srilm", f"{name}.arpa.gz"), "rt") as f:
        assert buffer.getvalue() == f.read()

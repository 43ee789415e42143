"""Entropy pruning (rnnlm_cli/ngram/prune.py): SRILM's pruned models byte for byte,
from ngram-count -prune (the three references of ../shared/reference/srilm), and
what any pruned model must be: a proper distribution in every context, every kept
n-gram's context present, fewer n-grams as the threshold grows."""
import gzip
import io
import subprocess

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.ngram.arpa import read_arpa, write_arpa
from rnnlm_cli.ngram.prune import prune

REFERENCES = [
    ("kn5-prune1e-7", ["-order", "5", "-kndiscount", "-interpolate", "-gt3min", "1",
                       "-gt4min", "1", "-prune", "1e-7"]),
    ("gt3-prune1e-6", ["-order", "3", "-prune", "1e-6"]),
    ("wb3-prune1e-6-minprune3", ["-order", "3", "-wbdiscount", "-prune", "1e-6",
                                 "-minprune", "3"]),
]


@pytest.mark.parametrize("name, options", REFERENCES)
def test_ngram_count_prunes_as_srilm_byte_for_byte(tmp_path, name, options):
    train = shared_path("data", "swb-example", "train.txt")
    expected = gzip.open(shared_path("reference", "srilm", f"{name}.arpa.gz"), "rb").read()
    out = tmp_path / "lm.arpa"
    done = subprocess.run(["rnnlm", "ngram-count", "-text", train, *options, "-lm", out, "-q"],
                          capture_output=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == expected


@pytest.fixture(scope="module")
def trigram(tmp_path_factory):
    """A Good-Turing trigram model of the swb example, read back from its ARPA file."""
    train = shared_path("data", "swb-example", "train.txt")
    path = tmp_path_factory.mktemp("prune") / "gt3.arpa"
    subprocess.run(["rnnlm", "ngram-count", "-text", train, "-order", "3", "-lm", path, "-q"],
                   check=True)
    return path


def distribution(model, context_words):
    """P(w | context) of every word, by the model's backoff lookup."""
    vocab = model.vocab
    ids = [vocab.index[w] for w in context_words]
    probs = []
    for w in range(len(vocab.words)):
        if w == vocab.START:
            continue
        words = np.array([vocab.START, *ids, w], np.int64)
        logp, _ = model.score_positions(words, np.zeros(words.size, np.int64))
        probs.append(10.0 ** float(logp[-1]))
    return np.array(probs)


def test_a_pruned_model_is_a_proper_distribution_with_its_contexts(trigram):
    full = read_arpa(str(trigram))
    pruned = prune(full, 1e-5)
    assert sum(pruned.counts()[1:]) < 0.8 * sum(full.counts()[1:])
    for context in (["I"], ["YOU", "KNOW"], ["IT", "WAS"]):
        assert distribution(pruned, context).sum() == pytest.approx(1.0, abs=2e-5)
    text = io.StringIO()
    write_arpa(pruned, text)
    kept = set()
    for line in text.getvalue().splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            kept.add(tuple(fields[1].split()))
    assert all(gram[:-1] in kept for gram in kept if len(gram) > 1)


def test_a_higher_threshold_prunes_more_and_minprune_spares_lower_orders(trigram):
    full = read_arpa(str(trigram))
    sizes = [sum(prune(full, t).counts()) for t in (1e-7, 1e-6, 1e-5)]
    assert sizes[0] > sizes[1] > sizes[2]
    only_trigrams = prune(full, 1e-5, min_order=3)
    assert only_trigrams.counts()[1] == full.counts()[1]
    assert only_trigrams.counts()[2] < full.counts()[2]


def test_ngram_prune_command_writes_the_pruned_file(trigram, tmp_path):
    out = tmp_path / "pruned.arpa.gz"
    done = subprocess.run(["rnnlm", "ngram-prune", "-lm", trigram, "-prune", "1e-6",
                           "-write-lm", out], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = io.StringIO()
    write_arpa(prune(read_arpa(str(trigram)), 1e-6), text)
    assert gzip.open(out, "rt").read() == text.getvalue()

"""Bounded-memory estimation (-memory): many runs and partitions, same ARPA bytes."""
import io

import numpy as np
import pytest

from conftest import shared_path
from rnnlm_cli.ngram import partition
from rnnlm_cli.ngram.arpa import write_arpa
from rnnlm_cli.ngram.bounded import Plan, estimate_bounded, parse_size
from rnnlm_cli.ngram.counts import count_text, read_counts, write_counts
from rnnlm_cli.ngram.pipeline import SmoothingConfig, estimate_backoff_model
from rnnlm_cli.ngram.rows import Store, closed_rows, find_rows, row_keys, sum_duplicate_rows
from rnnlm_cli.ngram.vocab import NgramVocab

CONFIGS = {
    "kn5": (5, dict(kndiscount={0: True}, interpolate={0: True}, gtmin={3: 1, 4: 1})),
    "kn5-cutoffs": (5, dict(kndiscount={0: True}, interpolate={0: True})),
    "gt3": (3, dict()),
    "wb3": (3, dict(wbdiscount={0: True})),
    "kn3-backoff": (3, dict(kndiscount={0: True})),
    "ukn4": (4, dict(ukndiscount={0: True}, interpolate={0: True})),
}


def in_memory(counts, options):
    model, _ = estimate_backoff_model(counts, SmoothingConfig(**options))
    out = io.StringIO()
    write_arpa(model, out)
    return out.getvalue()


SMALL = Plan(chunk_tokens=12_000, chunk_entries=40_000, rows_per_part=25_000)
ONE_PART = Plan(chunk_tokens=30_000, chunk_entries=10**9, rows_per_part=10**9)


def bounded(sources, order, options, plan=SMALL, unk=False, vocab=None):
    out = io.StringIO()
    estimate_bounded(sources, vocab or NgramVocab(unk_is_word=unk), order,
                     SmoothingConfig(**options), plan, Store(), out)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("plan", [SMALL, ONE_PART])
def test_partitioned_estimate_writes_the_in_memory_bytes(name, plan, monkeypatch):
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS[name]
    parts = []
    monkeypatch.setattr(partition.Partitioning, "parts",
                        property(lambda self: parts.append(int(self.sizes.sum())) or parts[-1]))
    expected = in_memory(count_text(text, NgramVocab(), order), options)
    assert bounded({"text": text}, order, options, plan) == expected
    assert max(parts) == 1 if plan is ONE_PART else max(parts) > 2


TINY = Plan(chunk_tokens=12_000, chunk_entries=40_000, rows_per_part=1_500)
SPLIT = Plan(chunk_tokens=12_000, chunk_entries=40_000, rows_per_part=8_000)   # one word cut


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_heavy_words_cut_by_the_word_before_write_the_in_memory_bytes(name, monkeypatch):
    """Partitions too small for the frequent words' rows: those words' ranges are cut
    into sub-partitions (their bigrams copied to each, their continuation counts
    summed across them), and the bytes stay the in-memory ones."""
    from rnnlm_cli.ngram import partitioning
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS[name]
    made = []
    original = partitioning.Partitioning.__post_init__
    monkeypatch.setattr(partitioning.Partitioning, "__post_init__",
                        lambda self: made.append(self) or original(self))
    expected = in_memory(count_text(text, NgramVocab(), order), options)
    assert bounded({"text": text}, order, options, TINY) == expected
    assert max(len(p.sub_bounds) for p in made) >= 3
    assert max(max(p.sizes) for p in made) >= 3


def test_contexts_without_probability_cross_partitions(monkeypatch):
    """With the default cut-offs some contexts have no probability of their own: the
    rounds give them one (and make their prefixes contexts) across partitions."""
    text = shared_path("data", "swb-example", "train.txt")
    marked = []
    original = partition.mark_contexts
    monkeypatch.setattr(partition, "mark_contexts",
                        lambda job, part, k, words: marked.append(len(words))
                        or original(job, part, k, words))
    order, options = CONFIGS["kn5-cutoffs"]
    assert bounded({"text": text}, order, options) == in_memory(
        count_text(text, NgramVocab(), order), options)
    assert sum(marked) > 0


def test_closed_vocabulary_and_open_unknown_word(tmp_path):
    text = shared_path("data", "swb-example", "train.txt")
    words = sorted({w for line in open(text) for w in line.split()})[::3]
    (tmp_path / "v").write_text("\n".join(words) + "\n")
    for unk in (False, True):
        options = dict(kndiscount={0: True}, interpolate={0: True})
        expected_vocab, vocab = NgramVocab(unk_is_word=unk), NgramVocab(unk_is_word=unk)
        expected_vocab.read_vocab_file(str(tmp_path / "v"))
        vocab.read_vocab_file(str(tmp_path / "v"))
        expected = in_memory(count_text(text, expected_vocab, 3), options)
        assert bounded({"text": text}, 3, options, vocab=vocab) == expected


def test_several_count_files_are_merged(tmp_path):
    text = shared_path("data", "swb-example", "train.txt")
    lines = open(text).read().splitlines()
    halves = []
    for i, half in enumerate((lines[::2], lines[1::2])):
        (tmp_path / f"t{i}").write_text("\n".join(half) + "\n")
        with open(tmp_path / f"c{i}", "w") as handle:
            write_counts(count_text(str(tmp_path / f"t{i}"), NgramVocab(), 3), handle)
        halves.append(str(tmp_path / f"c{i}"))
    options = CONFIGS["kn3-backoff"][1]
    expected = in_memory(count_text(text, NgramVocab(), 3), options)
    assert in_memory(read_counts(halves, NgramVocab(), 3), options) == expected
    assert bounded({"read": halves}, 3, options) == expected


def test_rows_sort_and_match_lexicographically():
    rng = np.random.default_rng(4)
    words = rng.integers(0, 70_000, (500, 3)).astype(np.int32)
    keys = row_keys(words)
    order = np.argsort(keys)
    np.testing.assert_array_equal(order, np.lexsort(words.T[::-1]))
    sorted_keys = keys[order]
    queries = np.concatenate([words[:50], words[:50] + 70_000])
    found = find_rows(sorted_keys, row_keys(queries))
    np.testing.assert_array_equal(words[order][found[:50]], words[:50])
    assert np.all(found[50:] == -1)
    merged, counts = sum_duplicate_rows(np.concatenate([words, words[:10]]),
                                        np.ones(510, np.int64))
    assert merged.shape[0] == np.unique(words, axis=0).shape[0]
    assert counts.sum() == 510


def test_count_file_rows_are_closed_under_prefix_and_suffix():
    rows = [(np.zeros((0, 1), np.int32), np.zeros(0, np.int64)),
            (np.zeros((0, 2), np.int32), np.zeros(0, np.int64)),
            (np.array([[5, 6, 7]], np.int32), np.array([4]))]
    closed = closed_rows(rows)
    assert closed[1][0].tolist() == [[5, 6], [6, 7]] and closed[1][1].tolist() == [0, 0]
    assert closed[0][0].tolist() == [[5], [6], [7]]


def test_sizes_and_partition_counts():
    assert parse_size("2G") == 2 << 30
    assert parse_size("800M") == 800 << 20
    assert parse_size("1.5k") == 1536
    assert 0 < parse_size("20%") < parse_size("100%")
    assert Plan.for_budget(1 << 30).parts(1000, 100) == 1
    assert Plan.for_budget(100 << 20).parts(10_000_000, 100) > 10
    assert Plan.for_budget(100 << 20).parts(10_000_000, 200_000) > Plan.for_budget(
        100 << 20).parts(10_000_000, 100)


def test_pruning_gets_the_whole_model_as_estimated():
    from rnnlm_cli.ngram.prune import prune
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS["kn5-cutoffs"]
    model, _ = estimate_backoff_model(count_text(text, NgramVocab(), order),
                                      SmoothingConfig(**options))
    expected = io.StringIO()
    write_arpa(prune(model, 1e-7), expected)
    out = io.StringIO()
    estimate_bounded({"text": text}, NgramVocab(), order, SmoothingConfig(**options), SMALL,
                     Store(), out, prune=lambda m: prune(m, 1e-7))
    assert out.getvalue() == expected.getvalue()


@pytest.mark.parametrize("only_order", [0, 1, 3])
def test_count_files_written_from_partitions_match_the_in_memory_ones(only_order):
    from rnnlm_cli.ngram.bounded import count_in_partitions, write_counts_partitioned
    text = shared_path("data", "swb-example", "train.txt")
    expected = io.StringIO()
    write_counts(count_text(text, NgramVocab(), 4), expected, only_order)
    job = count_in_partitions({"text": text}, NgramVocab(), 4, SmoothingConfig(), SMALL,
                              Store())
    assert job.partitioning.parts > 2
    out = io.StringIO()
    write_counts_partitioned(job, out, only_order)
    assert out.getvalue() == expected.getvalue()


def test_forked_worker_processes_count_spans_and_write_the_same_bytes(tmp_path, monkeypatch):
    from rnnlm_cli.ngram import partitioning
    from rnnlm_cli.ngram.runners import ProcessRun
    from rnnlm_cli.ngram.rows import FolderStore
    made = []
    original = partitioning.Partitioning.__post_init__
    monkeypatch.setattr(partitioning.Partitioning, "__post_init__",
                        lambda self: made.append(self) or original(self))
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS["kn5-cutoffs"]
    out = io.StringIO()
    estimate_bounded({"text": text}, NgramVocab(), order, SmoothingConfig(**options), SPLIT,
                     FolderStore(str(tmp_path)), out, run=ProcessRun(2), workers=2)
    assert out.getvalue() == in_memory(count_text(text, NgramVocab(), order), options)
    assert made[-1].sub_bounds   # a heavy word's sub-partitions exchanged their shares too


def test_pieces_are_summed_in_batches(monkeypatch):
    monkeypatch.setattr(partition, "MERGE_BATCH_ROWS", 500)
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS["kn3-backoff"]
    assert bounded({"text": text}, order, options) == in_memory(
        count_text(text, NgramVocab(), order), options)

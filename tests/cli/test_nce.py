"""-nce K through the commands: NCE training of the full softmax learns a source of known
entropy, is determined by its seed, resumes bit for bit, scores normalised by default and
self-normalised with -nce-unnormalized; refusals in one line."""
import json

import pytest

from layer_checks import (check_rescoring_equals_word_by_word, check_resume_is_bit_exact,
                          run, source_corpus, train_and_measure)
from rnnlm_cli.api import load
from rnnlm_cli.config import ModelConfig, TrainConfig


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return source_corpus(tmp_path_factory, "nce")


OPTIONS = ("-hidden", "12", "-nce", "8", "-direct", "0.1", "-max-iter", "6")


def test_nce_learns_the_source_and_is_determined_by_its_seed(corpus, tmp_path):
    folder, entropy = corpus
    bits = train_and_measure(folder, tmp_path / "a.rnn", *OPTIONS)
    assert bits < entropy + 0.2                  # uniform over 40 words: 5.3 bits
    assert train_and_measure(folder, tmp_path / "b.rnn", *OPTIONS) == bits
    signatures = [json.loads(run("eval", "-rnnlm", tmp_path / m, "-test", folder / "test.txt",
                                 "--format", "json", *flag).stdout)["signature"]
                  for m, flag in (("a.rnn", ()), ("b.rnn", ()),
                                  ("a.rnn", ("-nce-unnormalized",)))]
    assert signatures[0] == signatures[1] and "norm:no" in signatures[2]
    check_rescoring_equals_word_by_word(folder, tmp_path / "a.rnn", tmp_path)
    rescored = run("nbest-rescore", "-rnnlm", tmp_path / "a.rnn", "-nbest",
                   tmp_path / "n.txt", "-nce-unnormalized")
    assert rescored.exit_code == 0 and len(rescored.stdout.split()) == 6


def test_mini_batch_nce_learns_the_source_and_is_determined_by_its_seed(corpus, tmp_path):
    """-batch: the streams of a step share its noise words (matrix products)."""
    folder, entropy = corpus
    options = (*OPTIONS, "-batch", "4")
    bits = train_and_measure(folder, tmp_path / "a.rnn", *options)
    assert bits < entropy + 0.2
    assert train_and_measure(folder, tmp_path / "b.rnn", *options) == bits


def test_resume_from_a_checkpoint_is_bit_exact(corpus, tmp_path):
    folder, _ = corpus
    check_resume_is_bit_exact(str(folder / "train.txt"),
                              ModelConfig(hidden=8, nce=5, direct=0.01),
                              TrainConfig(max_iter=1, checkpoint_every=2000), tmp_path)


def test_nce_goes_with_the_softmax_output_only(corpus, tmp_path):
    folder, _ = corpus
    result = run("train", "-rnnlm", tmp_path / "m.rnn", "-train", folder / "train.txt",
                 "-nce", "5", "--output", "hs")
    assert result.exit_code != 0 and "-nce trains the softmax output" in result.output


@pytest.mark.parametrize("typed,unfolded", [((), 4), (("-bptt", "0"), 0), (("-bptt", "2"), 2)])
def test_nce_implies_bptt_4_unless_bptt_is_given(corpus, tmp_path, typed, unfolded):
    """rnnlm-train(1): -nce without -bptt trains with -bptt 4."""
    folder, _ = corpus
    model = tmp_path / "m.rnn"
    result = run("train", "-rnnlm", model, "-train", folder / "train.txt", "-hidden", "4",
                 "-nce", "3", "-max-iter", "1", *typed)
    assert result.exit_code == 0, result.output
    assert load(str(model)).config.bptt == unfolded


def test_an_nce_model_is_not_exported_to_rnnlm_0_4b(corpus, tmp_path):
    folder, _ = corpus
    model = tmp_path / "m.rnn"
    run("train", "-rnnlm", model, "-train", folder / "train.txt", "-hidden", "4", "-nce", "3",
        "-max-iter", "1")
    result = run("convert", "-rnnlm", model, "-out", tmp_path / "m.txt", "-to", "rnnlm0.4b")
    assert result.exit_code != 0 and not (tmp_path / "m.txt").exists()
    assert "this model uses a full softmax and cannot be exported" in result.output

"""Model files written by rnnlm 0.1.0 (before the layer registry) still load and
score as they did: the same weights, vocabulary and architecture (the signature's
digest), and the same scores within float32 rounding (the exact sigmoid and class
softmax take exp32 and sums four rows at a time since; the scores moved by < 1e-7).

tests/fixtures/v0.1.0 holds two small models trained by that version (a class
softmax with sigmoid units, a hierarchical softmax with tanh units, both with
maxent) and what ``rnnlm eval -debug 2 --format json`` printed for them then.
"""
import json
import os

import numpy as np
import pytest

from rnnlm_cli.cli import main
from click.testing import CliRunner

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "v0.1.0")


@pytest.mark.parametrize("name", ["class", "hs"])
def test_model_written_by_0_1_0_scores_as_it_did(name):
    model = os.path.join(FIXTURES, f"{name}.rnn")
    text = os.path.join(FIXTURES, "test.txt")
    with open(os.path.join(FIXTURES, f"{name}.expected.json")) as handle:
        expected = json.load(handle)
    result = CliRunner().invoke(main, ["eval", "-rnnlm", model, "-test", text, "-debug", "2",
                                       "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    for key in ("sentences", "words", "oovs", "scored_tokens"):
        assert got[key] == expected[key]
    assert got["logprob"] == pytest.approx(expected["logprob"], abs=1e-5)
    # the signature's model digest covers weights, vocabulary and architecture
    assert got["signature"] == expected["signature"]
    scores = np.array([np.nan if s is None else s for s in got["word_log10_probs"]])
    wanted = np.array([np.nan if s is None else s for s in expected["word_log10_probs"]])
    np.testing.assert_array_equal(np.isnan(scores), np.isnan(wanted))
    np.testing.assert_allclose(scores[~np.isnan(scores)], wanted[~np.isnan(wanted)], atol=1e-6)

"""Sampling draws from the model's own distribution (checked statistically on a tiny model)."""
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import TinyNet
from rnnlm_cli.cli import main
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.model import Model, TrainingState
from rnnlm_cli.kernels.elman import Elman
from rnnlm_cli.network import Network
from rnnlm_cli.sample import Sampler
from rnnlm_cli.vocab import Vocabulary

WORDS = ["</s>"] + [f"w{i}" for i in range(1, 23)]


@pytest.fixture
def tiny_model():
    net = TinyNet(seed=4, direct=4000, scale=0.8)
    vocab = Vocabulary(WORDS, np.arange(23, 0, -1), net.word_class)
    network = Network(hidden=Elman(net.U, net.W, 0), output=net.class_layer(), d=net.d,
                      h_init=np.full(7, 0.3, np.float32), direct_order=3, independent=False)
    return Model(ModelConfig(hidden=7, direct=0.004), TrainConfig(), vocab, network,
                 TrainingState())


def draws(sampler, n):
    """n draws of the next token, each from the same state."""
    saved = {k: v.copy() for k, v in vars(sampler.ws).items() if isinstance(v, np.ndarray)}
    result = []
    for _ in range(n):
        result.append(sampler.next_word())
        for k, v in saved.items():
            getattr(sampler.ws, k)[...] = v
    return np.bincount(result, minlength=23)


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_next_word_frequencies_follow_the_distribution(tiny_model, temperature):
    sampler = Sampler(tiny_model, seed=11, temperature=temperature)
    sampler.feed(["w3", "w7"])
    p = tiny_model.network.distribution(sampler.ws).astype(np.float64)
    expected = p ** (1 / temperature) / np.sum(p ** (1 / temperature))
    n = 20000
    counts = draws(sampler, n)
    chi2 = np.sum((counts - n * expected) ** 2 / (n * expected))
    assert chi2 < 60        # 22 degrees of freedom: p < 1e-4 for a correct sampler


def test_two_token_sequences_follow_the_chain_rule(tiny_model):
    sampler = Sampler(tiny_model, seed=3)
    start = {k: v.copy() for k, v in vars(sampler.ws).items() if isinstance(v, np.ndarray)}
    p1 = tiny_model.network.distribution(sampler.ws).astype(np.float64)
    n, hits = 6000, 0
    first, second = int(np.argmax(p1)), None
    for _ in range(n):
        a = sampler.next_word()
        if second is None and a == first:
            second = int(np.argmax(tiny_model.network.distribution(sampler.ws)))
        b = sampler.next_word()
        hits += (a == first and b == second)
        for k, v in start.items():
            getattr(sampler.ws, k)[...] = v
    follow = Sampler(tiny_model, seed=0)
    follow.feed([WORDS[first]])
    p2 = float(tiny_model.network.distribution(follow.ws)[second])
    assert hits / n == pytest.approx(p1[first] * p2, abs=4 * np.sqrt(p1[first] * p2 / n))


def test_sample_command(tiny_model, tmp_path):
    path = str(tmp_path / "m.rnn")
    tiny_model.save(path)
    run = CliRunner().invoke
    result = run(main, ["sample", "-rnnlm", path, "-n", "5", "-seed", "2"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5
    assert run(main, ["sample", "-rnnlm", path, "-n", "5", "-seed", "2"]).stdout == result.stdout
    assert run(main, ["sample", "-rnnlm", path, "-n", "5", "-seed", "3"]).stdout != result.stdout
    prefixed = run(main, ["sample", "-rnnlm", path, "-n", "1", "-prefix", "w1 w2"]).stdout
    assert prefixed.startswith("w1 w2")
    tokens = run(main, ["sample", "-rnnlm", path, "-words", "50"]).stdout
    assert sum(len(line.split()) for line in tokens.splitlines()) + tokens.count("\n") >= 50


def first_token_frequencies(model, streams, seed):
    """How often each word is the first token of ``streams`` streams of one StreamSampler
    step, and the per-word sampler's distribution at that same start."""
    from rnnlm_cli.sample import StreamSampler
    words = StreamSampler(model, streams, seed=seed).step()
    reference = Sampler(model, seed=0)
    p = model.network.distribution(reference.ws).astype(np.float64)
    return np.bincount(words, minlength=p.size), p


@pytest.mark.parametrize("output", ["class", "hs"])
def test_stream_sampler_draws_from_the_model(tiny_model, output):
    """ngram-approx's sampler: the class softmax's fast draw (class, then word in class)
    and the full-distribution draw of other output layers (here an LSTM's tree)."""
    if output == "class":
        model = tiny_model
    else:
        from test_layers import small_model
        model = small_model("lstm", "hs", seed=6)
    n = 20000
    counts, p = first_token_frequencies(model, n, seed=5)
    seen = p * n > 5
    chi2 = np.sum((counts[seen] - n * p[seen]) ** 2 / (n * p[seen]))
    assert chi2 < 2 * seen.sum() + 20     # about the degrees of freedom for a correct one
    assert counts[~seen].sum() < 5 * max(1, (~seen).sum())


def test_stream_sampler_is_determined_by_its_seed_and_writes_sentences(tiny_model):
    from rnnlm_cli.sample import StreamSampler
    runs = [list(StreamSampler(tiny_model, 8, seed=3).sentences(400)) for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) > 5
    assert all(set(line.split()) <= set(WORDS[1:]) for line in runs[0])

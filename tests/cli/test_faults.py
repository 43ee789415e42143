"""Training survives kill -9, SIGTERM, NaN and a full disk without losing the model."""
import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.corpus import read_training_text
from rnnlm_cli.errors import ModelFileError
from rnnlm_cli.model import Model
from rnnlm_cli.corpus import sentence_ranges
from rnnlm_cli.training import (MAX_NUMERICAL_FAULTS, Supervision, TrainingDiverged,
                             TrainingInterrupted, train)

CHECKPOINT_EVERY = 3000
TRAIN_ARGS = ["-hidden", "12", "-class", "10", "-bptt", "3", "-direct", "0.01",
              "-max-iter", "2", "-checkpoint-every", str(CHECKPOINT_EVERY)]


def corpus_text(sentences=6000, seed=5):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    return "".join(" ".join(rng.choice(words, rng.integers(3, 12))) + "\n"
                   for _ in range(sentences))


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "train.txt"
    path.write_text(corpus_text())
    return path


def command(model, text, *extra):
    return [sys.executable, "-m", "rnnlm_cli", "train", "-rnnlm", str(model), "-train",
            str(text), *TRAIN_ARGS, "-q", *extra]


@pytest.fixture(scope="module")
def uninterrupted(text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    # The first run after the kernels change compiles them; Numba's freshly compiled code
    # rounds differently (last bits) from the cached code later runs load, so warm the
    # cache before taking the reference (README: reproducibility).
    subprocess.run(command(folder / "warm.rnn", text, "-max-iter", "1"), check=True,
                   capture_output=True)
    model = folder / "whole.rnn"
    subprocess.run(command(model, text), check=True, capture_output=True)
    return Model.load(str(model))


# Runs `rnnlm train ARGS` and sends itself signal SIGNAL right after the first mid-epoch
# checkpoint reaches the file: as deterministic as a signal from outside can't be (a fast
# machine could finish training before a poller saw a checkpoint).
SIGNAL_AFTER_FIRST_CHECKPOINT = """
import os, sys
from rnnlm_cli.model import Model
write, sent = Model.save, []

def save_then_signal(model, path):
    write(model, path)
    if model.checkpoint is not None and not sent:
        sent.append(True)
        os.kill(os.getpid(), int(sys.argv[1]))

Model.save = save_then_signal
from rnnlm_cli.cli import main
main(sys.argv[2:])
"""


def train_until_signalled(model, text, how):
    """The training command, stopped by ``how`` after its first checkpoint."""
    command_line = command(model, text)
    return subprocess.run([sys.executable, "-c", SIGNAL_AFTER_FIRST_CHECKPOINT, str(int(how)),
                           *command_line[3:]], capture_output=True, text=True, timeout=300)


def assert_same_weights(a: Model, b: Model):
    for name, array in a.network.weights().items():
        np.testing.assert_array_equal(b.network.weights()[name], array, err_msg=name)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(text, tmp_path, uninterrupted,
                                                                  how):
    model = tmp_path / "m.rnn"
    stopped = train_until_signalled(model, text, how)
    if how == signal.SIGTERM:
        assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
        assert "checkpoint written" in stopped.stderr and "Traceback" not in stopped.stderr
    else:
        assert stopped.returncode == -signal.SIGKILL, stopped.stderr
    checkpoint = Model.load(str(model)).checkpoint
    if checkpoint is None:
        pytest.fail("the stopped run left no mid-epoch checkpoint")
    # SIGKILL leaves the first checkpoint; SIGTERM lets the block in progress finish.
    blocks = 2 if how == signal.SIGTERM else 1
    assert checkpoint.words == blocks * CHECKPOINT_EVERY
    resumed = subprocess.run(command(model, text), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(uninterrupted, Model.load(str(model)))


def test_anti_kasparek_is_the_same_option(text, tmp_path, uninterrupted):
    model = tmp_path / "k.rnn"
    args = command(model, text)
    args[args.index("-checkpoint-every")] = "-anti-kasparek"
    subprocess.run(args, check=True, capture_output=True)
    assert Model.load(str(model)).train_config.checkpoint_every == CHECKPOINT_EVERY


def small_model(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(corpus_text(300))
    vocab, corpus = read_training_text(str(path), 10)
    model = Model.create(ModelConfig(hidden=6, classes=10), TrainConfig(max_iter=2), vocab)
    return model, corpus


def test_nan_restores_weights_halves_the_rate_and_retries(tmp_path, monkeypatch):
    model, corpus = small_model(tmp_path)
    net = model.network
    start = net.snapshot()
    real_train, calls, events = type(net).train, [], []

    def faulty(self, tokens, *args, **kwargs):
        calls.append(1)
        result = real_train(self, tokens, *args, **kwargs)
        if len(calls) == 2:                 # the first chunk of the first epoch
            self.W[0, 0] = np.nan
            return float("nan")
        return result

    monkeypatch.setattr(type(net), "train", faulty)
    train(model, corpus, None, supervision=Supervision(on_event=events.append))
    assert len(events) == 1 and "halved to 0.05" in events[0]
    assert model.state.alpha == pytest.approx(0.05) and model.state.epochs_done == 2
    assert net.is_finite() and not np.array_equal(net.W, start["W"])


def test_repeated_nan_stops_with_the_last_good_weights(tmp_path, monkeypatch):
    model, corpus = small_model(tmp_path)
    net = model.network
    start = net.snapshot()

    def always_nan(self, tokens, *args, **kwargs):
        self.U[:] = np.inf
        return float("nan") if tokens.size else 0.0

    monkeypatch.setattr(type(net), "train", always_nan)
    with pytest.raises(TrainingDiverged, match=f"{MAX_NUMERICAL_FAULTS} times"):
        train(model, corpus, None)
    np.testing.assert_array_equal(net.U, start["U"])


def test_full_disk_keeps_the_previous_model(text, tmp_path):
    """A write that hits the file-size limit (as a full disk would) fails with one line
    and leaves the model written before intact."""
    model = tmp_path / "d.rnn"
    stopped = train_until_signalled(model, text, signal.SIGTERM)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
    if Model.load(str(model)).checkpoint is None:
        pytest.fail("the stopped run left no mid-epoch checkpoint")
    before = model.read_bytes()

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(command(model, text), capture_output=True,
                          text=True, preexec_fn=limit_file_size)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "previous file left intact" in done.stderr
    assert model.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_threads_checkpoint_every_thread_and_resume(tmp_path):
    """With -threads 2 a checkpoint holds both threads' positions and states; training
    stopped after two of them resumes from the file and ends like an uninterrupted run
    (Hogwild is not deterministic: close, not identical)."""
    path = tmp_path / "t.txt"
    path.write_text(corpus_text(3000))
    vocab, corpus = read_training_text(str(path), 10)
    config = ModelConfig(hidden=8, classes=10)
    threaded = TrainConfig(max_iter=1, threads=2, checkpoint_every=4000)
    saved, file = [], str(tmp_path / "m.rnn")

    def save(model):
        if model.checkpoint is not None:
            saved.append(model.checkpoint)
        model.save(file)

    model = Model.create(config, threaded, vocab)
    with pytest.raises(TrainingInterrupted):
        train(model, corpus, None, on_save=save,
              supervision=Supervision(stop_requested=lambda: len(saved) >= 2))
    first, second = saved[:2]
    assert len(first.positions) == len(first.streams) == 2
    assert first.words == 4000 and second.words == 8000     # 2000 words per thread each
    _, (start1, end1) = sentence_ranges(corpus.tokens, 2)
    assert first.positions == [2000, start1 + 2000] and start1 + 4000 < end1
    resumed = Model.load(file)
    assert resumed.checkpoint.positions == saved[-1].positions
    np.testing.assert_array_equal(resumed.checkpoint.streams[1]["s"], saved[-1].streams[1]["s"])
    train(resumed, corpus, None, on_save=save)
    assert resumed.state.epochs_done == 1 and resumed.checkpoint is None
    whole = Model.create(config, threaded, vocab)
    train(whole, corpus, None)
    tokens = int((corpus.tokens >= 0).sum())
    assert resumed.state.train_logp / tokens == pytest.approx(whole.state.train_logp / tokens,
                                                             rel=0.01)

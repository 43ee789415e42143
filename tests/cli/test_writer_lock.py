"""One writer per output file, through the command: a second writer fails at once with
one line and changes nothing; readers and a run after kill -9 are not blocked.

The first writer reads a FIFO that is never written, so it holds its lock for as long
as the test needs, whatever the machine's speed.
"""
import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

from imports_seen import run_recording_imports
from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.locking import lock_path
from rnnlm_cli.model import Model
from rnnlm_cli.vocab import Vocabulary

TEXT = "the cat sat\nthe dog ran\na cat ran\n" * 20


def rnnlm(*args):
    return [sys.executable, "-m", "rnnlm_cli", *map(str, args)]


def held(lock) -> bool:
    """Whether some process holds the flock on ``lock``."""
    if not os.path.exists(lock):
        return False
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@pytest.fixture
def blocked_writer(tmp_path):
    """Start a command whose input is a FIFO nobody writes; wait until it holds the
    lock of its output; kill it at the end."""
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    started = []

    def start(output, *args):
        process = subprocess.Popen(rnnlm(*args), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        deadline = time.time() + 60
        while not held(lock_path(str(output))):
            assert process.poll() is None and time.time() < deadline, process.stderr.read()
            time.sleep(0.02)
        return process

    yield fifo, start
    for process in started:
        process.kill()
        process.wait()


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(TEXT)
    return path


def assert_refused_at_once(args, output, holder, report_path):
    """The second writer's one error line; returns the heavy libraries it loaded."""
    second, heavy = run_recording_imports(args, report_path)
    assert second.returncode == 1, second.stderr
    assert second.stderr == (f"rnnlm: error: {output} is being written by another rnnlm "
                             f"process (pid {holder.pid}); wait for it or choose another "
                             f"{args[args.index(output) - 1]}\n")
    return heavy


@pytest.mark.parametrize("command", [["train"], []], ids=["train", "drop-in"])
def test_second_train_into_the_same_model_is_refused(blocked_writer, text, tmp_path, command):
    fifo, start = blocked_writer
    model = tmp_path / "m.rnn"
    first = start(model, *command, "-rnnlm", model, "-train", fifo, "-valid", text,
                  "-hidden", "5")
    heavy = assert_refused_at_once([*command, "-rnnlm", model, "-train", text, "-valid", text,
                                    "-hidden", "8"], model, first, tmp_path / "imports.txt")
    assert heavy == []                      # the lock comes before NumPy loads
    assert not model.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    assert first.poll() is None             # the first run is untouched


def test_second_ngram_count_and_convert_are_refused(blocked_writer, text, tmp_path):
    fifo, start = blocked_writer
    arpa = tmp_path / "lm.arpa"
    arpa.write_text("old\n")
    first = start(arpa, "ngram-count", "-text", fifo, "-order", "2", "-lm", arpa)
    assert_refused_at_once(["ngram-count", "-text", text, "-order", "2", "-wbdiscount",
                            "-lm", arpa], arpa, first, tmp_path / "imports.txt")
    assert arpa.read_text() == "old\n"

    out = tmp_path / "converted.txt"
    holder = start(out, "convert", "-rnnlm", fifo, "-out", out, "-to", "rnnlm0.4b")
    model = tmp_path / "m.rnn"
    subprocess.run(rnnlm("train", "-rnnlm", model, "-train", text, "-hidden", "4",
                         "-max-iter", "1", "-q"), check=True)
    assert_refused_at_once(["convert", "-rnnlm", model, "-out", out, "-to", "rnnlm0.4b"],
                           out, holder, tmp_path / "imports.txt")
    assert not out.exists()


def test_readers_work_while_a_model_is_being_trained(blocked_writer, text, tmp_path):
    fifo, start = blocked_writer
    model = tmp_path / "m.rnn"
    vocab = Vocabulary(["</s>", "the", "cat", "sat", "dog", "ran", "a"], [60, 40, 40, 20, 20,
                                                                          40, 20],
                       [0, 0, 0, 1, 1, 1, 1])
    Model.create(ModelConfig(hidden=4, classes=2), TrainConfig(max_iter=3), vocab).save(
        str(model))                         # an unfinished model: train resumes it
    start(model, "train", "-rnnlm", model, "-train", fifo)
    scored = subprocess.run(rnnlm("eval", "-rnnlm", model, "-test", text, "-q"),
                            capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0 and "PPL net:" in scored.stdout, scored.stderr


def test_a_killed_writer_leaves_no_lock(blocked_writer, text, tmp_path):
    fifo, start = blocked_writer
    model = tmp_path / "m.rnn"
    first = start(model, "train", "-rnnlm", model, "-train", fifo, "-hidden", "5")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert os.path.exists(lock_path(str(model))) and not held(lock_path(str(model)))
    again = subprocess.run(rnnlm("train", "-rnnlm", model, "-train", text, "-hidden", "5",
                                 "-max-iter", "1", "-q"), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert Model.load(str(model)).state.epochs_done == 1
    assert not os.path.exists(lock_path(str(model)))     # a writer that ends removes it


def test_only_regular_files_are_locked(tmp_path):
    """Standard output, devices and pipes take no lock; a file's lock lies beside the
    file a symbolic link points to, so both names share it."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert lock_path("-") is None and lock_path("/dev/null") is None
    assert lock_path(str(fifo)) is None
    target, link = tmp_path / "real" / "m.rnn", tmp_path / "link.rnn"
    target.parent.mkdir()
    target.write_text("x")
    link.symlink_to(target)
    folder = tmp_path.resolve()
    assert lock_path(str(link)) == lock_path(str(target)) == str(folder / "real" / ".m.rnn.lock")
    assert lock_path(str(tmp_path / "new.rnn")) == str(folder / ".new.rnn.lock")

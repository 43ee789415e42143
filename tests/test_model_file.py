import json
import os
import struct

import numpy as np
import pytest

from rnnlm_cli.config import ModelConfig, TrainConfig
from rnnlm_cli.errors import ModelFileError, RnnlmError
from rnnlm_cli.formats import model_file
from rnnlm_cli.model import Model
from rnnlm_cli.vocab import Vocabulary


@pytest.fixture
def model():
    vocab = Vocabulary(["</s>", "a", "b", "c"], [5, 4, 2, 1], [0, 0, 1, 1])
    return Model.create(ModelConfig(hidden=6, direct=0.001, bptt=3), TrainConfig(alpha=0.2), vocab)


@pytest.mark.parametrize("output", ["class", "hs"])
def test_round_trip(tmp_path, output):
    vocab = Vocabulary(["</s>", "a", "b", "c"], [5, 4, 2, 1], [0, 0, 1, 1])
    model = Model.create(ModelConfig(hidden=6, direct=0.001, bptt=3, output=output),
                         TrainConfig(alpha=0.2), vocab)
    path = str(tmp_path / "m.rnn")
    model.state.epochs_done = 3
    model.save(path)
    loaded = Model.load(path)
    assert loaded.config == model.config and loaded.train_config == model.train_config
    assert loaded.vocab.words == model.vocab.words
    assert loaded.state.epochs_done == 3
    assert type(loaded.network.output) is type(model.network.output)
    for name, array in model.network.weights().items():
        np.testing.assert_array_equal(loaded.network.weights()[name], array)
        assert loaded.network.weights()[name].dtype == np.float32
    for mine, theirs in zip(loaded.network.output, model.network.output):
        np.testing.assert_array_equal(mine, theirs)


def test_loaded_arrays_are_memory_mapped_and_writable(tmp_path, model):
    path = str(tmp_path / "m.rnn")
    model.save(path)
    loaded = Model.load(path)
    assert isinstance(loaded.network.output.Ow.base, np.memmap) or isinstance(
        loaded.network.output.Ow.base.base, np.memmap)
    loaded.network.output.Ow[0, 0] = 42.0           # copy-on-write: the file is unchanged
    assert Model.load(path).network.output.Ow[0, 0] != 42.0


def test_arrays_start_aligned_and_magic_present(tmp_path, model):
    """Read by the documented layout alone: magic, uint32 version, uint64 header length,
    JSON header, then every array at a file offset that is a multiple of 64."""
    path = str(tmp_path / "m.rnn")
    model.save(path)
    data = open(path, "rb").read()
    assert data.startswith(b"\x89RNNLM\r\n\x1a\n")
    version, length = struct.unpack_from("<IQ", data, 10)
    assert version == 1
    header = json.loads(data[22:22 + length].decode("utf-8"))
    start = -(-(22 + length) // 64) * 64                 # the first 64-byte boundary
    weights = model.network.weights()
    assert {entry["name"] for entry in header["arrays"]} >= set(weights)
    for entry in header["arrays"]:
        at = start + entry["offset"]
        assert at % 64 == 0, entry["name"]
        stored = np.frombuffer(data, np.dtype(entry["dtype"]), int(np.prod(entry["shape"])), at)
        if entry["name"] in weights:
            np.testing.assert_array_equal(stored, weights[entry["name"]].ravel())


def test_truncated_file(tmp_path, model):
    path = str(tmp_path / "m.rnn")
    model.save(path)
    data = open(path, "rb").read()
    for cut in (5, 30, len(data) - 10):
        open(path, "wb").write(data[:cut])
        with pytest.raises(ModelFileError, match="truncated|corrupt|magic"):
            Model.load(path)


def test_corrupted_array_is_detected(tmp_path, model):
    path = str(tmp_path / "m.rnn")
    model.save(path)
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF  # inside the maxent array, the bulk of the file
    open(path, "wb").write(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        Model.load(path)


def test_foreign_file(tmp_path):
    path = tmp_path / "x.rnn"
    path.write_text("version: 10\nfile format: 0\n")
    with pytest.raises(ModelFileError, match="not an rnnlm model"):
        Model.load(str(path))
    with pytest.raises(ModelFileError, match="no such"):
        Model.load(str(tmp_path / "missing"))


def test_failed_write_keeps_previous_model(tmp_path, model, monkeypatch):
    path = str(tmp_path / "m.rnn")
    model.save(path)
    before = open(path, "rb").read()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(RnnlmError, match="previous file left intact"):
        model.save(path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["m.rnn"]  # no temp file left behind


def test_written_files_get_ordinary_permissions(tmp_path, model):
    path = tmp_path / "m.rnn"
    old = os.umask(0o022)
    try:
        model.save(str(path))
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)
        model.save(str(path))            # replacing keeps the existing mode
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_special_files_are_written_in_place_not_replaced(tmp_path):
    """Renaming a temp file over /dev/stdout or a pipe would replace the device itself."""
    import stat
    import threading
    from rnnlm_cli.fileio import atomic_output

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()),
                              daemon=True)   # a regression must fail, not hang
    reader.start()
    with atomic_output(str(fifo)) as handle:
        handle.write(b"through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_tree_pointing_outside_the_node_rows_is_refused(tmp_path):
    vocab = Vocabulary(["</s>", "a", "b", "c"], [5, 4, 2, 1], [0, 0, 1, 1])
    path = str(tmp_path / "hs.rnn")
    Model.create(ModelConfig(hidden=6, output="hs"), TrainConfig(), vocab).save(path)
    meta, arrays = model_file.read(path)
    arrays = {name: np.array(array) for name, array in arrays.items()}
    arrays["path_nodes"][-1] = 3            # only nodes 0..2 exist
    model_file.write(path, meta, arrays)
    with pytest.raises(ModelFileError, match="inconsistent hierarchical softmax tree"):
        Model.load(path)


def test_the_next_writer_removes_temp_files_a_killed_writer_left(tmp_path):
    """kill -9 during a write leaves .NAME.XXXXXXXX.tmp beside the kept file; the next
    write of NAME removes it (and nothing that is not such a file)."""
    import subprocess
    import sys
    target = tmp_path / "lm.arpa"
    target.write_text("old\n")
    writer = ("import os, signal, sys\n"
              "from rnnlm_cli.fileio import atomic_output\n"
              "with atomic_output(sys.argv[1]) as handle:\n"
              "    handle.write(b'x' * 100000)\n"
              "    handle.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", writer, str(target)])
    assert killed.returncode == -9 and target.read_text() == "old\n"
    stale = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(stale) == 1 and stale[0].startswith(".lm.arpa.")
    keep = [tmp_path / ".lm.arpa.notours", tmp_path / ".other.arpa.abcdefgh.tmp"]
    for path in keep:
        path.write_text("")
    from rnnlm_cli.fileio import atomic_output
    with atomic_output(str(target)) as handle:
        handle.write(b"new\n")
    assert target.read_text() == "new\n"
    assert not (tmp_path / stale[0]).exists()
    assert all(path.exists() for path in keep)

"""Atomic file replacement: write a temp file next to the target, fsync, rename.

Targets that exist but are not regular files (/dev/stdout, a named pipe) are
written in place: renaming over them would replace the device itself.  A regular
file is written under its writer lock (locking.py).  A writer killed outright
(kill -9) leaves its temp file ``.NAME.XXXXXXXX.tmp``; the next writer of NAME,
holding the lock that no live writer of NAME can hold, removes such files first.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import sys
import tempfile

from .errors import RnnlmError
from .locking import is_special, lock_path, writer_lock
from .textio import UTF8, TextEncoding


@contextlib.contextmanager
def atomic_output(path: str):
    """Yield a binary handle; on success it replaces ``path``, on failure nothing changes."""
    if is_special(path):
        try:
            with open(path, "wb") as handle:
                yield handle
        except OSError as exc:
            raise RnnlmError(f"{path}: write failed ({exc.strerror or exc})") from None
        return
    with writer_lock(path):
        yield from _replace_atomically(path)


def _replace_atomically(path: str):
    directory = os.path.dirname(os.path.abspath(path))
    if lock_path(path) is not None:
        remove_stale_temps(directory, os.path.basename(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                    dir=directory)
        os.fchmod(fd, _mode_for(path))   # mkstemp makes the file private; ours are not
    except OSError as exc:
        raise RnnlmError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        _remove_quietly(temp)
        raise RnnlmError(f"{path}: write failed, previous file left intact "
                         f"({exc.strerror or exc})") from None
    except BaseException:
        _remove_quietly(temp)
        raise


def remove_stale_temps(directory: str, name: str):
    """Remove the temp files a killed writer of ``name`` left in ``directory`` (the
    caller holds the writer lock of ``name``)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            if pattern.fullmatch(entry):
                _remove_quietly(os.path.join(directory, entry))


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_quietly(path: str):
    with contextlib.suppress(OSError):
        os.remove(path)


@contextlib.contextmanager
def text_output(path: str, encoding: TextEncoding = UTF8):
    """A text handle for ``path``: stdout for ``-``, gzip for ``.gz``, else atomic."""
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with atomic_output(path) as raw:
        compressed = path.endswith(".gz")
        binary = gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) if compressed else raw
        handle = io.TextIOWrapper(binary, encoding=encoding.encoding, errors=encoding.errors,
                                  newline="\n")
        yield handle
        handle.flush()
        handle.detach()     # leave closing the file to atomic_output
        if compressed:
            binary.close()  # writes the gzip trailer; raw stays open

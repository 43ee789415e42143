"""One writer per output file: an exclusive advisory lock on a lock file beside it.

Atomic renames keep a file readable while it is replaced, but two runs writing
the same model would each overwrite the other's epochs.  A writer therefore
holds ``flock(LOCK_EX)`` on ``.NAME.lock`` in the target's folder for as long as
it may write NAME; a second writer fails at once with one line.  The kernel
releases the lock when its holder exits or dies (kill -9 included), so a lock
file left behind by a crash never counts as held; a writer that ends removes
it.  The holder's pid is written into the lock file for the error message.
Readers take no lock.

Standard output, devices and pipes take no lock, nor do systems without
``fcntl.flock`` (Windows).  Locks are re-entrant within a process: ``train``
holds its model's for the whole run and every save inside takes it again.
"""
from __future__ import annotations

import contextlib
import os
import stat
import threading

from .errors import RnnlmError

try:
    import fcntl
except ImportError:          # Windows: no advisory locks; writes stay atomic
    fcntl = None

_held: dict[str, list] = {}        # lock file -> [descriptor, depth]
_guard = threading.Lock()


class OutputBusy(RnnlmError):
    """Another process is writing the same output file."""


def is_special(path: str) -> bool:
    """Whether ``path`` exists and is not a regular file (/dev/stdout, a named pipe)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False               # not there yet: a new regular file


def lock_path(path: str):
    """The lock file of output ``path``, or None where no lock is taken."""
    if fcntl is None or path == "-" or is_special(path):
        return None
    target = os.path.realpath(path)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.lock")


@contextlib.contextmanager
def writer_lock(path: str, option: str = "output path"):
    """Hold the exclusive writer lock of ``path``; ``option`` names, in the error, what
    the user can change (-rnnlm, -lm, -out)."""
    lock = lock_path(path)
    if lock is None:
        yield
        return
    with _guard:
        if lock in _held:
            _held[lock][1] += 1
        else:
            _held[lock] = [_acquire(lock, path, option), 1]
    try:
        yield
    finally:
        with _guard:
            _held[lock][1] -= 1
            if _held[lock][1] == 0:
                descriptor = _held.pop(lock)[0]
                with contextlib.suppress(OSError):
                    os.unlink(lock)          # still held: a newcomer opens a new file
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                os.close(descriptor)


def _same_file(descriptor: int, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except OSError:
        return False


@contextlib.contextmanager
def writer_locks(paths: dict):
    """Hold the writer locks of several outputs: {option: path or None}."""
    with contextlib.ExitStack() as held:
        for option, path in paths.items():
            if path:
                held.enter_context(writer_lock(path, option))
        yield


def _acquire(lock: str, path: str, option: str) -> int:
    """Lock ``lock``'s file.  A holder removes the file before it unlocks, so a lock won
    on a file no longer at that path (opened just before the removal) is retried."""
    while True:
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                                 0o666)
        except OSError as exc:
            raise RnnlmError(f"{path}: cannot write here ({exc.strerror})") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "?"
            os.close(descriptor)
            raise OutputBusy(f"{path} is being written by another rnnlm process (pid "
                             f"{holder}); wait for it or choose another {option}") from None
        if _same_file(descriptor, lock):
            break
        os.close(descriptor)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
    return descriptor

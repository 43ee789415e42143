"""Opening text inputs: paths, ``-`` for stdin, ``.gz`` files; clear errors."""
from __future__ import annotations

import gzip
import os
import sys
from typing import BinaryIO, Iterator

from .errors import InputError


def open_binary(path: str) -> BinaryIO:
    """Open a file (or stdin for ``-``) for binary reading, with user-facing errors."""
    if path == "-":
        return sys.stdin.buffer
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a text file")
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None
    if path.endswith(".gz"):
        return gzip.GzipFile(fileobj=handle)
    return handle


def text_lines(path: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) with CR and the newline removed.

    The last line need not end with a newline (rnnlm would drop its words; we
    keep them).  Invalid UTF-8 is an error that names the line.
    """
    handle = open_binary(path)
    try:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}:{number}: invalid UTF-8 at byte {exc.start + 1} of the line") from None
            yield number, line.replace("\r", "").rstrip("\n")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: read error ({exc})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def read_all_bytes(path: str) -> bytes:
    """A whole file (or stdin) as bytes, decompressing .gz."""
    handle = open_binary(path)
    try:
        return handle.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: read error ({exc})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def split_words(line: str) -> list[str]:
    """Words are separated by spaces and tabs only, as in rnnlm."""
    if "\t" in line:
        line = line.replace("\t", " ")
    return [w for w in line.split(" ") if w]


"""Opening text inputs: paths, ``-`` for stdin, ``.gz`` files; clear errors.

Text is UTF-8 unless the caller passes another ``TextEncoding`` (the command
line's ``--encoding``, ``--errors replace``): a command hands its choice to every
reader and writer of text files (corpora, N-best lists, vocabularies, counts,
ARPA files); model files are binary and unaffected.
"""
from __future__ import annotations

import codecs
import gzip
import os
import sys
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from .errors import ConfigError, InputError


@dataclass(frozen=True)
class TextEncoding:
    encoding: str = "utf-8"
    errors: str = "strict"      # or "replace": undecodable bytes become U+FFFD

    @property
    def name(self) -> str:
        return "UTF-8" if self.encoding == "utf-8" else self.encoding

    @classmethod
    def named(cls, encoding: str, errors: str = "strict") -> "TextEncoding":
        """The encoding called ``encoding`` (with ``errors``: strict or replace), checked."""
        try:
            canonical = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigError(f"unknown text encoding {encoding!r}") from None
        if _ASCII_PROBE.encode(canonical, "replace") != _ASCII_PROBE.encode("ascii"):
            raise ConfigError(f"encoding {encoding!r} does not write newlines and spaces as "
                              "ASCII does; convert the text first (iconv -t UTF-8)")
        return cls(canonical, errors)


UTF8 = TextEncoding()
# Lines are cut at b"\n" before decoding, and words at spaces and tabs: an encoding
# must spell these as ASCII does (UTF-16 and UTF-32 do not).
_ASCII_PROBE = "\n\t </s> <unk>"


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


CHUNK_BYTES = 1 << 20    # 752,200 N-best lines: 0.31 s and 23 MB of memory at the most;
                         # in 16 MB chunks 0.50 s and 141 MB


def text_lines(path: str, encoding: TextEncoding = UTF8,
               span: tuple[int, int] | None = None) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) with CR and the newline removed.

    The file is decoded in chunks of CHUNK_BYTES (cut at line ends), which is much
    faster than line by line.  The last line need not end with a newline (rnnlm would
    drop its words; we keep them).  Invalid UTF-8 is an error that names the line.
    ``span`` = (start, end) reads only the lines of a plain file that begin at a
    byte in [start, end), numbered from 1 (errors name the start byte).
    """
    handle = open_binary(path)
    label = path if not span or not span[0] else f"{path} (from byte {span[0]})"
    number = 0
    pending = []            # the pieces of a line not ended yet (a long one spans chunks)
    try:
        chunks = _span_chunks(handle, *span) if span else _chunks(handle)
        for chunk in chunks:
            cut = chunk.rfind(b"\n")
            if cut < 0:
                pending.append(chunk)
                continue
            data = b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
            pending = [chunk[cut + 1:]]
            lines = _decode(data, label, number, encoding).split("\n")
            for line in lines:
                number += 1
                yield number, line
        rest = b"".join(pending)
        if rest:
            for line in _decode(rest, label, number, encoding).split("\n"):
                number += 1
                yield number, line
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: read error ({exc})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _chunks(handle) -> Iterator[bytes]:
    # read1 returns what is available: a slow producer on a pipe is not waited for
    read = getattr(handle, "read1", handle.read)
    while True:
        chunk = read(CHUNK_BYTES)
        if not chunk:
            return
        yield chunk


def _span_chunks(handle, start: int, end: int) -> Iterator[bytes]:
    """The bytes of the lines that begin in [start, end)."""
    if start:
        handle.seek(start - 1)
        handle.readline()        # the line holding byte start-1 belongs to the span before
    position = handle.tell()
    while position < end:
        chunk = handle.read(min(CHUNK_BYTES, end - position))
        if not chunk:
            return
        position += len(chunk)
        if position >= end and not chunk.endswith(b"\n"):
            chunk += handle.readline()
        yield chunk


def line_spans(path: str, parts: int) -> list[tuple[int, int]]:
    """About equal byte spans of a plain file, for ``text_lines(span=...)``."""
    size = os.path.getsize(path)
    cuts = [size * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _decode(data: bytes, path: str, lines_before: int, encoding: TextEncoding) -> str:
    text = decode_bytes(data, path, lines_before + 1, encoding)
    if lines_before == 0 and text.startswith("\ufeff"):
        text = text[1:]             # a byte-order mark some editors write first
    if "\0" in text:
        number = lines_before + text.count("\n", 0, text.index("\0")) + 1
        raise InputError(f"{path}:{number}: NUL byte in the text (binary file?)")
    return text.replace("\r", "") if "\r" in text else text


def decode_bytes(data: bytes, path: str, first_line: int,
                 encoding: TextEncoding = UTF8) -> str:
    """``data`` (whole lines, the first numbered ``first_line``) in the text encoding;
    an undecodable byte is an error naming its line, unless errors are replaced."""
    try:
        return data.decode(encoding.encoding, encoding.errors)
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        number = first_line + data.count(b"\n", 0, exc.start)
        raise InputError(f"{path}:{number}: invalid {encoding.name} at byte "
                         f"{exc.start - line_start + 1} of the line (see --encoding, "
                         "--errors replace)") from None


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


"""Reading and writing lattices in either format: detection, lattice lists, output.

``-lattice FILE`` holds one or more lattices; ``-lattice-list LIST`` names one file
per line (paths relative to the list's folder).  ``auto`` tells the formats apart
by the first line that is neither blank nor a comment: SLF's are ``name=value``.
"""
from __future__ import annotations

import os
from typing import Iterator, Optional

from ..errors import ConfigError
from ..textio import UTF8, TextEncoding, text_lines
from . import lattice_kaldi, lattice_slf

FORMATS = ("auto", "kaldi", "slf")


def detect(path: str, encoding: TextEncoding = UTF8) -> str:
    for _, line in text_lines(path, encoding):
        text = line.strip()
        if text and not text.startswith("#"):
            return "slf" if "=" in text.split()[0] else "kaldi"
    return "kaldi"


def read(paths: list, fmt: str, symbols: Optional[dict],
         encoding: TextEncoding = UTF8) -> Iterator:
    """The lattices of the files, in order; Kaldi lattices need the words.txt table."""
    for path in paths:
        kind = fmt if fmt != "auto" else ("kaldi" if path == "-" else detect(path, encoding))
        if kind == "kaldi":
            if symbols is None:
                raise ConfigError(f"{path}: Kaldi lattices hold word ids: give -words "
                                  "words.txt")
            yield from lattice_kaldi.read(path, symbols, encoding)
        else:
            yield from lattice_slf.read(path, encoding)


def list_paths(list_path: str, encoding: TextEncoding = UTF8) -> list:
    """The lattice files a -lattice-list names, relative to its folder."""
    folder = os.path.dirname(list_path) if list_path != "-" else ""
    return [os.path.join(folder, line.strip()) for _, line in text_lines(list_path, encoding)
            if line.strip()]


def write(lattice, handle, word_ids: Optional[dict]):
    """A lattice in the format it was read in."""
    if "kaldi" in lattice.header:
        lattice_kaldi.write(lattice, handle, word_ids)
    else:
        lattice_slf.write(lattice, handle)

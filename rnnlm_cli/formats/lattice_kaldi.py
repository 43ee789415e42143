"""Kaldi's text lattice archives (``ark,t:``), both of its lattice types.

An utterance is its id on a line of its own, then OpenFst's text lines, then a blank
line.  The start node is the first line's first number.
  CompactLattice (``lattice-copy --write-compact=true``, the default):
      arc    ``src dst word graph,acoustic,tid_tid_...``
      final  ``node graph,acoustic,tids``  (or ``node`` alone: zero costs)
  Lattice (non-compact): arc ``src dst tid word graph,acoustic``, final ``node g,a``.
Words are ids of a words.txt symbol table (``<eps>`` 0, no word); costs are negated
natural-log likelihoods, read as log-likelihoods (lattice.py) and negated again when
written.  A lattice is written back in the type it was read in.
"""
from __future__ import annotations

from typing import Iterator

from ..errors import InputError
from ..lattice import Arc, Lattice
from ..textio import UTF8, TextEncoding, text_lines

COMPACT, NON_COMPACT = "compact", "lattice"


def read_symbols(path: str, encoding: TextEncoding = UTF8) -> dict:
    """words.txt: ``word id`` per line -> {id: word}; id 0 (``<eps>``) is no word."""
    symbols = {}
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit():
            raise InputError(f"{path}:{number}: expected 'word id' in a words.txt symbol table")
        symbols[int(fields[1])] = fields[0]
    return symbols


def read(path: str, symbols: dict, encoding: TextEncoding = UTF8) -> Iterator[Lattice]:
    """The lattices of a text archive, in order."""
    lattice = None
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            if lattice is not None:
                yield lattice
                lattice = None
            continue
        if lattice is None:
            if len(fields) != 1:
                raise InputError(f"{path}:{number}: expected an utterance id on a line of its "
                                 "own before the lattice's arcs")
            lattice = Lattice(fields[0], start=-1, source=f"{path}:{number}",
                              header={"kaldi": COMPACT})
            continue
        _read_line(lattice, fields, number, symbols)
    if lattice is not None:
        yield lattice


def _read_line(lattice: Lattice, fields: list, number: int, symbols: dict):
    if len(fields) > 5:
        lattice.fail(f"expected at most 5 fields, found {len(fields)}", number)
    node = _integer(lattice, fields[0], number)
    if lattice.start < 0:
        lattice.start = node
    if len(fields) <= 2:
        graph, acoustic, extra = _weight(lattice, fields[1] if len(fields) == 2 else "0,0,",
                                         number)
        lattice.finals[node] = (-acoustic, -graph)
        lattice.header.setdefault("final_extra", {})[node] = extra
        return
    target = _integer(lattice, fields[1], number)
    if len(fields) == 3 or (len(fields) == 4 and "," in fields[3]):
        label, weight, extra = fields[2], fields[3] if len(fields) == 4 else "0,0,", None
    else:                                   # non-compact: transition id, word[, weight]
        lattice.header["kaldi"] = NON_COMPACT
        label, weight, extra = fields[3], fields[4] if len(fields) == 5 else "0,0", fields[2]
    graph, acoustic, tids = _weight(lattice, weight, number)
    word_id = _integer(lattice, label, number)
    if word_id != 0 and word_id not in symbols:
        lattice.fail(f"word id {word_id} is not in the words.txt table", number)
    lattice.arcs.append(Arc(node, target, symbols[word_id] if word_id else None, -acoustic,
                            -graph, number, tids if extra is None else extra))


def _integer(lattice: Lattice, text: str, number: int) -> int:
    if not text.isdigit():
        lattice.fail(f"expected a node or label number, found '{text}'", number)
    return int(text)


def _weight(lattice: Lattice, text: str, number: int):
    """(graph cost, acoustic cost, transition ids) of ``g,a`` or ``g,a,tids``."""
    parts = text.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        return float(parts[0]), float(parts[1]), parts[2] if len(parts) == 3 else ""
    except ValueError:
        lattice.fail(f"expected costs 'graph,acoustic[,transition-ids]', found '{text}'",
                     number)


def write(lattice: Lattice, handle, word_ids: dict):
    """The lattice in the type it was read in (CompactLattice for other sources)."""
    compact = lattice.header.get("kaldi", COMPACT) == COMPACT
    lines = [lattice.name]
    for arc in sorted(lattice.arcs, key=lambda a: (a.source != lattice.start, a.source)):
        word = word_ids[arc.word] if arc.word is not None else 0
        costs = f"{_cost(arc.lm)},{_cost(arc.acoustic)}"
        if compact:
            lines.append(f"{arc.source} {arc.target} {word} {costs},{arc.extra}")
        else:
            lines.append(f"{arc.source} {arc.target} {arc.extra or 0} {word} {costs}")
    extras = lattice.header.get("final_extra", {})
    for node, (acoustic, lm) in sorted(lattice.finals.items()):
        costs = f"{_cost(lm)},{_cost(acoustic)}"
        lines.append(f"{node} {costs},{extras.get(node, '')}" if compact else f"{node} {costs}")
    handle.write("\n".join(lines) + "\n\n")


def _cost(log_likelihood: float) -> str:
    return format(0.0 - log_likelihood, ".9g")

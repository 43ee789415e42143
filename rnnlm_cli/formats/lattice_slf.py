"""HTK Standard Lattice Format (SLF), as HTK, SRILM's lattice-tool and TheanoLM use it.

A lattice is a header of ``name=value`` fields (VERSION, UTTERANCE, lmscale,
wdpenalty, base, start, end, N, L, ...), then node lines ``I=k t=T [W=word]`` and
arc lines ``J=k S=from E=to [W=word] a=acoustic l=lm``; several fields may share a
line and ``#`` starts a comment line.  Long names (NODE=, LINK=, START=, END=, WORD=,
acoustic=, language=) are read too.  An arc's word is its own W=, else its end
node's.  ``!NULL``, ``<s>``, ``</s>``, ``!SENT_START`` and ``!SENT_END`` are no word:
the RNN scores the sentence end itself.  Scores are logs in ``base`` (e, unless
base= says otherwise; base=0 means plain probabilities) and are written back in
natural log.  Several lattices may follow each other in one file, each from its
VERSION= or UTTERANCE= line.
"""
from __future__ import annotations

import math
from typing import Iterator

from ..errors import InputError
from ..lattice import Arc, Lattice
from ..textio import UTF8, TextEncoding, text_lines

NO_WORD = {"!NULL", "<s>", "</s>", "!SENT_START", "!SENT_END"}
LONG_NAMES = {"NODE": "I", "LINK": "J", "START": "S", "END": "E", "WORD": "W",
              "TIME": "t", "acoustic": "a", "language": "l", "SIZE": "N"}
STARTS_A_LATTICE = ("VERSION", "UTTERANCE")


def read(path: str, encoding: TextEncoding = UTF8) -> Iterator[Lattice]:
    """The lattices of an SLF file, in order."""
    reader = None
    for number, line in text_lines(path, encoding):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = _fields(path, number, text)
        first = next(iter(fields))
        if reader is None or (first in STARTS_A_LATTICE and reader.has_body):
            if reader is not None:
                yield reader.finish()
            reader = _Reader(path, number)
        reader.take(fields, number)
    if reader is not None:
        yield reader.finish()


def _fields(path: str, number: int, text: str) -> dict:
    fields = {}
    for item in _split(text):
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"{path}:{number}: expected name=value fields, found '{item}'")
        fields[LONG_NAMES.get(name, name)] = value
    return fields


def _split(text: str) -> list:
    """Fields split at blanks, a quoted value ("...") kept whole."""
    items, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            if current:
                items.append(current)
            current = ""
            continue
        current += char
    if current:
        items.append(current)
    return [item.replace('"', "") for item in items]


class _Reader:
    def __init__(self, path: str, number: int):
        self.path, self.first = path, number
        self.header, self.node_words, self.times, self.arcs = {}, {}, {}, []
        self.declared = set()           # nodes with an I= line
        self.has_body = False

    def fail(self, message: str, number: int):
        name = self.header.get("UTTERANCE", "")
        raise InputError(f"{self.path}:{number}: lattice {name}: {message}".replace(
            "lattice : ", "lattice: "))

    def number(self, fields: dict, name: str, number: int, kind=float):
        try:
            return kind(fields[name])
        except ValueError:
            self.fail(f"{name}={fields[name]} is not a number", number)

    def take(self, fields: dict, number: int):
        if "I" in fields:
            self.has_body = True
            node = self.number(fields, "I", number, int)
            self.declared.add(node)
            if "W" in fields:
                self.node_words[node] = fields["W"]
            if "t" in fields:
                self.times[node] = fields["t"]
        elif "J" in fields:
            self.has_body = True
            for name in ("S", "E"):
                if name not in fields:
                    self.fail(f"arc J={fields['J']} has no {name}=", number)
            self.arcs.append((fields, number))
        else:
            self.header.update(fields)

    def finish(self) -> Lattice:
        base = self.number(self.header, "base", self.first) if "base" in self.header else math.e
        if base < 0 or base == 1:
            self.fail(f"base={base} is not a logarithm base", self.first)
        lattice = Lattice(self.header.get("UTTERANCE", ""), start=-1,
                          source=f"{self.path}:{self.first}", header=dict(self.header),
                          times=self.times)
        for fields, number in self.arcs:
            source, target = (self.number(fields, name, number, int) for name in ("S", "E"))
            word = fields.get("W", self.node_words.get(target))
            acoustic, lm = (self._log(fields, name, number, base) for name in ("a", "l"))
            lattice.arcs.append(Arc(source, target, None if word in NO_WORD else word,
                                    acoustic, lm, number))
        self._check_counts(lattice)
        nodes = self.declared | lattice.nodes() - {-1}
        targets = {arc.target for arc in lattice.arcs}
        sources = {arc.source for arc in lattice.arcs}
        lattice.start = (self.number(self.header, "start", self.first, int)
                         if "start" in self.header else min(nodes - targets, default=0))
        ends = ([self.number(self.header, "end", self.first, int)] if "end" in self.header
                else sorted(nodes - sources))
        if nodes:
            lattice.finals = {end: (0.0, 0.0) for end in ends}
        return lattice

    def _log(self, fields: dict, name: str, number: int, base: float) -> float:
        if name not in fields:
            return 0.0
        value = self.number(fields, name, number)
        if base == 0:
            return math.log(value) if value > 0 else -math.inf
        return value * math.log(base)

    def _check_counts(self, lattice: Lattice):
        for name, found in (("N", len(self.declared | lattice.nodes() - {-1})),
                            ("L", len(self.arcs))):
            if name in self.header and self.number(self.header, name, self.first, int) != found:
                self.fail(f"{name}={self.header[name]} but the lattice has {found} "
                          f"{'nodes' if name == 'N' else 'arcs'}", self.first)
        if self.declared:
            for arc in lattice.arcs:
                for node in (arc.source, arc.target):
                    if node not in self.declared:
                        self.fail(f"arc to or from node {node}, which has no I= line", arc.line)


def write(lattice: Lattice, handle):
    """The lattice as SLF in natural log with words on the arcs.  SLF has one end node:
    final nodes with a score, or more than one, get arcs (no word) to a new end node."""
    arcs = list(lattice.arcs)
    nodes = sorted(lattice.nodes())
    finals = lattice.finals
    if len(finals) == 1 and next(iter(finals.values())) == (0.0, 0.0):
        end = next(iter(finals))
    else:
        end = (max(nodes) + 1) if nodes else 0
        nodes.append(end)
        arcs += [Arc(node, end, None, acoustic, lm) for node, (acoustic, lm) in finals.items()]
    header = {name: value for name, value in lattice.header.items()
              if name not in ("VERSION", "UTTERANCE", "base", "start", "end", "N", "L",
                              "kaldi", "final_extra")}
    lines = ["VERSION=1.0", f"UTTERANCE={lattice.name}"]
    lines += [f"{name}={value}" for name, value in header.items()]
    lines += [f"start={lattice.start}", f"end={end}", f"N={len(nodes)} L={len(arcs)}"]
    for node in nodes:
        time = lattice.times.get(node)
        lines.append(f"I={node}" + (f" t={time}" if time is not None else ""))
    for k, arc in enumerate(arcs):
        word = arc.word if arc.word is not None else "!NULL"
        lines.append(f"J={k} S={arc.source} E={arc.target} W={word} "
                     f"a={_log(arc.acoustic)} l={_log(arc.lm)}")
    handle.write("\n".join(lines) + "\n")


def _log(value: float) -> str:
    return format(value + 0.0, ".9g")

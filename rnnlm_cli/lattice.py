"""Word lattices, whatever file they came from (formats/lattice_kaldi.py, lattice_slf.py).

A lattice is a directed acyclic graph of numbered nodes with one start node; arcs carry
a word (or none: Kaldi's epsilon, SLF's !NULL) and two log-likelihoods in natural log,
the acoustic one and the lattice's own LM one (Kaldi's graph score, SLF's l=); final
nodes carry the same pair (Kaldi's final weights; SLF's end node, zeros).  Scores are
log-likelihoods throughout, higher is better: Kaldi's costs are negated on reading and
on writing.  ``check`` refuses what no search can use, naming the utterance and line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .errors import InputError


@dataclass
class Arc:
    source: int
    target: int
    word: Optional[str]           # None: no word
    acoustic: float               # ln likelihood
    lm: float                     # ln likelihood of the lattice's LM (Kaldi: graph)
    line: int = 0                 # where it was read
    extra: str = ""               # kept for writing back (Kaldi's transition ids)


@dataclass
class Lattice:
    name: str                     # the utterance
    start: int
    arcs: list = field(default_factory=list)
    finals: dict = field(default_factory=dict)   # node -> (acoustic, lm)
    source: str = ""              # "path:line" of the lattice's first line
    header: dict = field(default_factory=dict)   # SLF header fields, kept for writing
    times: dict = field(default_factory=dict)    # SLF node -> t=

    @property
    def empty(self) -> bool:
        """No arcs and no final node: a lattice with nothing in it (an empty hypothesis)."""
        return not self.arcs and not self.finals

    def nodes(self) -> set:
        found = {self.start, *self.finals}
        for arc in self.arcs:
            found.update((arc.source, arc.target))
        return found

    def fail(self, message: str, line: int = 0):
        where = self.source.rsplit(":", 1)[0] + f":{line}" if line else self.source
        raise InputError(f"{where}: lattice {self.name}: {message}")


def topological_order(lattice: Lattice) -> list:
    """The nodes reachable from the start, each after every node with an arc into it;
    InputError for a cycle or for a lattice with no path from the start to a final node."""
    outgoing: dict = {}
    for arc in lattice.arcs:
        outgoing.setdefault(arc.source, []).append(arc)
    reachable, stack = {lattice.start}, [lattice.start]
    while stack:
        for arc in outgoing.get(stack.pop(), ()):
            if arc.target not in reachable:
                reachable.add(arc.target)
                stack.append(arc.target)
    waiting = {node: 0 for node in reachable}
    for arc in lattice.arcs:
        if arc.source in reachable:
            waiting[arc.target] += 1
    order, ready = [], [lattice.start]
    while ready:
        node = ready.pop()
        order.append(node)
        for arc in outgoing.get(node, ()):
            waiting[arc.target] -= 1
            if waiting[arc.target] == 0:
                ready.append(arc.target)
    if len(order) < len(reachable):
        stuck = min((arc for arc in lattice.arcs if arc.source in reachable
                     and waiting.get(arc.source, 0) > 0), key=lambda arc: arc.line)
        lattice.fail(f"cycle through node {stuck.source}", stuck.line)
    if not lattice.empty and not any(node in lattice.finals for node in reachable):
        lattice.fail("no path from the start node to a final node")
    return order

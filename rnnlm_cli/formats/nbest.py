"""N-best list formats: reading into lists of hypotheses, writing annotated output.

Formats (``detect`` picks one from the first non-blank line):
  rnnlm   ``<id> w1 w2 ...``; consecutive lines with the same id form a list
  kaldi   ``<utt>-<k> w1 w2 ...``; the list is <utt>
  With either, acoustic and LM costs (negated natural logs) can come from Kaldi's
  ``<utt>-<k> <cost>`` files (the k-th hypothesis of rnnlm list U is U-k).
  srilm   ``NBestList1.0`` / ``NBestList2.0`` header or plain
          ``<acoustic log10> <lm log10> <nwords> w1 ...``; one file is one list
  moses   ``<id> ||| <hypothesis> ||| <features> ||| <total>[ ||| ...]``
Scores are kept in log10: Kaldi costs become -cost/ln 10, SRILM bytelogs
bytelog*1024/10000.5/ln 10, the Moses total (natural-log units) total/ln 10.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterator, Optional

from ..errors import InputError
from ..textio import UTF8, TextEncoding, text_lines

FORMATS = ("rnnlm", "kaldi", "srilm", "moses")
LN10 = math.log(10.0)
BYTELOG_TO_LOG10 = 1024.0 / 10000.5 / LN10
_KALDI_ID = re.compile(r"^(.+)-(\d+)$")


@dataclass(slots=True)      # slots: lists of a million hypotheses are made and dropped
class Hypothesis:
    hyp_id: str
    words: list
    acoustic: float = 0.0     # log10
    lm: float = 0.0           # log10
    fields: tuple | list = ()  # Moses fields, for annotation


@dataclass
class NbestList:
    key: str
    hyps: list


def detect(path: str, encoding: TextEncoding = UTF8) -> str:
    for _, line in text_lines(path, encoding):
        text = line.strip()
        if not text or text.startswith("##"):
            continue
        if text.startswith("NBestList") or text.startswith("("):
            return "srilm"
        if " ||| " in text:
            return "moses"
        fields = text.split()
        if len(fields) >= 3 and all(_is_number(f) for f in fields[:3]):
            return "srilm"
        if _KALDI_ID.match(fields[0]):
            return "kaldi"
        return "rnnlm"
    return "rnnlm"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@dataclass
class CostFile:
    """Kaldi ``<utt>-<k> <cost>`` lines (negated natural logs) for hypotheses by id."""
    path: str
    costs: dict

    def log10_score(self, hyp_id: str) -> float:
        try:
            return -self.costs[hyp_id] / LN10
        except KeyError:
            raise InputError(f"{self.path}: no cost for hypothesis {hyp_id!r}") from None


def read_lists(path: str, fmt: str, acoustic: Optional[CostFile] = None,
               lm: Optional[CostFile] = None, encoding: TextEncoding = UTF8
               ) -> Iterator[NbestList]:
    """Yield the lists of ``path`` (``-`` = stdin) in input order.

    Cost files go with rnnlm and Kaldi lists; the k-th hypothesis (from 1) of rnnlm
    list U is U-k, Kaldi's name for it.
    """
    if fmt == "srilm":
        yield read_srilm(path, key=path, encoding=encoding)
        return
    reader = {"rnnlm": _rnnlm_lines, "kaldi": _kaldi_lines, "moses": _moses_lines}[fmt]
    # the lists seen, by the hashes of their keys: a million one-line lists kept 85 MB as
    # strings (a false alarm needs two keys of one 64-bit hash: 3e-8 for a million lists)
    current, finished = None, set()
    for key, hyp in reader(path, encoding):
        if current is None or key != current.key:
            if hash(key) in finished:
                raise InputError(f"{path}: list {key!r} appears again after other lists "
                                 "(the hypotheses of a list must be on consecutive lines)")
            if current is not None:
                finished.add(hash(current.key))
                yield current
            current = NbestList(key, [])
        if fmt == "rnnlm":
            hyp.hyp_id = f"{key}-{len(current.hyps) + 1}"
        if acoustic is not None:
            hyp.acoustic = acoustic.log10_score(hyp.hyp_id)
        if lm is not None:
            hyp.lm = lm.log10_score(hyp.hyp_id)
        current.hyps.append(hyp)
    if current is not None:
        yield current


def _rnnlm_lines(path, encoding):
    for _, line in text_lines(path, encoding):
        fields = line.split()
        if fields:
            yield fields[0], Hypothesis(fields[0], fields[1:])


def _kaldi_lines(path, encoding):
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            continue
        match = _KALDI_ID.match(fields[0])
        if not match:
            raise InputError(f"{path}:{number}: Kaldi N-best ids look like <utt>-<k>, "
                             f"found {fields[0]!r}")
        yield match.group(1), Hypothesis(fields[0], fields[1:])


def _moses_lines(path, encoding):
    for number, line in text_lines(path, encoding):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|||")]
        if len(parts) < 4:
            raise InputError(f"{path}:{number}: a Moses N-best line has 'id ||| hypothesis "
                             "||| features ||| total'")
        try:
            total = float(parts[3])
        except ValueError:
            raise InputError(f"{path}:{number}: bad Moses total score {parts[3]!r}") from None
        yield parts[0], Hypothesis(parts[0], parts[1].split(), acoustic=total / LN10,
                                   fields=parts)


def read_lists_from_text(text: str, fmt: str) -> Iterator[NbestList]:
    """Lists from a string (tests and the Python API), as read_lists reads a file."""
    import os
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".nbest", delete=False) as handle:
        handle.write(text)
    try:
        yield from read_lists(handle.name, fmt)
    finally:
        os.unlink(handle.name)


def read_costs(path: str, encoding: TextEncoding = UTF8) -> CostFile:
    """A Kaldi cost file, ``<utt>-<k> <cost>`` lines."""
    costs = {}
    for number, line in text_lines(path, encoding):
        fields = line.split()
        if not fields:
            continue
        try:
            costs[fields[0]] = float(fields[1])
        except (IndexError, ValueError):
            raise InputError(f"{path}:{number}: expected '<id> <cost>'") from None
    return CostFile(path, costs)


def read_srilm(path: str, key: str, encoding: TextEncoding = UTF8) -> NbestList:
    """One SRILM N-best file (any of its three layouts) as one list."""
    hyps, version = [], 3
    for number, line in text_lines(path, encoding):
        text = line.strip()
        if not text or text.startswith("##"):
            continue
        if text.startswith("NBestList"):
            version = 1 if text == "NBestList1.0" else 2
            continue
        hyps.append(_srilm_hypothesis(text, version, path, number, len(hyps)))
    return NbestList(key, hyps)


def _srilm_hypothesis(text, version, path, number, index) -> Hypothesis:
    try:
        if version == 3 and not text.startswith("("):
            fields = text.split()
            count = int(fields[2])
            words = fields[3:3 + count] if count <= len(fields) - 3 else fields[3:]
            return Hypothesis(str(index), words, float(fields[0]), float(fields[1]))
        score_text, _, rest = text.partition(")")
        score = float(score_text.lstrip("(")) * BYTELOG_TO_LOG10
        if version != 2:
            return Hypothesis(str(index), rest.split(), acoustic=score)
        words, acoustic, lm = [], 0.0, 0.0
        tokens = rest.split()
        i = 0
        while i < len(tokens):
            if tokens[i] == "(":
                end = tokens.index(")", i)
                info = tokens[i + 1:end]
                for name, value in zip(info[::2], info[1::2]):
                    if name == "a:":
                        acoustic += float(value) * BYTELOG_TO_LOG10
                    elif name == "g:":
                        lm += float(value) * BYTELOG_TO_LOG10
                i = end + 1
            else:
                words.append(tokens[i])
                i += 1
        return Hypothesis(str(index), words, acoustic, lm)
    except (ValueError, IndexError):
        raise InputError(f"{path}:{number}: malformed SRILM N-best line") from None


def annotate(fmt: str, key: str, hyp: Hypothesis, log10_score: float) -> str:
    """The hypothesis in its own format with the new score added (one line)."""
    if fmt == "moses":
        fields = list(hyp.fields)
        fields[2] = f"{fields[2]} RNNLM0= {log10_score * LN10:.6f}".strip()
        return " ||| ".join(fields)
    if fmt == "kaldi":
        return f"{hyp.hyp_id} {-log10_score * LN10:.6f}"
    if fmt == "srilm":
        return (f"{hyp.acoustic:.6f} {log10_score:.6f} {len(hyp.words)} "
                + " ".join(hyp.words)).rstrip()
    return f"{log10_score:f}"

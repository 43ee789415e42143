"""Mikolov's rnnlm 0.4b model files: text (``file format: 0``) and binary (``file format: 1``).

Layout (INTERFACES.md 3.1-3.2): a text header of ``label: value`` lines (version 10),
the vocabulary ``index<TAB>count<TAB>word<TAB>class``, then the hidden activation (H),
the input matrix syn0 (for each hidden unit, its weights from the V words then the H
recurrent inputs), the output matrix syn1 (for each output unit, V words then C
classes, its H weights) and the maxent weights (D).  Text files write them one per
line (%.4f, maxent %.2f) under section labels; binary files write native float32
values right after the vocabulary.  Compression layers are not supported.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ModelFileError
from ..fileio import atomic_output
from ..textio import read_all_bytes

VERSION = 10
HEADER_FIELDS = [   # (label, key) in file order
    ("version", "version"), ("file format", "format"), (None, None),
    ("training data file", "train_file"), ("validation data file", "valid_file"), (None, None),
    ("last probability of validation data", "llogp"),
    ("number of finished iterations", "iter"),
    ("current position in training data", "train_position"),
    ("current probability of training data", "train_logp"),
    ("save after processing # words", "anti_k"),
    ("# of training words", "train_words"),
    ("input layer size", "layer0"), ("hidden layer size", "hidden"),
    ("compression layer size", "compression"), ("output layer size", "layer2"),
    ("direct connections", "direct"), ("direct order", "direct_order"),
    ("bptt", "bptt"), ("bptt block", "bptt_block"), ("vocabulary size", "vocab"),
    ("class size", "classes"), ("old classes", "old_classes"),
    ("independent sentences mode", "independent"),
    ("starting learning rate", "start_alpha"), ("current learning rate", "alpha"),
    ("learning rate decrease", "alpha_divide"),
]
FLOAT_FIELDS = {"llogp", "train_logp", "start_alpha", "alpha"}
TEXT_FIELDS = {"train_file", "valid_file"}


@dataclass
class Rnnlm04Model:
    header: dict
    words: list
    counts: np.ndarray
    classes: np.ndarray
    hidden: np.ndarray      # (H,)
    syn0: np.ndarray        # (H, V + H)
    syn1: np.ndarray        # (V + C, H)
    direct: np.ndarray      # (D,)


def looks_like(path: str) -> bool:
    """Whether the file starts like an rnnlm model (``version:``), plain or gzipped."""
    from ..textio import open_binary
    try:
        handle = open_binary(path)
        try:
            return handle.read(8) == b"version:"
        finally:
            handle.close()
    except Exception:          # unreadable: let the real loader report it
        return False


def read(path: str) -> Rnnlm04Model:
    data = read_all_bytes(path)
    marker = data.find(b"\nVocabulary:\n")
    if not data.startswith(b"version:") or marker < 0:
        raise ModelFileError(f"{path}: not an rnnlm 0.4b model file")
    try:
        header = _parse_header(data[:marker].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{path}: corrupt rnnlm model header ({exc})") from None
    if header.get("version") != VERSION:
        raise ModelFileError(f"{path}: unknown version of rnnlm model file "
                             f"({header.get('version')}; 10 expected)")
    if header.get("compression", 0):
        raise ModelFileError(f"{path}: rnnlm models with a compression layer are not supported")
    V, H, C, D = header["vocab"], header["hidden"], header["classes"], header["direct"]
    position = marker + len(b"\nVocabulary:\n")
    words, counts, classes = [], np.zeros(V, np.int64), np.zeros(V, np.int32)
    for i in range(V):
        end = data.find(b"\n", position)
        if end < 0:
            raise ModelFileError(f"{path}: truncated vocabulary")
        fields = data[position:end].decode("utf-8", "replace").split("\t")
        if len(fields) != 4:
            raise ModelFileError(f"{path}: bad vocabulary line {i}: {data[position:end]!r}")
        words.append(fields[2])
        counts[i], classes[i] = int(fields[1]), int(fields[3])
        position = end + 1
    sizes = [H, H * (V + H), (V + C) * H, D]
    if header["format"] == 1:
        need = 4 * sum(sizes)
        if len(data) - position < need:
            raise ModelFileError(f"{path}: truncated binary rnnlm model "
                                 f"({len(data) - position} of {need} weight bytes)")
        values = np.frombuffer(data, dtype="<f4", count=sum(sizes), offset=position)
    else:
        values = _text_values(data[position:], sizes, path)
    parts = np.split(values.astype(np.float32), np.cumsum(sizes)[:-1])
    return Rnnlm04Model(header, words, counts, classes, parts[0], parts[1].reshape(H, V + H),
                        parts[2].reshape(V + C, H), parts[3])


def _parse_header(text: str) -> dict:
    values = {}
    for line in text.split("\n"):
        label, colon, value = line.partition(":")
        if not colon:
            continue
        key = dict(h for h in HEADER_FIELDS if h[0]).get(label.strip())
        if key is None:
            continue
        value = value.strip()
        values[key] = (value if key in TEXT_FIELDS else
                       float(value) if key in FLOAT_FIELDS else int(value))
    return values


def _text_values(data: bytes, sizes, path) -> np.ndarray:
    """The four numeric sections of a text model, parsed without a Python object per value."""
    labels = [b"Hidden layer activation:", b"Weights 0->1:", b"Weights 1->2:",
              b"Direct connections:"]
    starts = []
    for label in labels:
        at = data.find(label, starts[-1] if starts else 0)
        if at < 0:
            raise ModelFileError(f"{path}: missing section {label.decode()} in rnnlm model")
        starts.append(at)
    out = []
    for k, (label, size) in enumerate(zip(labels, sizes)):
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        text = data[starts[k] + len(label):end]
        try:
            with warnings.catch_warnings():      # older numpy warns and stops at a bad number
                warnings.simplefilter("ignore", DeprecationWarning)
                values = np.fromstring(text, dtype=np.float64, sep=" ") if text.strip() else \
                    np.zeros(0)
        except ValueError:                       # numpy 2 raises instead
            raise ModelFileError(f"{path}: section {label.decode()} holds something that is "
                                 "not a number (corrupt)") from None
        if values.shape[0] != size:
            raise ModelFileError(f"{path}: section {label.decode()} holds {values.shape[0]} "
                                 f"readable numbers, {size} expected (truncated or corrupt)")
        out.append(values)
    return np.concatenate(out)


def write(path: str, model: Rnnlm04Model, binary: bool):
    """Write in rnnlm 0.4b's layout, atomically (rnnlm itself renames a .temp file)."""
    header = dict(model.header, version=VERSION, format=1 if binary else 0)
    lines = []
    for label, key in HEADER_FIELDS:
        if label is None:
            lines.append("")
            continue
        value = header[key]
        if key in FLOAT_FIELDS:
            lines.append(f"{label}: {value:f}")
        else:
            lines.append(f"{label}: {value}")
    text = "\n".join(lines) + "\n\n\nVocabulary:\n"
    text += "".join(f"{i:6d}\t{c:10d}\t{w}\t{k}\n" for i, (c, w, k) in
                    enumerate(zip(model.counts.tolist(), model.words, model.classes.tolist())))
    with atomic_output(path) as handle:
        handle.write(text.encode("utf-8"))
        if binary:
            for array in (model.hidden, model.syn0, model.syn1, model.direct):
                handle.write(np.ascontiguousarray(array, dtype="<f4").tobytes())
            return
        handle.write(b"\nHidden layer activation:\n")
        handle.write(_numbers(model.hidden, "%.4f"))
        handle.write(b"\nWeights 0->1:\n")
        handle.write(_numbers(model.syn0, "%.4f"))
        handle.write(b"\n\nWeights 1->2:\n")
        handle.write(_numbers(model.syn1, "%.4f"))
        handle.write(b"\nDirect connections:\n")
        handle.write(_numbers(model.direct, "%.2f"))


def _numbers(array: np.ndarray, fmt: str) -> bytes:
    values = array.astype(np.float64).ravel().tolist()
    return "".join(fmt % v + "\n" for v in values).encode()

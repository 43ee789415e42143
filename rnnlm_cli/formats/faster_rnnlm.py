"""Reading faster-rnnlm (Yandex) models: the vocabulary file NAME and the weights NAME.nnet.

The layout, as faster-rnnlm writes it (little-endian, float32 weights, no padding):

* NAME: one ``word count`` pair per line, ``</s>`` first.  faster-rnnlm re-sorts the
  words after ``</s>`` by descending count, keeping file order among equal counts;
  the position after that sort is the word's index in every matrix and hash.
* NAME.nnet header: int64 ``size`` = hidden size + 10000 * version (version 0 files,
  sigmoid hierarchical-softmax models, are the plain size); int64 maxent hash size;
  int32 maxent order; then, from version 1, whether the output is NCE (version 1:
  always; from 2: one byte, then float32 ln Z); from 3, one byte reverse-sentence;
  from 4, the hidden type as a NUL-padded 64-byte string; from 5, int32 layer
  count; from 6, int32 arity of the softmax tree.  Older versions mean sigmoid,
  one layer, arity 2, ln Z = 9.
* then the matrices row-major: the input embeddings (V, H); the output rows
  (V, H): the tree's node rows, or NCE's word rows; the recurrent layers' weights
  (every layer's square matrices in order, then every layer's bias vectors); the
  maxent weights (hash size).

The recurrent weights per layer: sigmoid/tanh/relu/relu-trunc units store the
recurrent matrix, and above the first layer also an input matrix; the GRU types
store the reset, update and candidate input and recurrent matrices (6, in the
order reset-in, reset-out, update-in, update-out, candidate-in, candidate-out)
and the reset and update biases (2), used or not.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ModelFileError

# NumPy is imported inside the functions: drop-in mode asks looks_like() of every
# command line before anything is read, and must not pay for loading NumPy there.
if TYPE_CHECKING:
    import numpy as np

VERSION_STEP = 10000
LATEST_VERSION = 6
TYPE_NAME_BYTES = 64
ELMAN_TYPES = ("sigmoid", "tanh", "relu", "relu-trunc")
GRU_TYPES = ("gru", "gru-bias", "gru-insyn", "gru-full")
GRU_MATRICES = ("reset_in", "reset_out", "update_in", "update_out", "candidate_in",
                "candidate_out")
GRU_VECTORS = ("reset_bias", "update_bias")
WEIGHTS_SUFFIX = ".nnet"


@dataclass
class FasterRnnlmModel:
    """A faster-rnnlm model as stored: header fields, vocabulary in index order and arrays."""

    version: int
    hidden: int
    hash_size: int
    maxent_order: int
    nce: bool
    nce_lnz: float
    reverse: bool
    layer_type: str
    layer_count: int
    arity: int
    words: list
    counts: np.ndarray
    embeddings: np.ndarray       # (V, H) input rows
    output_rows: np.ndarray      # (V, H) tree node rows or NCE word rows
    layers: list                 # per layer: {name: array}
    weights_path: str
    maxent_at: int               # where the maxent weights start in the weights file

    def maxent_into(self, size: int) -> np.ndarray:
        """The maxent weights read straight into a zeroed float32 array of ``size`` >=
        hash_size (no second copy of what may be gigabytes)."""
        import numpy as np
        weights = np.zeros(size, np.float32)
        with open(self.weights_path, "rb") as f:
            f.seek(self.maxent_at)
            f.readinto(memoryview(weights[:self.hash_size]).cast("B"))
        return weights


def looks_like(path: str) -> bool:
    """A faster-rnnlm model is named by its vocabulary file, with the weights beside it."""
    return os.path.isfile(path) and os.path.isfile(path + WEIGHTS_SUFFIX)


def read_vocabulary(path: str) -> tuple[list, np.ndarray]:
    """Words and counts in faster-rnnlm's index order."""
    import numpy as np
    try:
        with open(path, "rb") as f:
            fields = f.read().split()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the vocabulary ({exc.strerror})") from None
    if not fields or len(fields) % 2:
        raise ModelFileError(f"{path}: not a faster-rnnlm vocabulary (expected 'word count' "
                             "pairs)")
    try:
        words = [w.decode("utf-8") for w in fields[0::2]]
        counts = [int(c) for c in fields[1::2]]
    except (UnicodeDecodeError, ValueError):
        raise ModelFileError(f"{path}: not a faster-rnnlm vocabulary (expected 'word count' "
                             "pairs of UTF-8 words and integers)") from None
    if words[0] != "</s>":
        raise ModelFileError(f"{path}: a faster-rnnlm vocabulary starts with </s>, "
                             f"this one with {words[0]!r}")
    # A stable sort by descending count of everything after </s>.
    order = [0] + sorted(range(1, len(words)), key=lambda i: -counts[i])
    return [words[i] for i in order], np.array([counts[i] for i in order], np.int64)


class _Reader:
    """Sequential reads from the weights file with one-line errors at its end."""

    def __init__(self, path: str):
        import numpy as np
        self.path = path
        try:
            self.data = np.memmap(path, dtype=np.uint8, mode="r") \
                if os.path.getsize(path) else np.zeros(0, np.uint8)
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
        self.at = 0

    def take(self, size: int, what: str) -> bytes:
        if self.at + size > self.data.shape[0]:
            raise ModelFileError(f"{self.path}: truncated faster-rnnlm model (ends in the "
                                 f"{what})")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def scalar(self, fmt: str, what: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt), what).tobytes())[0]

    def floats(self, shape: tuple, what: str) -> np.ndarray:
        import numpy as np
        count = int(np.prod(shape))
        return np.frombuffer(self.take(4 * count, what), dtype="<f4").reshape(shape)

    def finish(self):
        extra = self.data.shape[0] - self.at
        if extra:
            raise ModelFileError(f"{self.path}: not a faster-rnnlm model of the size its header "
                                 f"gives ({extra} bytes more)")


def read(path: str) -> FasterRnnlmModel:
    """The model named ``path`` (its vocabulary; the weights are ``path``.nnet)."""
    words, counts = read_vocabulary(path)
    reader = _Reader(path + WEIGHTS_SUFFIX)
    header = _read_header(reader)
    size_v, size_h = len(words), header["hidden"]
    embeddings = reader.floats((size_v, size_h), "input embeddings")
    output_rows = reader.floats((size_v, size_h), "output layer")
    layers = _read_recurrent(reader, header)
    maxent_at = reader.at
    reader.take(4 * header["hash_size"], "maxent weights")
    reader.finish()
    if header["hash_size"] and header["hash_size"] <= size_v:
        raise ModelFileError(f"{reader.path}: corrupt faster-rnnlm model (maxent hash size "
                             f"{header['hash_size']} not above the vocabulary size {size_v})")
    return FasterRnnlmModel(**header, words=words, counts=counts, embeddings=embeddings,
                            output_rows=output_rows, layers=layers, weights_path=reader.path,
                            maxent_at=maxent_at)


def _read_header(reader: _Reader) -> dict:
    encoded = reader.scalar("q", "header")
    version, hidden = divmod(encoded, VERSION_STEP)
    if not 0 <= version <= LATEST_VERSION:
        raise ModelFileError(f"{reader.path}: not a faster-rnnlm model (version {version}; "
                             f"versions 0 to {LATEST_VERSION} exist)")
    header = dict(version=version, hidden=hidden, hash_size=reader.scalar("q", "header"),
                  maxent_order=reader.scalar("i", "header"), nce=version == 1, nce_lnz=9.0,
                  reverse=False, layer_type="sigmoid", layer_count=1, arity=2)
    if version >= 2:
        header["nce"] = reader.scalar("?", "header")
        header["nce_lnz"] = reader.scalar("f", "header")
    if version >= 3:
        header["reverse"] = reader.scalar("?", "header")
    if version >= 4:
        raw = reader.take(TYPE_NAME_BYTES, "header").tobytes()
        header["layer_type"] = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    if version >= 5:
        header["layer_count"] = reader.scalar("i", "header")
    if version >= 6:
        header["arity"] = reader.scalar("i", "header")
    if hidden < 1 or header["hash_size"] < 0 or header["layer_count"] < 1 \
            or header["arity"] < 2 or header["maxent_order"] < 0:
        raise ModelFileError(f"{reader.path}: corrupt faster-rnnlm header")
    if header["hash_size"] == 0:
        header["maxent_order"] = 0
    return header


def _read_recurrent(reader: _Reader, header: dict) -> list:
    """Each layer's named matrices, then each layer's vectors, as faster-rnnlm dumps them."""
    kind, count, size_h = header["layer_type"], header["layer_count"], header["hidden"]
    if kind in ELMAN_TYPES:
        matrices = [("recurrent",) if k == 0 else ("recurrent", "input") for k in range(count)]
        vectors = [() for _ in range(count)]
    elif kind in GRU_TYPES:
        matrices = [GRU_MATRICES for _ in range(count)]
        vectors = [GRU_VECTORS for _ in range(count)]
    else:
        raise ModelFileError(f"{reader.path}: faster-rnnlm hidden type {kind!r} is not "
                             f"supported (only {', '.join(ELMAN_TYPES + GRU_TYPES)})")
    layers = [{} for _ in range(count)]
    for k in range(count):
        for name in matrices[k]:
            layers[k][name] = reader.floats((size_h, size_h), f"layer {k + 1} {name} matrix")
    for k in range(count):
        for name in vectors[k]:
            layers[k][name] = reader.floats((size_h,), f"layer {k + 1} {name} vector")
    return layers

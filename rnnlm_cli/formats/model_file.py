"""Our model container: magic, format version, JSON header, aligned raw arrays.

Layout (all integers little-endian):

    bytes 0-9    magic  b"\\x89RNNLM\\r\\n\\x1a\\n" (catches text-mode mangling)
    bytes 10-13  uint32 container format version
    bytes 14-21  uint64 header length L
    L bytes      UTF-8 JSON header: {"meta": {...}, "arrays": [{name, dtype, shape,
                 offset, crc32}, ...]}
    then each array, C order, explicit little-endian dtype, at a 64-byte aligned offset

Arrays are memory-mapped copy-on-write on load (no full copy of large weight
arrays) and their CRC-32 is verified.  Never pickle.
"""
from __future__ import annotations

import json
import os
import struct
import zlib

import numpy as np

from ..errors import ModelFileError
from ..fileio import atomic_output

MAGIC = b"\x89RNNLM\r\n\x1a\n"
CONTAINER_VERSION = 1
ALIGN = 64
_PREFIX = struct.Struct("<IQ")


def write(path: str, meta: dict, arrays: dict[str, np.ndarray]):
    """Write ``meta`` (JSON-able) and named arrays to ``path`` atomically."""
    table, offset = [], 0
    prepared = {}
    for name, array in arrays.items():
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        prepared[name] = data
        table.append({"name": name, "dtype": data.dtype.str, "shape": list(data.shape),
                      "offset": offset, "crc32": zlib.crc32(memoryview(data).cast("B"))})
        offset += _aligned(data.nbytes)
    header = json.dumps({"meta": meta, "arrays": table, "data_bytes": offset},
                        ensure_ascii=False).encode("utf-8")
    start = _aligned(len(MAGIC) + _PREFIX.size + len(header))
    with atomic_output(path) as handle:
        handle.write(MAGIC + _PREFIX.pack(CONTAINER_VERSION, len(header)) + header)
        handle.write(b"\0" * (start - handle.tell()))
        for entry in table:
            data = prepared[entry["name"]]
            handle.write(memoryview(data).cast("B"))
            handle.write(b"\0" * (_aligned(data.nbytes) - data.nbytes))


def read(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Return (meta, arrays); arrays are copy-on-write memory maps, checksums verified.

    Everything is read through one open handle, so a writer replacing the file
    meanwhile (atomic rename: training checkpoints) cannot mix two versions.
    """
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a directory, expected a model file")
    try:
        with open(path, "rb") as handle:
            return _read_open(path, handle)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read model ({exc.strerror})") from None


def _read_open(path: str, handle) -> tuple[dict, dict[str, np.ndarray]]:
    """read() on an open binary handle (``path`` names it in messages)."""
    size = os.fstat(handle.fileno()).st_size
    head = handle.read(len(MAGIC) + _PREFIX.size)
    if head[:len(MAGIC)] != MAGIC:
        raise ModelFileError(f"{path}: not an rnnlm model file (bad magic)")
    if len(head) < len(MAGIC) + _PREFIX.size:
        raise ModelFileError(f"{path}: truncated model file")
    version, header_length = _PREFIX.unpack(head[len(MAGIC):])
    if version != CONTAINER_VERSION:
        raise ModelFileError(f"{path}: model container version {version} is not "
                             f"supported (this rnnlm reads version {CONTAINER_VERSION})")
    raw = handle.read(header_length)
    if len(raw) != header_length:
        raise ModelFileError(f"{path}: truncated model file (header)")
    try:
        header = json.loads(raw.decode("utf-8"))
        meta, table, data_bytes = header["meta"], header["arrays"], int(header["data_bytes"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ModelFileError(f"{path}: corrupt model header") from None
    start = _aligned(len(MAGIC) + _PREFIX.size + header_length)
    if size < start + data_bytes:
        raise ModelFileError(f"{path}: truncated model file ({size} of {start + data_bytes} bytes)")
    arrays = {}
    for entry in table:
        arrays[entry["name"]] = _map_array(path, handle, size, start, entry)
    return meta, arrays


def _map_array(path, handle, size, start, entry):
    try:
        dtype = np.dtype(entry["dtype"])
        shape = tuple(int(n) for n in entry["shape"])
        offset = start + int(entry["offset"])
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(f"{path}: corrupt array table") from None
    if offset + nbytes > size:
        raise ModelFileError(f"{path}: truncated model file (array {entry['name']!r})")
    if nbytes == 0:
        array = np.zeros(shape, dtype=dtype)
    else:
        array = np.memmap(handle, dtype=dtype, mode="c", offset=offset, shape=shape)
    if zlib.crc32(memoryview(np.ascontiguousarray(array)).cast("B")) != entry.get("crc32"):
        raise ModelFileError(f"{path}: checksum mismatch in array {entry['name']!r} "
                             "(the file is corrupt)")
    return array.view(np.ndarray).astype(dtype.newbyteorder("="), copy=False)


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN

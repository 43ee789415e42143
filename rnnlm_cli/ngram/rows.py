"""N-grams as rows of word ids, and where the stages of a partitioned estimate keep them.

Outside one in-memory table an n-gram of order k is a row of an (n, k) int32
matrix, oldest word first.  ``row_keys`` turns each row into one comparable
value (its ids as big-endian bytes), so that NumPy sorts rows lexicographically
and finds them with ``searchsorted``: no packing into an integer, which would
overflow for 5-grams over a 10k vocabulary.

A ``Store`` holds named groups of arrays between the stages: in memory, or as
``.npy`` files in a folder (``-memory``: one partition in memory at a time;
``-dask``: the folder is shared by the workers).
"""
from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager

import numpy as np


def row_keys(words: np.ndarray) -> np.ndarray:
    """One value per row whose byte order is the rows' lexicographic order."""
    be = np.ascontiguousarray(words, dtype=">i4")
    return be.view(np.dtype((np.void, 4 * words.shape[1]))).ravel()


def find_rows(sorted_keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of each query key in ``sorted_keys``, -1 where it is absent."""
    if sorted_keys.size == 0:
        return np.full(queries.size, -1, np.int64)
    at = np.minimum(np.searchsorted(sorted_keys, queries), sorted_keys.size - 1)
    return np.where(sorted_keys[at] == queries, at, -1)


def sum_duplicate_rows(words: np.ndarray, counts: np.ndarray):
    """The distinct rows, sorted, with the counts of equal rows summed."""
    if words.shape[0] == 0:
        return words, counts
    keys = row_keys(words)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return words[order][starts], np.add.reduceat(counts[order], starts)


def closed_rows(rows: list) -> list:
    """``rows`` (per order k = 1.., (words, counts)) with every prefix and suffix of
    every n-gram added with count 0, as count files may leave them out."""
    rows = list(rows)
    for k in range(len(rows), 1, -1):
        words, _ = rows[k - 1]
        lower_words, lower_counts = rows[k - 2]
        extra = np.concatenate([words[:, :-1], words[:, 1:]])
        rows[k - 2] = sum_duplicate_rows(
            np.concatenate([lower_words, extra]),
            np.concatenate([lower_counts, np.zeros(extra.shape[0], lower_counts.dtype)]))
    return rows


class Store:
    """Named groups of arrays kept in memory."""

    def __init__(self):
        self._groups: dict = {}

    def put(self, name: str, **arrays):
        """Add these arrays to the group ``name`` (replacing those of the same key)."""
        self._groups.setdefault(name, {}).update({k: np.asarray(v) for k, v in arrays.items()})

    def get(self, name: str, keys=None) -> dict:
        """The arrays of group ``name`` (only those of ``keys``, if given)."""
        group = self._groups[name]
        return group if keys is None else {key: group[key] for key in keys}

    def has(self, name: str) -> bool:
        return name in self._groups

    def drop(self, name: str):
        self._groups.pop(name, None)

    @contextmanager
    def text_writer(self, name: str):
        """A text handle whose contents are kept under ``name``."""
        buffer = io.StringIO()
        yield buffer
        self._groups[name] = buffer.getvalue()

    def copy_text(self, name: str, handle):
        handle.write(self._groups[name])

    def drop_text(self, name: str):
        self._groups.pop(name, None)


class FolderStore(Store):
    """Named groups of arrays as ``.npy`` files in a folder, read back only when asked
    for, so that a stage holds just what it loads."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def _path(self, name):
        return os.path.join(self.folder, name)

    def put(self, name: str, **arrays):
        path = self._path(name)
        os.makedirs(path, exist_ok=True)
        for key, value in arrays.items():
            np.save(os.path.join(path, key + ".npy"), np.asarray(value))

    def get(self, name: str, keys=None) -> dict:
        path = self._path(name)
        if keys is None:
            keys = [entry[:-4] for entry in sorted(os.listdir(path)) if entry.endswith(".npy")]
        return {key: np.load(os.path.join(path, key + ".npy")) for key in keys}

    def has(self, name: str) -> bool:
        return os.path.isdir(self._path(name))

    def drop(self, name: str):
        shutil.rmtree(self._path(name), ignore_errors=True)

    @contextmanager
    def text_writer(self, name: str):
        with open(self._path(name) + ".txt", "w", encoding="utf-8", newline="") as handle:
            yield handle

    def copy_text(self, name: str, handle):
        with open(self._path(name) + ".txt", encoding="utf-8", newline="") as source:
            shutil.copyfileobj(source, handle, 1 << 20)

    def drop_text(self, name: str):
        try:
            os.remove(self._path(name) + ".txt")
        except FileNotFoundError:
            pass

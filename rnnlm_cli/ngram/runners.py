"""How the stages of a partitioned estimate run over their arguments: one after
another (bounded memory), or in forked worker processes (``-threads N``); the Dask
runner is in dask_backend.py.  A runner is ``run(function, arguments)``: every
argument tuple starts with the job that all tasks share, and the stages exchange
their arrays through a store (what they return is small: statistics, word lists).
"""
from __future__ import annotations


def sequential(function, arguments: list) -> list:
    """Run a stage over its arguments one after another (bounded memory)."""
    return [function(*a) for a in arguments]


class ProcessRun:
    """Run a stage over ``processes`` forked worker processes (``-threads N``).  The job
    every task shares (the first argument) reaches them through the fork, not pickled;
    the stages exchange their arrays through a folder store."""

    def __init__(self, processes: int):
        self.workers = processes

    def __call__(self, function, arguments: list) -> list:
        import multiprocessing
        global _SHARED_JOB
        if len(arguments) < 2:
            return sequential(function, arguments)
        _SHARED_JOB = arguments[0][0]
        try:
            with multiprocessing.get_context("fork").Pool(self.workers) as pool:
                return pool.starmap(_with_shared_job, [(function, a[1:]) for a in arguments],
                                    chunksize=1)
        finally:
            _SHARED_JOB = None


_SHARED_JOB = None


def _with_shared_job(function, rest):
    return function(_SHARED_JOB, *rest)

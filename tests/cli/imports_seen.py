"""Run the command in a fresh interpreter and report which heavy libraries it loaded.

A check that happens "before any input is read" or "before NumPy loads" is a promise
about order, not speed; asking the interpreter at exit which modules it imported tests
that promise exactly, where a wall-clock bound failed on a loaded CI machine.
"""
import os
import subprocess
import sys

HEAVY = ("numpy", "numba")

_REPORT_AT_EXIT = """
import atexit, os, runpy, sys
def report():
    with open(os.environ["RNNLM_TEST_IMPORTS"], "w") as handle:
        handle.write("\\n".join(sorted(sys.modules)))
atexit.register(report)
sys.argv[0] = "rnnlm"
runpy.run_module("rnnlm_cli", run_name="__main__")
"""


def run_recording_imports(args, report_path, timeout=60, watched=HEAVY):
    """subprocess.run of ``rnnlm ARGS``; returns (CompletedProcess, the ``watched``
    top-level modules it loaded)."""
    env = dict(os.environ, RNNLM_TEST_IMPORTS=str(report_path))
    done = subprocess.run([sys.executable, "-c", _REPORT_AT_EXIT, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    with open(report_path) as handle:
        loaded = {name.split(".")[0] for name in handle.read().split()}
    return done, sorted(loaded.intersection(watched))

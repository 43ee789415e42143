"""The command line starts with Python's cyclic garbage collector paused.

Importing NumPy and Numba, loading a model and reading lists allocate a great many
objects and free almost none, so the collector's passes over them find nothing to
collect: they took 0.05-0.09 s of a 0.7 s warm ``eval`` start and 0.24 s of rescoring
75,220 hypotheses (gc callbacks, 2026-12-02).  Reference counting frees everything that
is not in a reference cycle while it is paused.

``pause`` is called by the command line (cli.py) before a command imports NumPy, Numba
and the model code; ``resume`` once the model is loaded (interop.load_model, the
trainer) and when the command ends.  For a caller of the library that never paused it,
``resume`` does nothing.
"""
import gc

_paused = False


def pause():
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume():
    """Keep what exists now out of later passes (gc.freeze: the modules and the model
    stay alive to the end) and let the collector run again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()

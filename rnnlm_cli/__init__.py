"""rnnlm: recurrent neural network language models for speech and translation pipelines.

The Python API (rnnlm_cli.api) is reachable from here::

    import rnnlm_cli
    model = rnnlm_cli.load("model.rnn")
    model.score(["the cat sat"])            # log10 P of each word and </s>
    model.perplexity("test.txt").ppl

It is imported on first use, so the ``rnnlm`` command starts without it.
"""
import os as _os

from .version import __version__  # noqa: F401  (rnnlm_cli.__version__)

API = ("load", "train", "Model", "PerplexityReport", "RescoreOptions")


def _find_kernels_in_source_checkout():
    """Installed, the kernels live in rnnlm_cli/kernels (pyproject.toml maps the top-level
    kernels/ folder there).  In a source checkout they sit beside this package, so when
    the package is imported from the checkout itself (``python -m rnnlm_cli`` at the
    repository root) let its search path include the root, where kernels/ is found."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    if not _os.path.isdir(_os.path.join(here, "kernels")) and _os.path.isfile(
            _os.path.join(root, "kernels", "_jit.py")):
        __path__.append(root)


_find_kernels_in_source_checkout()


def __getattr__(name):
    """The API names (load, train, Model, ...), imported when first asked for."""
    if name in API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

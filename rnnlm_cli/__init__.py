"""rnnlm: recurrent neural network language models for speech and translation pipelines."""
import os as _os

__version__ = "0.1.0"


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

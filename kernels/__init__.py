"""Numba kernels: arrays and scalars in, arrays updated in place, numbers out.

Installed as ``rnnlm_cli.kernels`` (see pyproject.toml): the folder keeps the
design card's name, the import name stays ours.  Nothing here reads files,
prints, or knows about Click.
"""

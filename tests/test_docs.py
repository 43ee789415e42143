"""Documentation follows the command line: every option is in its man page."""
import pathlib

import click
import pytest

from rnnlm_cli.cli import main

MAN = pathlib.Path(__file__).resolve().parent.parent / "man" / "man1"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_is_in_the_man_page(name):
    page = MAN / f"rnnlm-{name}.1"
    assert page.exists(), f"no man page for rnnlm {name}"
    text = page.read_text().replace("\\-", "-")
    for param in main.commands[name].params:
        if isinstance(param, click.Option):
            for spelling in param.opts:
                assert spelling in text, f"{spelling} of 'rnnlm {name}' missing from {page.name}"


def test_main_page_lists_every_command():
    text = (MAN / "rnnlm.1").read_text()
    for name in main.commands:
        assert f".B {name}" in text

"""Rich progress bar on stderr (words/s, ETA); silent when stderr is not a terminal or -q."""
from __future__ import annotations

import sys


class WordProgress:
    """Context manager; ``start`` begins a bar, ``update(done, total)`` moves it."""

    def __init__(self, quiet: bool = False, unit: str = "words"):
        self.enabled = not quiet and sys.stderr.isatty()
        self.unit = unit
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.enabled:
            # Rich only when a bar is drawn: importing it costs about 50 ms, which
            # pipelines calling a command once per job (-q, or stderr not a terminal)
            # would pay for nothing.
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("{task.percentage:>5.1f}%"), TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._progress.__enter__()
        return self

    def start(self, description: str, total: int):
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=total, rate="")

    def update(self, done: int, total: int):
        if self._progress is None or self._task is None:
            return
        self._progress.update(self._task, completed=done, total=total)
        speed = self._progress.tasks[-1].speed
        if speed:
            self._progress.update(self._task, rate=f"{speed:,.0f} {self.unit}/s")

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False

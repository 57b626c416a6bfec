"""A progress bar with an ETA on standard error, weighted by the expected cost of each task.

Tasks differ a lot in cost (one fine-tuning epoch of ResNet-56 is worth dozens of the digits
CNN's), so each task declares a weight in rough "work units" and the ETA extrapolates the time per
unit measured so far. On a terminal the bar redraws one line; in a log (stderr not a TTY) it prints
one line per finished task instead. No dependency: the bar is one formatted string.

>>> import io
>>> stream = io.StringIO()
>>> bar = Progress(total=4.0, stream=stream, interactive=False)
>>> with bar.task("digits-cnn · l1-norm", units=1.0):
...     pass
>>> out = stream.getvalue()
>>> " 25% " in out and "ETA" in out and out.rstrip().endswith("digits-cnn · l1-norm")
True
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress", "format_duration"]

_WIDTH = 24


def format_duration(seconds: float) -> str:
    """``75`` → ``1:15``; ``3725`` → ``1:02:05``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Tracks ``total`` work units; :meth:`task` wraps one unit of work and redraws the bar."""

    def __init__(self, total: float, *, stream: TextIO | None = None,
                 interactive: bool | None = None, enabled: bool = True) -> None:
        self.total = max(total, 1e-9)
        self.done = 0.0
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.enabled = enabled
        self.start = time.monotonic()

    def eta(self) -> float | None:
        """Seconds left at the pace so far (``None`` before anything finished)."""
        if self.done <= 0:
            return None
        elapsed = time.monotonic() - self.start
        return elapsed / self.done * max(self.total - self.done, 0.0)

    def line(self, label: str) -> str:
        fraction = min(self.done / self.total, 1.0)
        filled = round(fraction * _WIDTH)
        eta = self.eta()
        return (f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%} "
                f"{format_duration(time.monotonic() - self.start)} elapsed, "
                f"ETA {format_duration(eta) if eta is not None else '?'}  {label}")

    def _draw(self, label: str, *, final: bool = False) -> None:
        if not self.enabled:
            return
        if self.interactive:
            self.stream.write("\r\033[K" + self.line(label) + ("\n" if final else ""))
        elif final:
            self.stream.write(self.line(label) + "\n")
        self.stream.flush()

    @contextmanager
    def task(self, label: str, units: float) -> Iterator[None]:
        """Run one task of ``units`` work; the bar shows ``label`` while it runs."""
        self._draw(label)
        try:
            yield
        finally:
            self.advance(label, units)

    def advance(self, label: str, units: float) -> None:
        """Count ``units`` of work that finished elsewhere (a Ray task) and show ``label``."""
        self.done += units
        self._draw(label, final=not self.interactive)

    def skip(self, label: str, units: float) -> None:
        """Take ``units`` off the total: work an earlier run did says nothing of this one's pace."""
        self.total = max(self.total - units, 1e-9)
        self._draw(label, final=not self.interactive)

    def close(self, message: str = "done") -> None:
        self.done = self.total
        self._draw(message, final=True)

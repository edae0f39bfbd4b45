"""A small progress bar for long commands, on stderr so that stdout stays the report."""

import sys
import time
from typing import TextIO


class ProgressBar:
    """`phase [#####.....] 42%  12.3 MB/29.0 MB  3.1 s`, redrawn at most 10 times a second on a
    terminal; elsewhere (logs, CI) one line per phase at its end."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = enabled and self.stream.isatty()
        self.phase, self.total, self.done_bytes = "", 0, 0
        self.started = self.drawn = 0.0

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.done_bytes = phase, max(total, 1), 0
        self.started = self.drawn = time.monotonic()
        self._draw(force=True)

    def advance(self, amount: int) -> None:
        self.done_bytes += amount
        self._draw()

    def done(self) -> None:
        self.done_bytes = self.total
        self._draw(force=True)
        if self.enabled:
            if self.interactive:
                self.stream.write("\n")
            else:
                self.stream.write(self._line() + "\n")
            self.stream.flush()

    def _line(self) -> str:
        share = min(self.done_bytes / self.total, 1.0)
        filled = int(share * self.WIDTH)
        return (
            f"{self.phase:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  "
            f"{self.done_bytes / 1e6:.1f}/{self.total / 1e6:.1f} MB  {time.monotonic() - self.started:.1f} s"
        )

    def _draw(self, force: bool = False) -> None:
        if not self.interactive:
            return
        now = time.monotonic()
        if force or now - self.drawn >= 0.1:
            self.drawn = now
            self.stream.write("\r" + self._line())
            self.stream.flush()

"""A one-line progress bar on stderr, only when stderr is a terminal and not `--quiet`."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 28
_INTERVAL = 0.1


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled and self._stream.isatty()
        self._label = ""
        self._total = 0
        self._started = time.monotonic()
        self._shown = 0.0
        self._dirty = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    def phase(self, label: str, total: int) -> None:
        self._finish_line()
        self._label, self._total, self._started, self._shown = label, total, time.monotonic(), 0.0

    def update(self, done: int) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._shown < _INTERVAL and done < self._total:
            return
        self._shown = now
        total = max(self._total, done, 1)
        filled = WIDTH * done // total
        rate = done / max(now - self._started, 1e-6)
        bar = "#" * filled + "." * (WIDTH - filled)
        self._stream.write(f"\r{self._label:<8} [{bar}] {done}/{total} ({rate:.0f}/s)")
        self._stream.flush()
        self._dirty = True

    def close(self) -> None:
        self._finish_line()

    def _finish_line(self) -> None:
        if self._enabled and self._dirty:
            self._stream.write("\n")
            self._stream.flush()
        self._dirty = False

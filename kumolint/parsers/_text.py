"""Small text helpers shared by parsers: offsets to 1-based positions, and spans."""

from __future__ import annotations

import bisect

from kumolint.finding import Span


class LineIndex:
    """Maps character offsets in one text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        start = text.find("\n")
        while start != -1:
            self._starts.append(start + 1)
            start = text.find("\n", start + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def span(self, path: str, start: int, end: int | None = None) -> Span:
        line, column = self.position(start)
        if end is None:
            return Span(path, line, column)
        end_line, end_column = self.position(end)
        return Span(path, line, column, end_line, end_column)

    @property
    def line_count(self) -> int:
        return len(self._starts)

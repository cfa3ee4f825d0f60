"""The one record that rules produce and formatters consume."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """Ordered least to most severe; the values are SARIF levels."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self.value]


_RANKS = {"note": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """A place in the repo. Lines and columns are 1-based, like editors."""

    path: str  # repo-relative, POSIX separators
    line: int = 1
    column: int = 1
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Related:
    """A second location that explains a finding (the other side of a cross-file match)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is not counted: an inline comment ("in-source") or a baseline ("external")."""

    kind: str
    reason: str = ""


@dataclass(frozen=True, order=True, slots=True)
class Finding:
    """One problem. Sorting gives path, line, column, then rule id."""

    span: Span
    rule_id: str  # "KL101"
    message: str
    severity: Severity = field(compare=False)
    name: str = field(default="", compare=False)  # "populated-env-file"
    fingerprint: str = field(default="", compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)
    commit: str | None = field(default=None, compare=False)
    suppression: Suppression | None = field(default=None, compare=False)

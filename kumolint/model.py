"""Facts the parsers extract, and the RepoModel that rules query.

Every fact is a frozen dataclass with a `span` (or, for whole-file facts, a `path`), so a rule
never computes a position itself. Fact types live beside the parsers that make them, grouped
by family in `kumolint.facts`; the model stores them by type and hands them out with `of()`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kumolint.finding import Span

if TYPE_CHECKING:
    from kumolint.config import Config

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Value:
    """A raw string from the scanned repo that may be a secret.

    `repr()` and `str()` never show the text, so a Value that slips into a message, a log line
    or an exception is harmless. Compare Values with `==` or group them by `digest`.
    """

    text: str

    def __repr__(self) -> str:
        return f"Value(<{len(self.text)} chars, {self.digest}>)"

    __str__ = __repr__

    @property
    def digest(self) -> str:
        """A short keyed hash: equal texts give equal digests; it is never written anywhere."""
        return hashlib.blake2b(
            self.text.encode("utf-8", "surrogatepass"), key=b"kumolint-value", digest_size=8
        ).hexdigest()


@dataclass(frozen=True, slots=True)
class ParseError:
    """A file, or part of one, that a parser could not read (reported as KL001)."""

    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class InlineIgnore:
    """A `kumolint: ignore[KL101,...] -- reason` comment.

    `line` is the line it applies to: its own line, or the next line when the comment stands
    alone on its line.
    """

    rule_ids: tuple[str, ...]
    reason: str
    line: int
    span: Span


@dataclass(frozen=True, slots=True)
class RepoFile:
    """A file discovered in the repository (opened or not)."""

    path: str
    executable: bool = False


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class RepoModel:
    """Everything kumolint knows about one repository."""

    config: Config
    files: Mapping[str, RepoFile] = field(default_factory=dict)
    parsed: frozenset[str] = frozenset()
    skipped: tuple[SkippedFile, ...] = ()
    facts: Mapping[type, tuple[Any, ...]] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def of(self, kind: type[T]) -> tuple[T, ...]:
        """Every fact of type `kind`, in path then position order."""
        return self.facts.get(kind, ())  # type: ignore[return-value]

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per model: rule helpers share what several rules derive (an index
        of paths, the KumoMTA env files) instead of each rule deriving it again."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]  # type: ignore[no-any-return]

    @classmethod
    def build(
        cls,
        config: Config,
        files: Iterable[RepoFile],
        facts: Iterable[Any],
        *,
        parsed: Iterable[str] = (),
        skipped: Iterable[SkippedFile] = (),
    ) -> RepoModel:
        by_type: dict[type, list[Any]] = {}
        for fact in facts:
            by_type.setdefault(type(fact), []).append(fact)
        return cls(
            config=config,
            files={f.path: f for f in files},
            parsed=frozenset(parsed),
            skipped=tuple(sorted(skipped, key=lambda s: s.path)),
            facts={kind: tuple(items) for kind, items in by_type.items()},
        )

"""Facts about the run itself, added by the engine for rules that judge the other rules' work.

Only rules the engine runs after all others (KL002) ever see a `RunState`; it is never made
by a parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunState:
    """What the rules before this one did."""

    # (path, line, rule id) of every finding an inline `kumolint: ignore[...]` silenced
    silenced: frozenset[tuple[str, int, str]]
    # rules that ran to completion in this run (enabled, selected, no internal error)
    completed: frozenset[str]
    # every rule id this build knows, enabled or not
    known: frozenset[str]

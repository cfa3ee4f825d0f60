"""Baselines: accept the findings a legacy repository already has, gate only new ones.

An entry is keyed by (rule, path, fingerprint). The fingerprint is the content key of the
finding (rule, path and a structural key such as a variable name), never a line number and
never a value, so a finding that moves keeps matching and the file leaks nothing. The file is
sorted JSON without timestamps: writing it twice gives the same bytes, and two branches that
baseline different findings merge cleanly line by line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kumolint.finding import Finding, Suppression

VERSION = 1
_ENTRY_KEYS = {"rule", "path", "fingerprint", "name", "count", "reason"}

Key = tuple[str, str, str]


class BaselineError(Exception):
    """An unreadable or malformed baseline file (a usage error: exit 2)."""


@dataclass(frozen=True, order=True)
class Entry:
    rule: str
    path: str
    fingerprint: str
    name: str = ""
    count: int = 1  # findings with this key accepted (a variable set twice in one file)
    reason: str = ""

    @property
    def key(self) -> Key:
        return (self.rule, self.path, self.fingerprint)


@dataclass(frozen=True)
class Applied:
    reported: list[Finding]
    suppressed: list[Finding]
    stale: list[Entry]  # entries that matched no finding of this run


def from_findings(findings: Iterable[Finding], previous: Sequence[Entry] = ()) -> list[Entry]:
    """Entries accepting `findings`; reasons written by hand in `previous` are kept."""
    reasons = {entry.key: entry.reason for entry in previous if entry.reason}
    counts: Counter[Key] = Counter()
    names: dict[Key, str] = {}
    for finding in findings:
        key = _key(finding)
        counts[key] += 1
        names[key] = finding.name
    return sorted(
        Entry(*key, name=names[key], count=count, reason=reasons.get(key, ""))
        for key, count in counts.items()
    )


def dumps(entries: Iterable[Entry]) -> str:
    rows: list[dict[str, Any]] = []
    for entry in sorted(entries, key=lambda e: (e.path, e.rule, e.fingerprint)):
        row: dict[str, Any] = {
            "rule": entry.rule,
            "path": entry.path,
            "fingerprint": entry.fingerprint,
        }
        if entry.name:
            row["name"] = entry.name
        if entry.count != 1:
            row["count"] = entry.count
        if entry.reason:
            row["reason"] = entry.reason
        rows.append(row)
    document = {"version": VERSION, "tool": "kumolint", "entries": rows}
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def load(path: Path) -> list[Entry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read the baseline ({type(error).__name__})") from None
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: not valid JSON") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise BaselineError(f"{path}: not a kumolint baseline (version {VERSION})")
    rows = document.get("entries")
    if not isinstance(rows, list):
        raise BaselineError(f"{path}: `entries` must be a list")
    return [_entry(path, number, row) for number, row in enumerate(rows, start=1)]


def apply(entries: Sequence[Entry], findings: Iterable[Finding]) -> Applied:
    """Split findings into new ones and baselined ones; list the entries nothing matched."""
    budget: dict[Key, int] = {}
    by_key: dict[Key, Entry] = {}
    for entry in entries:
        budget[entry.key] = budget.get(entry.key, 0) + entry.count
        by_key.setdefault(entry.key, entry)
    used: set[Key] = set()
    reported: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        key = _key(finding)
        if budget.get(key, 0) > 0:
            budget[key] -= 1
            used.add(key)
            reason = by_key[key].reason
            suppressed.append(replace(finding, suppression=Suppression("external", reason)))
        else:
            reported.append(finding)
    stale = sorted(entry for key, entry in by_key.items() if key not in used)
    return Applied(reported, suppressed, stale)


def _key(finding: Finding) -> Key:
    return (finding.rule_id, finding.span.path, finding.fingerprint)


def _entry(path: Path, number: int, row: object) -> Entry:
    where = f"{path}: entry {number}"
    if not isinstance(row, Mapping):
        raise BaselineError(f"{where}: must be an object")
    unknown = sorted(set(row) - _ENTRY_KEYS)
    if unknown:
        raise BaselineError(f"{where}: unknown key {unknown[0]!r}")
    for name in ("rule", "path", "fingerprint"):
        if not isinstance(row.get(name), str) or not row[name]:
            raise BaselineError(f"{where}: `{name}` must be a non-empty string")
    count = row.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BaselineError(f"{where}: `count` must be a positive integer")
    for name in ("name", "reason"):
        if not isinstance(row.get(name, ""), str):
            raise BaselineError(f"{where}: `{name}` must be a string")
    return Entry(
        row["rule"],
        row["path"],
        row["fingerprint"],
        name=row.get("name", ""),
        count=count,
        reason=row.get("reason", ""),
    )

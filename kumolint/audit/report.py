"""The audit as Markdown: a rotation checklist first, then every finding by severity."""

from __future__ import annotations

import time
from collections.abc import Mapping

from kumolint.audit.history import HISTORY_RULES, AuditFinding, AuditResult
from kumolint.finding import Severity
from kumolint.registry import Rule

_SECRET_WORDS = ("secret", "key", "token", "password", "populated", "credential")


def is_secret(item: AuditFinding, rules: Mapping[str, Rule]) -> bool:
    """Findings that mean a credential reached git (the checklist lists these)."""
    rule = rules.get(item.finding.rule_id)
    name = rule.name if rule else ""
    return item.finding.rule_id in HISTORY_RULES or any(w in name for w in _SECRET_WORDS)


def day(stamp: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(stamp)) if stamp else "?"


def status(item: AuditFinding) -> str:
    if item.at_head:
        return "still in HEAD"
    if item.left is not None:
        return f"only in history (gone in {item.left.commit[:12]}, {day(item.left.date)})"
    return "only in history"


def action(item: AuditFinding) -> str:
    if item.at_head:
        return "still in HEAD: remove it from the repository and rotate it"
    return "only in history: rotate it, history keeps it"


def summary_lines(result: AuditResult) -> list[str]:
    counts = dict.fromkeys(Severity, 0)
    for item in result.findings:
        counts[item.finding.severity] += 1
    at_head = sum(1 for a in result.findings if a.at_head)
    scope = (
        f"{result.commits} commits ({day(result.first_date)} to {day(result.last_date)})"
        if result.history
        else "the HEAD commit"
    )
    return [
        f"Audited {scope}: {result.versions} file versions linted, {len(result.skipped)} skipped.",
        f"{len(result.findings)} findings: {counts[Severity.ERROR]} errors, "
        f"{counts[Severity.WARNING]} warnings, {counts[Severity.NOTE]} notes; "
        f"{at_head} still in HEAD, {len(result.findings) - at_head} only in history.",
    ]


def markdown(result: AuditResult, rules: Mapping[str, Rule], name: str) -> str:
    out = [f"# kumolint audit: {_cell(name)}", "", *summary_lines(result), ""]
    secrets = [a for a in result.findings if is_secret(a, rules)]
    out += ["## Rotation checklist", ""]
    if not secrets:
        out.append("No secret ever reached the audited history.")
    else:
        out += [
            "Removing a secret from the tree does not remove it from clones, forks, CI caches "
            "or the history itself: rotate every one of these.",
            "",
        ]
        for item in secrets:
            f = item.finding
            out.append(
                f"- [ ] **{f.rule_id}** `{_code(f.span.path)}`: {_cell(f.message)} "
                f"(introduced {item.introduced.commit[:12]}, {day(item.introduced.date)}) "
                f"**{action(item)}**"
            )
    out.append("")
    out += ["## Findings by severity", ""]
    if not result.findings:
        out += ["No findings.", ""]
    for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE):
        items = [a for a in result.findings if a.finding.severity is severity]
        if not items:
            continue
        out += [
            f"### {severity.value} ({len(items)})",
            "",
            "| rule | location | message | introduced | status |",
            "|---|---|---|---|---|",
        ]
        for item in items:
            f = item.finding
            rule = rules.get(f.rule_id)
            title = f"{f.rule_id} {rule.name}" if rule else f.rule_id
            out.append(
                f"| {title} | `{_code(f.span.path)}:{f.span.line}` | {_cell(f.message)} "
                f"| `{item.introduced.commit[:12]}` {day(item.introduced.date)} "
                f"| {status(item)} |"
            )
        out.append("")
    if result.skipped:
        out += ["## Not linted", "", "| path | blob | reason |", "|---|---|---|"]
        out += [
            f"| `{_code(s.path)}` | `{s.blob[:12]}` | {_cell(s.reason)} |" for s in result.skipped
        ]
        out.append("")
    if result.notes or result.problems:
        out += ["## Notes", ""]
        out += [f"- {_cell(n)}" for n in (*result.notes, *result.problems)]
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    flat = " ".join(_printable(text).split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _code(text: str) -> str:
    return _printable(text).replace("`", "'").replace("|", "\\|")


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")

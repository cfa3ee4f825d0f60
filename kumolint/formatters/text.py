"""One line per finding: `path:line:col: KL101 [error] message`, related places after it."""

from __future__ import annotations

from kumolint.finding import Finding, Span
from kumolint.formatters import Output


def render(output: Output) -> str:
    return "".join(_line(f) for f in (*output.findings, *output.suppressed))


def _line(finding: Finding) -> str:
    text = (
        f"{_place(finding.span)}: {finding.rule_id} [{finding.severity.value}] {finding.message}"
    )
    for related in finding.related:
        text += f" (also at {_place(related.span)}: {related.message})"
    if finding.suppression is not None:
        reason = f": {finding.suppression.reason}" if finding.suppression.reason else ""
        text += f" [suppressed {finding.suppression.kind}{reason}]"
    return text + "\n"


def _place(span: Span) -> str:
    return f"{span.path}:{span.line}:{span.column}"

"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

`summary(output)` is the Markdown job summary; the CLI appends it to `$GITHUB_STEP_SUMMARY`
(a formatter does no I/O). Suppressed findings are not annotated.
"""

from __future__ import annotations

from collections import Counter

from kumolint.finding import Finding, Severity
from kumolint.formatters import Output

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
SUMMARY_ROWS = 50


def render(output: Output) -> str:
    return "".join(_annotation(f, output) for f in output.findings)


def _annotation(finding: Finding, output: Output) -> str:
    rule = output.rules.get(finding.rule_id)
    title = f"{finding.rule_id} {rule.name}" if rule else finding.rule_id
    span = finding.span
    where = [f"file={_property(span.path)}", f"line={span.line}", f"col={span.column}"]
    if span.end_line is not None and span.end_line >= span.line:
        where.append(f"endLine={span.end_line}")
        if span.end_line == span.line and span.end_column is not None:
            where.append(f"endColumn={span.end_column}")
    message = finding.message
    for related in finding.related:
        message += f"\n(also at {related.span.path}:{related.span.line}: {related.message})"
    properties = ",".join([*where, f"title={_property(title)}"])
    return f"::{_COMMAND[finding.severity]} {properties}::{_data(message)}\n"


def summary(output: Output) -> str:
    """Markdown for the job summary page: totals, then the first findings as a table."""
    counts = Counter(f.severity for f in output.findings)
    lines = ["## kumolint", ""]
    if not output.findings:
        lines.append(f"No findings in {output.files_scanned} files scanned.")
    else:
        totals = ", ".join(
            f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}"
            for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
            if counts[s]
        )
        lines += [
            f"**{len(output.findings)} findings** ({totals}) in "
            f"{output.files_scanned} files scanned.",
            "",
            "| severity | rule | location | message |",
            "|---|---|---|---|",
        ]
        ordered = sorted(output.findings, key=lambda f: (-f.severity.rank, f))
        for finding in ordered[:SUMMARY_ROWS]:
            rule = output.rules.get(finding.rule_id)
            name = f"{finding.rule_id} {rule.name}" if rule else finding.rule_id
            place = f"{finding.span.path}:{finding.span.line}"
            lines.append(
                f"| {finding.severity.value} | {_cell(name)} | `{_cell(place)}` "
                f"| {_cell(finding.message)} |"
            )
        if len(ordered) > SUMMARY_ROWS:
            lines += ["", f"... and {len(ordered) - SUMMARY_ROWS} more (see the annotations)."]
    if output.skipped:
        lines += ["", f"{len(output.skipped)} files were not linted (binary, too large, ...)."]
    if output.suppressed:
        lines += ["", f"{len(output.suppressed)} findings are suppressed."]
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    flat = " ".join(text.split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")

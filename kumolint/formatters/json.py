"""The stable JSON contract (version 1), documented in the README."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kumolint.finding import Finding
from kumolint.formatters import Output
from kumolint.formatters._common import json_text

VERSION = 1


def render(output: Output) -> str:
    document: dict[str, Any] = {
        "version": VERSION,
        "tool": {"name": "kumolint", "version": output.tool_version},
        "findings": [finding_to_dict(f) for f in output.findings],
        "summary": {
            "files_scanned": output.files_scanned,
            "files_skipped": len(output.skipped),
            "skipped": [{"path": s.path, "reason": s.reason} for s in output.skipped],
            "findings": len(output.findings),
            "by_severity": dict(
                sorted(Counter(f.severity.value for f in output.findings).items())
            ),
        },
    }
    if output.suppressed:
        document["suppressed"] = [finding_to_dict(f) for f in output.suppressed]
    return json_text(document)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    span = finding.span
    entry: dict[str, Any] = {
        "rule": finding.rule_id,
        "name": finding.name,
        "severity": finding.severity.value,
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line if span.end_line is not None else span.line,
        "end_column": span.end_column if span.end_column is not None else span.column,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "related": [
            {
                "path": r.span.path,
                "line": r.span.line,
                "column": r.span.column,
                "message": r.message,
            }
            for r in finding.related
        ],
        "commit": finding.commit,
    }
    if finding.suppression is not None:
        entry["suppression"] = {
            "kind": finding.suppression.kind,
            "reason": finding.suppression.reason,
        }
    return entry

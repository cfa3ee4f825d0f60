"""GitLab Code Quality JSON (the `codequality` report artifact of a merge request).

GitLab merges issues with equal fingerprints, so repeats of one content fingerprint are
numbered; suppressed findings are left out (the report has no notion of them).
"""

from __future__ import annotations

from typing import Any

from kumolint.finding import Severity
from kumolint.formatters import Output
from kumolint.formatters._common import json_text, unique_fingerprints

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.NOTE: "minor"}


def render(output: Output) -> str:
    issues: list[dict[str, Any]] = []
    for finding, fingerprint in unique_fingerprints(output.findings):
        span = finding.span
        rule = output.rules.get(finding.rule_id)
        issues.append(
            {
                "type": "issue",
                "check_name": f"{finding.rule_id} {rule.name}" if rule else finding.rule_id,
                "description": f"{finding.rule_id} {finding.message}",
                "categories": ["Security"],
                "fingerprint": f"{finding.rule_id}-{fingerprint}",
                "severity": _SEVERITY[finding.severity],
                "location": {
                    "path": span.path,
                    "lines": {
                        "begin": span.line,
                        "end": span.end_line if span.end_line is not None else span.line,
                    },
                },
            }
        )
    return json_text(issues)

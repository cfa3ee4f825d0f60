"""SARIF 2.1.0 for code-scanning uploads (GitHub `upload-sarif`, Azure DevOps, IDE viewers).

Every rule of the run is described in `tool.driver.rules` (its documentation page is the
`help`); results carry the content fingerprint in `partialFingerprints`, so an alert keeps
its identity when lines move. Suppressed findings are kept as results with `suppressions`,
which code scanning shows as dismissed. No snippet is ever written: a region is a position.
"""

from __future__ import annotations

from typing import Any

from kumolint import docs
from kumolint.finding import Finding, Span
from kumolint.formatters import Output
from kumolint.formatters._common import json_text, path_uri, unique_fingerprints
from kumolint.registry import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kumolint/kumolint"
FINGERPRINT_KEY = "kumolint/v1"
SRCROOT = "%SRCROOT%"
_SUPPRESSION_KINDS = {"in-source": "inSource", "external": "external"}


def render(output: Output) -> str:
    findings = sorted((*output.findings, *output.suppressed))
    rule_ids = sorted(set(output.rules) | {f.rule_id for f in findings})
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kumolint",
                "version": output.tool_version,
                "semanticVersion": output.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule_id, output.rules.get(rule_id)) for rule_id in rule_ids],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(finding, print_, index[finding.rule_id])
            for finding, print_ in unique_fingerprints(findings)
        ],
    }
    if output.skipped:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "note",
                        "message": {"text": f"not linted: {skipped.reason}"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": _artifact(skipped.path)}}
                        ],
                    }
                    for skipped in output.skipped
                ],
            }
        ]
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json_text(document)


def _descriptor(rule_id: str, rule: Rule | None) -> dict[str, Any]:
    if rule is None:  # a finding of a rule this build does not know (kept, never dropped)
        return {"id": rule_id, "shortDescription": {"text": rule_id}}
    why = docs.sections(rule.doc).get("Why is this bad?", "") or rule.summary
    page = docs.to_markdown(rule)
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(why.split())},
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"tags": ["kumolint", rule.name]},
    }


def _result(finding: Finding, fingerprint: str, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.span)}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.related:
        result["relatedLocations"] = [
            {"id": number, "physicalLocation": _physical(r.span), "message": {"text": r.message}}
            for number, r in enumerate(finding.related, start=1)
        ]
    if finding.commit:
        result["properties"] = {"commit": finding.commit}
    if finding.suppression is not None:
        suppression: dict[str, Any] = {
            "kind": _SUPPRESSION_KINDS.get(finding.suppression.kind, "external"),
            "status": "accepted",
        }
        if finding.suppression.reason:
            suppression["justification"] = finding.suppression.reason
        result["suppressions"] = [suppression]
    return result


def _physical(span: Span) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(span.line, 1), "startColumn": max(span.column, 1)}
    if span.end_line is not None and span.end_line >= region["startLine"]:
        region["endLine"] = span.end_line
        later = span.end_line > region["startLine"]
        if span.end_column is not None and (later or span.end_column >= region["startColumn"]):
            region["endColumn"] = max(span.end_column, 1)
    return {"artifactLocation": _artifact(span.path), "region": region}


def _artifact(path: str) -> dict[str, str]:
    return {"uri": path_uri(path), "uriBaseId": SRCROOT}

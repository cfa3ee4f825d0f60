"""JUnit XML: one failing testcase per finding, for CI systems that only read test reports.

A clean run is one passing testcase, so the report is never empty; suppressed findings (with
`--show-suppressed`) are skipped testcases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kumolint.finding import Finding
from kumolint.formatters import Output

# Characters XML 1.0 cannot carry at all (control bytes, lone surrogates from odd paths).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(output: Output) -> str:
    failures = len(output.findings)
    cases = [*output.findings, *output.suppressed]
    suites = ET.Element("testsuites", name="kumolint", tests="0", failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="kumolint",
        tests=str(max(len(cases), 1)),
        failures=str(failures),
        errors="0",
        skipped=str(len(output.suppressed)),
    )
    suites.set("tests", suite.get("tests", "0"))
    if not cases:
        ET.SubElement(suite, "testcase", classname="kumolint", name="no findings")
    for finding in cases:
        _case(suite, finding, output)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _case(suite: ET.Element, finding: Finding, output: Output) -> None:
    rule = output.rules.get(finding.rule_id)
    title = f"{finding.rule_id} {rule.name}" if rule else finding.rule_id
    span = finding.span
    place = f"{span.path}:{span.line}:{span.column}"
    case = ET.SubElement(
        suite, "testcase", classname=_clean(span.path), name=_clean(f"{title} at {place}")
    )
    case.set("file", _clean(span.path))
    case.set("line", str(span.line))
    detail = [f"{place}: {finding.message}"]
    detail += [f"also at {r.span.path}:{r.span.line}: {r.message}" for r in finding.related]
    if finding.suppression is not None:
        reason = finding.suppression.reason or "no reason given"
        ET.SubElement(
            case, "skipped", message=_clean(f"suppressed ({finding.suppression.kind}): {reason}")
        )
        return
    failure = ET.SubElement(
        case,
        "failure",
        message=_clean(finding.message),
        type=f"{finding.rule_id} [{finding.severity.value}]",
    )
    failure.text = _clean("\n".join(detail))


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)

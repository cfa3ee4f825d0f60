from __future__ import annotations

import json

from kumolint.formatters import Output, gitlab
from tests.conftest import RULES
from tests.formatters._sample import sample_output


def test_code_quality_issues() -> None:
    output = sample_output()
    issues = json.loads(gitlab.render(output))
    assert len(issues) == len(output.findings)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    key = next(i for i in issues if i["location"]["path"] == "keys/dkim.key")
    assert key["severity"] == "critical"
    assert key["check_name"] == "KL106 private-key-committed"
    assert key["location"]["lines"] == {"begin": 1, "end": 3}
    prints = [i["fingerprint"] for i in issues]
    assert len(set(prints)) == len(prints)


def test_empty_report_is_an_empty_list() -> None:
    assert json.loads(gitlab.render(Output([], RULES))) == []

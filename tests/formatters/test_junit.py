from __future__ import annotations

import xml.etree.ElementTree as ET

from kumolint.formatters import Output, junit
from tests.conftest import RULES
from tests.formatters._sample import sample_output


def test_one_testcase_per_finding_parses_back() -> None:
    output = sample_output()
    root = ET.fromstring(junit.render(output))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(output.findings) + len(output.suppressed)
    assert suite.get("failures") == "3"
    assert suite.get("skipped") == "2"
    failing = [c for c in cases if c.find("failure") is not None]
    assert len(failing) == 3
    key = next(c for c in failing if c.get("classname") == "keys/dkim.key")
    assert key.get("name") == "KL106 private-key-committed at keys/dkim.key:1:1"
    failure = key.find("failure")
    assert failure is not None
    assert failure.get("type") == "KL106 [error]"
    assert failure.get("message") == "PRIVATE KEY block committed"
    skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    messages = {s.get("message") for s in skipped if s is not None}
    assert "suppressed (in-source): test key, never deployed" in messages


def test_odd_characters_still_make_well_formed_xml() -> None:
    root = ET.fromstring(junit.render(sample_output()))
    names = [c.get("classname") for c in root.iter("testcase")]
    assert "deploy/caf\ufffd, 50%:x.env" in names
    related = next(c.find("failure") for c in root.iter("testcase") if c.get("line") == "4")
    assert related is not None
    assert "also at policy/init.lua:9: read here" in (related.text or "")


def test_clean_run_is_one_passing_case() -> None:
    root = ET.fromstring(junit.render(Output([], RULES)))
    cases = list(root.iter("testcase"))
    assert [c.get("name") for c in cases] == ["no findings"]
    assert list(root.iter("failure")) == []

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from kumolint.formatters import Output, sarif
from tests.conftest import DATA, RULES, lint, write_tree
from tests.formatters._sample import ODD_PATH, sample_output

SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
KEY_BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(document)


def uri_of(result: dict[str, Any]) -> str:
    uri: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return uri


def test_sample_is_valid_against_the_official_schema() -> None:
    validate(json.loads(sarif.render(sample_output())))


def test_empty_run_is_valid() -> None:
    document = json.loads(sarif.render(Output([], RULES)))
    validate(document)
    assert document["runs"][0]["results"] == []


def test_schema_rejects_a_broken_document() -> None:
    document = json.loads(sarif.render(sample_output()))
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_every_rule_is_described_with_its_page() -> None:
    driver = json.loads(sarif.render(sample_output()))["runs"][0]["tool"]["driver"]
    described = {r["id"]: r for r in driver["rules"]}
    assert set(described) == set(RULES)
    kl106 = described["KL106"]
    assert kl106["name"] == "private-key-committed"
    assert kl106["defaultConfiguration"]["level"] == "error"
    assert kl106["help"]["markdown"].startswith("# KL106 private-key-committed")
    assert "readable by everyone" in kl106["fullDescription"]["text"]


def test_results_fingerprints_related_and_positions() -> None:
    run = json.loads(sarif.render(sample_output()))["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    prints = [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in results]
    assert len(set(prints)) == len(prints), "repeated content fingerprints are numbered"
    assert "b" * 20 in prints
    assert f"{'b' * 20}:2" in prints
    key = next(r for r in results if r["ruleId"] == "KL106" and "suppressions" not in r)
    region = key["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1, "endLine": 3, "endColumn": 26}
    related = next(r for r in results if "relatedLocations" in r)["relatedLocations"][0]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "policy/init.lua"
    assert related["message"]["text"] == "read here"


def test_odd_paths_become_percent_encoded_uris() -> None:
    results = json.loads(sarif.render(sample_output()))["runs"][0]["results"]
    uris = {uri_of(r) for r in results}
    expected = urllib.parse.quote(ODD_PATH.encode("utf-8", "surrogateescape"), safe="/")
    assert expected in uris
    assert "%E9" in expected


def test_suppressed_results_carry_suppressions() -> None:
    results = json.loads(sarif.render(sample_output()))["runs"][0]["results"]
    by_path = {uri_of(r): r for r in results}
    assert by_path["keys/old.key"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "test key, never deployed"}
    ]
    assert by_path["keys/legacy.key"]["suppressions"] == [
        {"kind": "external", "status": "accepted"}
    ]
    assert "suppressions" not in by_path["keys/dkim.key"]


def test_no_secret_reaches_the_sarif(tmp_path: Path) -> None:
    key = f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n"
    write_tree(tmp_path, {"keys/dkim.key": key})
    findings = lint(tmp_path)
    assert [f.rule_id for f in findings] == ["KL106"]
    text = sarif.render(Output(findings, RULES))
    validate(json.loads(text))
    assert KEY_BODY not in text
    assert KEY_BODY[:8] not in text

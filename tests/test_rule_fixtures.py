"""Each rule runs alone over tests/fixtures/<ID>/good and tests/fixtures/<ID>/bad.

Regenerate every expected.txt after a deliberate change with:
    KUMOLINT_UPDATE_FIXTURES=1 pytest tests/test_rule_fixtures.py
then review the diff like any other code change.
"""

from __future__ import annotations

import os

import pytest

from kumolint.formatters import Output, text
from tests.conftest import FIXTURES, RULES, lint


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_good_fixture_is_clean(rule_id: str) -> None:
    assert lint(FIXTURES / rule_id / "good", {rule_id: RULES[rule_id]}) == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_bad_fixture_matches_expected(rule_id: str) -> None:
    expected = FIXTURES / rule_id / "expected.txt"
    findings = lint(FIXTURES / rule_id / "bad", {rule_id: RULES[rule_id]})
    actual = text.render(Output(findings, RULES))
    if os.environ.get("KUMOLINT_UPDATE_FIXTURES"):
        expected.write_text(actual, encoding="utf-8")
    assert actual, f"{rule_id}: the bad fixture must produce findings"
    assert actual == expected.read_text(encoding="utf-8")

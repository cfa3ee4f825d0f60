"""Invariants of the rule catalogue as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from kumolint import docs
from kumolint.registry import Rule
from tests.conftest import FIXTURES, ROOT, RULES

REQUIRED_SECTIONS = {"Why is this bad?", "Example", "Use instead"}
CATALOGUE = ROOT / "rules"
ALL_RULES = [pytest.param(rule, id=rule.id) for rule in RULES.values()]
FAMILIES = {"0": "engine", "1": "env", "2": "policy", "3": "tokens", "4": "modes", "5": "dns"}


@pytest.mark.parametrize("rule", ALL_RULES)
def test_module_is_named_after_rule(rule: Rule) -> None:
    module = rule.check.__module__.rpartition(".")[2]
    assert module == f"{rule.id.lower()}_{rule.name.replace('-', '_')}"


@pytest.mark.parametrize("rule", ALL_RULES)
def test_docstring_has_required_sections(rule: Rule) -> None:
    assert docs.sections(rule.doc).keys() >= REQUIRED_SECTIONS
    assert rule.summary
    assert not rule.summary.endswith(" ")
    assert rule.id[2] in FAMILIES


@pytest.mark.parametrize("rule", ALL_RULES)
def test_catalogue_page_is_current(rule: Rule) -> None:
    page = CATALOGUE / f"{rule.id}.md"
    assert page.is_file(), "run: kumolint rules --markdown rules/"
    assert page.read_text(encoding="utf-8") == docs.to_markdown(rule), (
        "run: kumolint rules --markdown rules/"
    )


def test_catalogue_index_is_current() -> None:
    index = (CATALOGUE / "README.md").read_text(encoding="utf-8")
    assert index == docs.index_markdown(RULES), "run: kumolint rules --markdown rules/"
    pages = {p.stem for p in CATALOGUE.glob("KL*.md")}
    assert pages == set(RULES)


def test_every_rule_has_fixtures_and_no_fixture_is_orphaned() -> None:
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == set(RULES)
    for rule_id in RULES:
        assert {p.name for p in (FIXTURES / rule_id).iterdir()} == {"good", "bad", "expected.txt"}


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))


def test_module_docstrings_say_what_is_wrong_in_one_line() -> None:
    for rule in RULES.values():
        assert "\n" not in rule.summary
        assert Path(rule.check.__code__.co_filename).is_file()

"""Conformance of the SPF parser with the RFC 7208 test suite (tests/data/rfc7208-tests.yml).

The suite (BSD licence, tests/data/rfc7208-tests.LICENSE) evaluates full check_host() runs
against mock DNS. A static linter can judge the cases decided by the evaluated domain's own
record text: every "permerror" among them must be flagged, and every record of a case whose
result is not a permerror must parse cleanly. Cases whose permerror comes from other names
(includes, loops, limits, label checks after macro expansion) are not syntax-only; the
"two records at one name" cases are checked with the record set.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kumolint.facts.dns import DnsRecord
from kumolint.finding import Span
from kumolint.rules._spf import DnsView, evaluate, is_spf, parse_spf
from tests.conftest import DATA

# Their permerror needs other DNS names (or names after macro expansion), not the text.
NEEDS_OTHER_NAMES = frozenset(
    {
        "include-none",
        "include-permerror",
        "redirect-none",
        "redirect-loop",
        "include-loop",
        "mx-limit",
        "mech-over-limit",
        "include-over-limit",
        "void-over-limit",
        "invalid-domain-empty-label",
        "invalid-domain-long",
        "invalid-domain-long-via-macro",
    }
)
EXPECTED_REJECT = 63
EXPECTED_ACCEPT = 116
EXPECTED_MULTIPLE = 3


@dataclass(frozen=True)
class Case:
    scenario: str
    name: str
    records: tuple[str, ...]  # the SPF records at the evaluated domain
    results: tuple[str, ...]


def _texts(entries: list[Any], kind: str) -> list[str]:
    texts = []
    for entry in entries:
        if isinstance(entry, dict) and kind in entry:
            value = entry[kind]
            texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


def _cases() -> Iterator[Case]:
    with (DATA / "rfc7208-tests.yml").open(encoding="utf-8") as handle:
        scenarios = list(yaml.safe_load_all(handle))
    for scenario in scenarios:
        zone = {k.lower(): v for k, v in (scenario.get("zonedata") or {}).items()}
        for name, test in scenario["tests"].items():
            mailfrom = test.get("mailfrom") or ""
            domain = mailfrom.rsplit("@", 1)[-1] if mailfrom else test["helo"]
            entries = zone.get(domain.lower(), [])
            # The suite's drivers publish type SPF data as TXT too (outside "Selecting records").
            records = [t for t in _texts(entries, "TXT") if is_spf(t)] or [
                t for t in _texts(entries, "SPF") if is_spf(t)
            ]
            result = test["result"]
            results = tuple(result) if isinstance(result, list) else (result,)
            yield Case(scenario["description"], name, tuple(records), results)


CASES = list(_cases())
MUST_REJECT = [
    c
    for c in CASES
    if len(c.records) == 1 and c.results == ("permerror",) and c.name not in NEEDS_OTHER_NAMES
]
MUST_ACCEPT = [
    c
    for c in CASES
    if len(c.records) == 1 and "permerror" not in c.results and c.name not in NEEDS_OTHER_NAMES
]
MULTIPLE = [c for c in CASES if len(c.records) > 1]


def test_suite_has_the_expected_shape() -> None:
    assert len(CASES) == 203
    assert (len(MUST_REJECT), len(MUST_ACCEPT), len(MULTIPLE)) == (
        EXPECTED_REJECT,
        EXPECTED_ACCEPT,
        EXPECTED_MULTIPLE,
    )


@pytest.mark.parametrize("case", MUST_REJECT, ids=lambda c: c.name)
def test_syntax_permerror_is_flagged(case: Case) -> None:
    assert parse_spf(case.records[0]).problems, case.records[0]


@pytest.mark.parametrize("case", MUST_ACCEPT, ids=lambda c: c.name)
def test_valid_record_parses_cleanly(case: Case) -> None:
    assert parse_spf(case.records[0]).problems == (), case.records[0]


@pytest.mark.parametrize("case", MULTIPLE, ids=lambda c: c.name)
def test_two_spf_records_at_one_name_is_a_permerror(case: Case) -> None:
    owner = "checked.example."
    view = DnsView.of(
        DnsRecord(owner, "TXT", text, Span("zone"), txt=text) for text in case.records
    )
    result = evaluate(ipaddress.ip_address("192.0.2.1"), owner, view).result
    # identical records may be merged by resolvers, so the suite also accepts their result
    expected = ("permerror",) if len(set(case.records)) > 1 else case.results
    assert result in expected


def test_conformance_summary(capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    rejected = sum(1 for c in MUST_REJECT if parse_spf(c.records[0]).problems)
    accepted = sum(1 for c in MUST_ACCEPT if not parse_spf(c.records[0]).problems)
    summary = (
        f"RFC 7208 suite: {rejected}/{len(MUST_REJECT)} syntax permerrors flagged, "
        f"{accepted}/{len(MUST_ACCEPT)} valid records accepted"
    )
    record_property("rfc7208", summary)
    with capsys.disabled():
        print(f"\n{summary}")
    assert (rejected, accepted) == (EXPECTED_REJECT, EXPECTED_ACCEPT)

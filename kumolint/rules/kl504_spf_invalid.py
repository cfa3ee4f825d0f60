"""An SPF record is invalid, or authorizes everyone.

## Why is this bad?
Receivers treat a broken SPF record as a permanent error ("permerror"): SPF fails for every
message, and DMARC with it unless DKIM aligns. The record text alone shows most causes: a
syntax error or an unknown mechanism, a duplicate `redirect=` or `exp=`, two `v=spf1`
records at one name, more than 10 DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`,
`redirect`, counted through the includes the repo resolves), and strings split so that two
terms run together (`"v=spf1 ip4:192.0.2.1" "-all"` joins to `ip4:192.0.2.1-all`: strings
are joined without a space). A TXT record that starts with `v=spf1` but has no space after
it (`v=spf1-all`, from unquoted zone file tokens) is not SPF at all. `+all` and `?all`
(and `ip4:0.0.0.0/0`) are valid but let anyone pass, which makes the record pointless. A
record of the obsolete type SPF (99) is ignored by receivers.

## Example
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.12" "-all"
```

## Use instead
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.12 " "-all"
```

## References
- RFC 7208 section 4.5 (selecting records), 4.6 (terms, limits), 6 (modifiers), 12 (ABNF)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.dns import DnsRecord
from kumolint.finding import Related, Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._spf import (
    LOOKUP_LIMIT,
    DnsView,
    count_lookups,
    is_spf,
    parse_spf,
    repo_records,
    spf_records,
)


@rule(id="KL504", name="spf-invalid", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    records = repo_records(model)
    view = DnsView.of(records)
    for record in records:
        if not record.exact or record.txt is None:
            continue
        owner = record.owner_fqdn.rstrip(".")
        if record.type == "SPF" and is_spf(record.txt):
            yield Report(
                record.span,
                f"SPF record of {owner} uses the obsolete type SPF, which receivers ignore",
                key=f"{owner} type",
            )
        elif record.type == "TXT" and not is_spf(record.txt):
            if record.txt[:6].lower() == "v=spf1":
                yield Report(
                    record.span,
                    f"TXT record of {owner} starts with v=spf1 but is not an SPF record "
                    "(v=spf1 must be followed by a space)",
                    key=f"{owner} version",
                )
        elif record.type == "TXT":
            yield from _judge(record, owner, view)
    yield from _duplicates(list(spf_records(records)))


def _judge(record: DnsRecord, owner: str, view: DnsView) -> Iterator[Report]:
    parsed = parse_spf(record.txt or "")
    for problem in parsed.problems:
        yield Report(
            record.span,
            f"SPF record of {owner}: {problem.message} in {problem.term!r}",
            key=f"{owner} {problem.term}",
        )
    if parsed.problems:
        return
    lookups = count_lookups(parsed.text, view)
    if lookups > LOOKUP_LIMIT:
        yield Report(
            record.span,
            f"SPF record of {owner} needs {lookups} DNS lookups (the limit is {LOOKUP_LIMIT})",
            key=f"{owner} lookups",
        )
    for term in parsed.mechanisms:
        everyone = term.name == "all" and term.qualifier in "+?"
        everyone |= term.network is not None and term.network.prefixlen == 0
        if everyone:
            yield Report(
                record.span,
                f"SPF record of {owner} lets every address pass with {term.text}",
                key=f"{owner} {term.text}",
            )


def _duplicates(records: list[DnsRecord]) -> Iterator[Report]:
    """Two v=spf1 records at one name in one file: receivers return permerror."""
    first: dict[tuple[str, str], DnsRecord] = {}
    for record in records:
        place = (record.span.path, record.owner_fqdn)
        if place not in first:
            first[place] = record
        elif record.txt != first[place].txt:
            owner = record.owner_fqdn.rstrip(".")
            yield Report(
                record.span,
                f"second v=spf1 record at {owner}: receivers return permerror",
                key=f"{owner} duplicate",
                related=(Related(first[place].span, "the first v=spf1 record"),),
            )

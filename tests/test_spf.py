"""The static SPF evaluator, IP discovery and the KL5xx rules over small repos."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from kumolint.config import Config
from kumolint.facts.dns import DnsRecord, MtaHost
from kumolint.facts.env import EnvAssignment
from kumolint.facts.lua import EgressSource, Source
from kumolint.finding import Severity, Span
from kumolint.model import RepoFile, RepoModel, Value
from kumolint.rules._ips import egress_ips, mta_ips, proxy_in_use
from kumolint.rules._spf import (
    DnsView,
    count_lookups,
    domain_spec_problem,
    evaluate,
    is_spf,
    parse_spf,
)
from tests.conftest import RULES, lint, write_tree

IP = ipaddress.ip_address


def view(records: dict[str, list[tuple[str, str]]]) -> DnsView:
    facts = []
    for owner, entries in records.items():
        for rtype, data in entries:
            txt = data if rtype == "TXT" else None
            facts.append(DnsRecord(owner, rtype, data, Span("dns/x.zone"), txt=txt))
    return DnsView.of(facts)


# --- parsing ----------------------------------------------------------------------------


def test_terms_qualifiers_and_networks() -> None:
    record = parse_spf("v=spf1 -ip4:203.0.113.20/24 ~a:mail.example.com/28//64 mx ?all")
    assert record.problems == ()
    assert [(t.name, t.qualifier, t.offset) for t in record.terms] == [
        ("ip4", "-", 7),
        ("a", "~", 28),
        ("mx", "+", 55),
        ("all", "?", 58),
    ]
    assert record.terms[0].network == ipaddress.ip_network("203.0.113.0/24")
    assert (record.terms[1].domain, record.terms[1].cidr4, record.terms[1].cidr6) == (
        "mail.example.com",
        28,
        64,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    (
        ("v=spf1 ip4:192.0.2", "dotted-quad"),
        ("v=spf1 ip4:192.0.2.1/33", "out of range"),
        ("v=spf1 ip4:192.0.2.1/024", "bad cidr length"),
        ("v=spf1 ip4:192.0.02.1", "dotted-quad"),
        ("v=spf1 ip6:2001:db8::1/129", "out of range"),
        ("v=spf1 ip6:192.0.2.1", "not an IPv6"),
        ("v=spf1 foo:bar", "unknown mechanism"),
        ("v=spf1 redirect=a.example.com redirect=b.example.com", "more than once"),
        ("v=spf1 a:museum", "top-level label"),
        ("v=spf1 include:%{x}.example.com", "unknown macro letter"),
        ("v=spf1 exists:%{r}.example.com", "only in explanation"),
        ("v=spf1 all:x", "no argument"),
        ("v=spf1 ip4:192.0.2.1-all", "dotted-quad"),
    ),
)
def test_syntax_problems(text: str, problem: str) -> None:
    problems = parse_spf(text).problems
    assert problems, text
    assert problem in problems[0].message


@pytest.mark.parametrize(
    "text",
    (
        "v=spf1 foo=bar -all",
        "V=SPF1 IP4:192.0.2.1 -ALL",
        "v=spf1 ip4:203.0.113.20/24 -all",
        "v=spf1 ip6:::ffff:192.0.2.1 -all",
        "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 a/24//64 mx:example.com/28 -all",
        "v=spf1 -all  ",
    ),
)
def test_valid_records(text: str) -> None:
    assert parse_spf(text).problems == ()


def test_version_selection() -> None:
    assert is_spf("v=spf1")
    assert is_spf("v=spf1 -all")
    assert is_spf("V=SPF1 -all")
    assert not is_spf("v=spf10 -all")
    assert not is_spf("v=spf1-all")
    assert not is_spf(" v=spf1")


def test_domain_spec() -> None:
    assert domain_spec_problem("example.com") is None
    assert domain_spec_problem("example.com.") is None
    assert domain_spec_problem("%{d}") is None
    assert domain_spec_problem("example.1") is not None
    assert domain_spec_problem("") is not None


# --- evaluation -------------------------------------------------------------------------


def test_host_bits_set_still_cover() -> None:
    dns = view({"example.com.": [("TXT", "v=spf1 ip4:203.0.113.20/24 -all")]})
    assert evaluate(IP("203.0.113.7"), "example.com", dns).result == "pass"
    assert evaluate(IP("203.0.114.7"), "example.com", dns).result == "fail"


def test_first_matching_term_wins() -> None:
    dns = view({"example.com.": [("TXT", "v=spf1 -ip4:203.0.113.20 ip4:203.0.113.0/24 -all")]})
    result = evaluate(IP("203.0.113.20"), "example.com", dns)
    assert (result.result, result.term.text if result.term else None) == (
        "fail",
        "-ip4:203.0.113.20",
    )
    assert evaluate(IP("203.0.113.21"), "example.com", dns).result == "pass"


def test_softfail_is_not_a_pass_and_no_match_is_neutral() -> None:
    dns = view(
        {
            "a.example.": [("TXT", "v=spf1 ip4:192.0.2.1 ~all")],
            "b.example.": [("TXT", "v=spf1 ip4:192.0.2.1")],
        }
    )
    assert evaluate(IP("192.0.2.9"), "a.example", dns).result == "softfail"
    assert evaluate(IP("192.0.2.9"), "b.example", dns).result == "neutral"


def test_a_and_mx_through_repo_records() -> None:
    dns = view(
        {
            "example.com.": [
                ("TXT", "v=spf1 a:mail.example.com/24 mx -all"),
                ("MX", "10 mx.example.com."),
            ],
            "mail.example.com.": [("A", "198.51.100.7")],
            "mx.example.com.": [("A", "203.0.113.9")],
        }
    )
    assert evaluate(IP("198.51.100.200"), "example.com", dns).result == "pass"
    assert evaluate(IP("203.0.113.9"), "example.com", dns).result == "pass"
    assert evaluate(IP("203.0.113.10"), "example.com", dns).result == "fail"


def test_unresolvable_terms_are_indeterminate() -> None:
    dns = view({"example.com.": [("TXT", "v=spf1 include:_spf.google.com ip4:192.0.2.1 -all")]})
    result = evaluate(IP("192.0.2.1"), "example.com", dns)
    assert result.result == "indeterminate"
    assert result.term is not None
    assert result.term.text == "include:_spf.google.com"
    macro = view({"example.com.": [("TXT", "v=spf1 exists:%{i}.x.example.com -all")]})
    assert evaluate(IP("192.0.2.1"), "example.com", macro).result == "indeterminate"


def test_include_and_redirect_in_repo_and_loops() -> None:
    dns = view(
        {
            "example.com.": [("TXT", "v=spf1 include:_spf.example.com -all")],
            "_spf.example.com.": [("TXT", "v=spf1 ip4:192.0.2.0/28 -all")],
            "r.example.com.": [("TXT", "v=spf1 redirect=_spf.example.com")],
            "ignored.example.com.": [("TXT", "v=spf1 -all redirect=_spf.example.com")],
            "loop1.example.com.": [("TXT", "v=spf1 include:loop2.example.com -all")],
            "loop2.example.com.": [("TXT", "v=spf1 include:loop1.example.com -all")],
        }
    )
    assert evaluate(IP("192.0.2.5"), "example.com", dns).result == "pass"
    assert evaluate(IP("192.0.2.99"), "example.com", dns).result == "fail"
    assert evaluate(IP("192.0.2.5"), "r.example.com", dns).result == "pass"
    assert evaluate(IP("192.0.2.5"), "ignored.example.com", dns).result == "fail"
    assert evaluate(IP("192.0.2.5"), "loop1.example.com", dns).result == "permerror"


def test_lookup_count_follows_in_repo_includes() -> None:
    dns = view({"_spf.example.com.": [("TXT", "v=spf1 a mx include:x.example.net -all")]})
    text = "v=spf1 include:_spf.example.com ip4:192.0.2.1 exp=explain.example.com -all"
    assert count_lookups(text, dns) == 4
    assert count_lookups("v=spf1 -all redirect=x.example.com", dns) == 0


# --- IP discovery -----------------------------------------------------------------------


def _model(*facts: object, config: Config | None = None) -> RepoModel:
    return RepoModel.build(config or Config(), [RepoFile("x")], facts)


def _env(name: str, value: str, line: int = 1) -> EnvAssignment:
    span = Span("deploy/proxy.env", line, len(name) + 2)
    return EnvAssignment(name, Value(value), span, Span("deploy/proxy.env", line, 1), "dotenv")


def test_egress_ips_from_every_source_with_provenance() -> None:
    literal = Source("literal", Span("policy/init.lua", 3, 40), value=Value("45.33.20.13"))
    env_read = Source("env", Span("policy/init.lua", 9, 40), env_name="PROXY_SRC")
    model = _model(
        _env("KUMOPROXY_PUBLIC_IP", "45.33.20.12"),
        _env("PROXY_SRC", "45.33.20.14", 2),
        _env("KUMOPROXY_HOST", "45.33.20.99", 3),
        EgressSource(Span("policy/init.lua", 1, 1), socks5_proxy_source_address=literal),
        EgressSource(Span("policy/init.lua", 8, 1), socks5_proxy_source_address=env_read),
        config=Config(egress_ips=("45.33.21.0/31",)),
    )
    found = {(str(ip.address), ip.origin) for ip in egress_ips(model)}
    assert found == {
        ("45.33.21.0", "egress-ips in the config"),
        ("45.33.21.1", "egress-ips in the config"),
        ("45.33.20.12", "KUMOPROXY_PUBLIC_IP"),
        ("45.33.20.13", "socks5_proxy_source_address"),
        ("45.33.20.14", "socks5_proxy_source_address from PROXY_SRC"),
    }
    assert proxy_in_use(model)


def test_documentation_ips_in_repo_files_never_count() -> None:
    model = _model(
        _env("KUMOPROXY_PUBLIC_IP", "203.0.113.20"),
        MtaHost("mta1", "192.0.2.10", "kumomta", "mta", Span("inventory/hosts", 2, 19)),
    )
    assert egress_ips(model) == []
    assert mta_ips(model) == []
    assert not proxy_in_use(model)
    # the config is taken as given
    configured = _model(config=Config(egress_ips=("203.0.113.20",)))
    assert [str(ip.address) for ip in egress_ips(configured)] == ["203.0.113.20"]


def test_mta_ips_from_inventory_zone_and_direct_sources() -> None:
    direct = Source("literal", Span("policy/init.lua", 2, 20), value=Value("45.33.20.40"))
    model = _model(
        MtaHost("mta1.example.com", "10.0.0.4", "kumomta", "mta", Span("inventory/hosts", 2, 1)),
        MtaHost("proxy1", "45.33.20.50", "kumoproxy", "proxy", Span("inventory/hosts", 5, 1)),
        DnsRecord("mta1.example.com.", "A", "45.33.20.10", Span("dns/example.com.zone", 4)),
        EgressSource(Span("policy/init.lua", 1, 1), source_address=direct),
        config=Config(mta_ips=("45.33.20.9",)),
    )
    found = {(str(ip.address), ip.origin, ip.direct) for ip in mta_ips(model)}
    assert found == {
        ("45.33.20.9", "mta-ips in the config", False),
        ("10.0.0.4", "ansible_host of mta1.example.com", False),
        ("45.33.20.10", "A record of mta1.example.com.", False),
        ("45.33.20.40", "source_address", True),
    }


# --- rules over whole repos -------------------------------------------------------------


def _ids(root: Path, config: Config | None = None) -> list[tuple[str, str, int]]:
    rules = {k: v for k, v in RULES.items() if k.startswith("KL5") or k == "KL001"}
    return [(f.rule_id, f.span.path, f.span.line) for f in lint(root, rules, config)]


def test_missing_include_is_kl001_and_loop_terminates(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/example.com.zone": "$ORIGIN example.com.\n$INCLUDE missing.zone\n"
            '$INCLUDE db.loop\n@ IN TXT "v=spf1 -all"\n',
            "dns/db.loop": "$INCLUDE example.com.zone\nmta IN A 45.33.20.10\n",
        },
    )
    findings = lint(tmp_path, {"KL001": RULES["KL001"]})
    assert [(f.span.path, f.span.line, f.message) for f in findings] == [
        (
            "dns/example.com.zone",
            2,
            "zone file: $INCLUDE missing.zone is not a file in the repository",
        )
    ]


def test_included_records_take_the_includers_origin(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/example.com.zone": "$ORIGIN example.com.\n$INCLUDE spf.inc.db\n",
            "dns/spf.inc.db": '@ IN TXT "v=spf1 ip4:45.33.20.0/28 -all"\nmta IN A 45.33.20.10\n',
            "inventory/hosts": "[kumoproxy]\n"
            "p ansible_host=10.0.0.1 kumoproxy_public_ip=45.33.20.99\n",
        },
    )
    findings = lint(tmp_path, {"KL502": RULES["KL502"]})
    assert [(f.span.path, f.message) for f in findings] == [
        (
            "dns/spf.inc.db",
            "SPF record of example.com does not authorize egress IP 45.33.20.99 (-all gives fail)",
        )
    ]


def test_split_string_glue_is_judged_on_the_joined_text(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/example.com.zone": "$ORIGIN example.com.\n"
            '@ IN TXT "v=spf1 ip4:45.33.20.12" "-all"\n'
        },
    )
    assert _ids(tmp_path) == [("KL504", "dns/example.com.zone", 2)]


def test_unresolved_include_is_a_note(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/example.com.zone": "$ORIGIN example.com.\n"
            '@ IN TXT "v=spf1 include:_spf.example.net -all"\n'
        },
    )
    config = Config(egress_ips=("45.33.20.99",))
    findings = lint(tmp_path, {"KL502": RULES["KL502"]}, config)
    assert [(f.severity, "include:_spf.example.net" in f.message) for f in findings] == [
        (Severity.NOTE, True)
    ]


def test_every_format_feeds_the_same_rules(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/main.tf": 'resource "aws_route53_record" "spf" {\n  name = "example.com"\n'
            '  type = "TXT"\n  records = ["v=spf1 ip4:10.0.0.25 -all"]\n}\n',
            "dns/dnsconfig.js": 'D("example.org", REG,\n'
            '  TXT("@", "v=spf1 ip4:10.0.0.26 -all")\n)\n',
            "octodns/example.net.yaml": "'':\n  type: TXT\n  value: v=spf1 ip4:10.0.0.27 -all\n",
            "deploy/dns.yml": "- community.general.cloudflare_dns:\n    zone: example.io\n"
            "    record: '@'\n    type: TXT\n    value: v=spf1 ip4:10.0.0.28 -all\n",
        },
    )
    assert sorted(_ids(tmp_path)) == [
        ("KL505", "deploy/dns.yml", 5),
        ("KL505", "dns/dnsconfig.js", 2),
        ("KL505", "dns/main.tf", 4),
        ("KL505", "octodns/example.net.yaml", 3),
    ]


def test_engine_runs_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("kumolint touched the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    write_tree(
        tmp_path,
        {
            "dns/example.com.zone": "$ORIGIN example.com.\n"
            '@ IN TXT "v=spf1 a mx include:x.example.net ptr exists:%{i}.y.example.net -all"\n'
            "mta IN A 45.33.20.10\n"
        },
    )
    config = Config(egress_ips=("45.33.20.99",), mta_ips=("45.33.20.10",))
    assert {rule for rule, _, _ in _ids(tmp_path, config)} == {"KL502"}


def test_include_of_an_inexact_record_blames_the_include() -> None:
    records = [
        DnsRecord(
            "example.com.",
            "TXT",
            "",
            Span("dns/x.zone"),
            txt="v=spf1 include:_spf.example.com -all",
        ),
        DnsRecord("_spf.example.com.", "TXT", "", Span("main.tf"), txt="", exact=False),
    ]
    result = evaluate(IP("192.0.2.1"), "example.com", DnsView.of(records))
    assert result.result == "indeterminate"
    assert result.term is not None
    assert result.term.text == "include:_spf.example.com"


def test_terraform_variables_of_the_module_are_filled_in(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "dns/variables.tf": 'variable "domain" {\n  default = "example.com"\n}\n'
            'variable "spf" {\n  default = ["v=spf1 ip4:10.0.0.25 -all", "v=spf1 -all"]\n}\n'
            'locals {\n  egress = "45.33.20.12"\n}\n',
            "dns/main.tf": 'resource "aws_route53_record" "spf" {\n'
            '  name    = var.domain\n  type    = "TXT"\n  records = var.spf\n}\n'
            'resource "aws_route53_record" "spf2" {\n'
            '  name    = "mail.${var.domain}"\n  type    = "TXT"\n'
            '  records = ["v=spf1 ip4:${local.egress} ip4:${var.unknown} -all"]\n}\n',
        },
    )
    # the list default gives two records at example.com: KL504 sees both, KL505 the private one
    assert sorted(_ids(tmp_path)) == [
        ("KL504", "dns/main.tf", 4),
        ("KL505", "dns/main.tf", 4),
    ]

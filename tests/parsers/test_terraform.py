from __future__ import annotations

import subprocess
import sys

import pytest

from kumolint.facts.dns import DnsRecord, TerraformValue
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers
from kumolint.parsers.terraform import parse
from kumolint.scan import parse_bytes

MAIN_TF = r"""resource "aws_route53_record" "spf" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "example.com"
  type    = "TXT"
  records = ["v=spf1 ip4:45.33.20.12 \"\"-all", var.extra_spf]
}

resource "cloudflare_zone" "main" {
  zone = "example.org"
}

resource "cloudflare_record" "spf" {
  zone_id = cloudflare_zone.main.id
  name    = "@"
  type    = "TXT"
  value   = "\"v=spf1 include:%%{ir}.%%{v}.%%{d}.spf.example.net ~all\""
}

resource "cloudflare_dns_record" "mta" {
  zone_id = cloudflare_zone.main.id
  name    = "mta"
  type    = "A"
  content = "45.33.20.10"
}

resource "google_dns_record_set" "spf" {
  name    = "example.net."
  type    = "TXT"
  rrdatas = ["\"v=spf1\" \"include:_spf.google.com\" \"~all\"", "\"v=spf1 -all\""]
}

resource "azurerm_dns_txt_record" "spf" {
  name      = "@"
  zone_name = "example.io"
  record {
    value = "v=spf1 ip4:${var.egress_ip} -all"
  }
}
"""


def records(text: str) -> list[DnsRecord]:
    return [f for f in parse("dns/main.tf", text) if isinstance(f, DnsRecord)]


def test_every_provider_normalised_with_positions() -> None:
    found = records(MAIN_TF)
    summary = [(r.owner_fqdn, r.type, r.txt, r.exact, r.span.line, r.span.column) for r in found]
    assert summary == [
        ("example.com.", "TXT", "v=spf1 ip4:45.33.20.12 -all", True, 5, 14),
        ("example.com.", "TXT", "", False, 5, 49),
        (
            "example.org.",
            "TXT",
            "v=spf1 include:%{ir}.%{v}.%{d}.spf.example.net ~all",
            True,
            16,
            13,
        ),
        ("mta.example.org.", "A", None, True, 23, 13),
        ("example.net.", "TXT", "v=spf1include:_spf.google.com~all", True, 29, 14),
        ("example.net.", "TXT", "v=spf1 -all", True, 29, 65),
        ("example.io.", "TXT", "v=spf1 ip4:${...} -all", False, 36, 13),
    ]
    assert found[0].strings == ("v=spf1 ip4:45.33.20.12 ", "-all")
    assert found[3].rdata_text == "45.33.20.10"
    assert found[0].span == Span("dns/main.tf", 5, 14, 5, 48)


def test_unquoted_google_rrdata_is_split_on_spaces() -> None:
    text = (
        'resource "google_dns_record_set" "x" {\n  name = "example.net."\n  type = "TXT"\n'
        '  rrdatas = ["v=spf1 ip4:45.33.20.12 -all"]\n}\n'
    )
    (record,) = records(text)
    assert record.strings == ("v=spf1", "ip4:45.33.20.12", "-all")
    assert record.txt == "v=spf1ip4:45.33.20.12-all"


def test_heredoc_value() -> None:
    text = (
        'resource "cloudflare_record" "x" {\n  name = "example.com"\n  type = "TXT"\n'
        "  content = <<-EOT\n    v=spf1 -all\n    EOT\n}\n"
    )
    (record,) = records(text)
    assert (record.txt, record.exact, record.span.line) == ("v=spf1 -all", True, 4)


def test_file_without_dns_resources_is_not_parsed() -> None:
    assert list(parse("infra/main.tf", 'resource "aws_instance" "x" {\n  ami = "a"\n')) == []


def test_syntax_error_has_a_position() -> None:
    facts = list(parse("dns/main.tf", 'resource "aws_route53_record" "x" {\n  name = \n'))
    assert len(facts) == 1
    assert isinstance(facts[0], ParseError)
    assert facts[0].span.line == 2


def test_works_when_hcl2_cannot_write_its_grammar_cache() -> None:
    """A read-only install: python-hcl2 must still parse (it only loses its cache)."""
    script = (
        "import hcl2.parser, pathlib\n"
        "hcl2.parser.PARSER_FILE = pathlib.Path('/nonexistent-dir/lark_cache.bin')\n"
        "from kumolint.parsers.terraform import parse\n"
        'text = \'resource "aws_route53_record" "x" {\\n type = "TXT"\\n'
        ' records = ["v=spf1 -all"]\\n}\\n\'\n'
        "print(len(list(parse('dns/main.tf', text))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


@pytest.mark.parametrize(
    "data",
    (
        b"",
        b'\xff resource "aws_route53_record" "x" {}\n',
        b'\xef\xbb\xbfresource "aws_route53_record" "x" {\n type = "TXT"\n}\n',
        b'resource "aws_route53_record" "x" {\r\n type = "TXT"\r\n}\r\n',
        b'resource "aws_route53_record" "x" {\0}\n',
        b'resource "aws_route53_record" "x" {\n' + b"  # padding\n" * 100_000 + b"}\n",
        b'resource "aws_route53_record" "x" { name = "' + b"a" * 1_000_000 + b'" }\n',
        b'resource "aws_route53_record" "x" {\n  records = ["v=spf1',
    ),
    ids=("empty", "utf8", "bom", "crlf", "nul", "huge", "long-line", "truncated"),
)
def test_bad_input_never_raises(data: bytes) -> None:
    parser = load_parsers()["terraform"]
    result = parse_bytes("dns/main.tf", data, [parser], 50_000_000)
    assert result.internal_errors == []
    for fact in result.facts:
        if isinstance(fact, ParseError):
            assert fact.span.line >= 1


def test_module_values_and_reference_templates() -> None:
    variables = (
        'variable "egress_ip" {\n  type    = string\n  default = "45.33.20.12"\n}\n'
        'variable "records" {\n  default = ["a", "b"]\n}\n'
        'variable "computed" {\n  default = "${var.x}"\n}\n'
        'locals {\n  mta = "45.33.20.10"\n  nested = {\n    inner = "no"\n  }\n}\n'
    )
    found = [f for f in parse("dns/variables.tf", variables) if isinstance(f, TerraformValue)]
    assert [(v.directory, v.reference, v.values, v.is_list, v.span.line) for v in found] == [
        ("dns", "var.egress_ip", ("45.33.20.12",), False, 3),
        ("dns", "var.records", ("a", "b"), True, 6),
        ("dns", "local.mta", ("45.33.20.10",), False, 12),
    ]
    (record,) = records(
        'resource "aws_route53_record" "x" {\n  name = "mail.${var.domain}"\n  type = "TXT"\n'
        '  records = ["v=spf1 ip4:${local.egress} ${join(" ", var.y)} -all"]\n}\n'
    )
    assert record.exact is False
    assert record.owner_template == "mail.\0var.domain\0"
    assert record.template == "v=spf1 ip4:\0local.egress\0 \0?\0 -all"
    assert record.quoting == "route53"

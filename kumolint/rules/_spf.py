"""SPF (RFC 7208) for static use: parse a record's text, and evaluate an IP against the repo.

Written from the RFC's ABNF (section 12) and processing rules. Nothing here touches the
network: `a`, `mx`, `include` and `redirect` are resolved only against the DNS records the
repository declares (`DnsView`); anything else, and every macro, is "indeterminate".
"""

from __future__ import annotations

import dataclasses
import ipaddress
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kumolint.facts.dns import DnsRecord, TerraformValue, ZoneInclude
from kumolint.model import ParseError, RepoModel

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOKUP_LIMIT = 10
DNS_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
QUALIFIER_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}

_VERSION = re.compile(r"v=spf1(?: |$)", re.IGNORECASE)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)", re.DOTALL)
_MECHANISM = re.compile(r"([-+?~]?)([A-Za-z0-9]*)(.*)", re.DOTALL)
_MACRO = re.compile(r"%(?:\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}|[%_-])")
_MACRO_LETTERS = frozenset("slodiphcrtv")
_EXP_ONLY_LETTERS = frozenset("crt")
_TOPLABEL = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]", re.ASCII
)
_DUAL_CIDR = re.compile(r"(?:/(0|[1-9][0-9]?))?(?://(0|[1-9][0-9]{0,2}))?")
_IP4_CIDR = re.compile(r"(0|[1-9][0-9]?)")
_IP6_CIDR = re.compile(r"(0|[1-9][0-9]{0,2})")
_QNUM = re.compile(r"0|[1-9][0-9]{0,2}")


def is_spf(text: str) -> bool:
    """Does this TXT text select as an SPF record (RFC 7208 section 4.5)?"""
    return bool(_VERSION.match(text))


@dataclass(frozen=True, slots=True)
class Term:
    """One directive or modifier; `offset` is its 0-based position in the record text."""

    text: str
    offset: int
    name: str  # lower case: "ip4", "include", "redirect", "foo" (an unknown modifier)
    modifier: bool = False
    qualifier: str = "+"
    domain: str | None = None  # the domain-spec of a, mx, ptr, include, exists, redirect, exp
    network: IpNetwork | None = None
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def has_macro(self) -> bool:
        return self.domain is not None and "%" in self.domain

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_TERMS


@dataclass(frozen=True, slots=True)
class Problem:
    """A permerror visible in the record text."""

    message: str
    offset: int
    term: str = ""


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    terms: tuple[Term, ...]
    problems: tuple[Problem, ...]

    @property
    def mechanisms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.modifier)

    def modifier(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.modifier and t.name == name), None)

    @property
    def redirect(self) -> Term | None:
        """The redirect that applies: none when an `all` mechanism is present (section 6.1)."""
        if any(t.name == "all" for t in self.mechanisms):
            return None
        return self.modifier("redirect")

    @property
    def lookup_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.queries_dns)


def parse_spf(text: str) -> SpfRecord:
    """Parse an SPF record's text; every syntax permerror becomes a Problem."""
    if not is_spf(text):
        return SpfRecord(text, (), (Problem("does not start with v=spf1", 0, text[:8]),))
    terms: list[Term] = []
    problems: list[Problem] = []
    seen_modifiers: set[str] = set()
    for offset, word in _words(text):
        term, problem = _parse_term(word, offset)
        if problem is not None:
            problems.append(Problem(problem, offset, word))
            continue
        assert term is not None
        if term.modifier and term.name in ("redirect", "exp"):
            if term.name in seen_modifiers:
                problems.append(Problem(f"{term.name}= appears more than once", offset, word))
            seen_modifiers.add(term.name)
        terms.append(term)
    return SpfRecord(text, tuple(terms), tuple(problems))


def _words(text: str) -> Iterator[tuple[int, str]]:
    """Terms after the version, split on spaces (RFC 7208 allows only SP between terms)."""
    for match in re.finditer(r"[^ ]+", text):
        if match.start() == 0:
            continue  # the version
        yield match.start(), match.group()


def _parse_term(word: str, offset: int) -> tuple[Term | None, str | None]:
    bad = next((c for c in word if not 0x21 <= ord(c) <= 0x7E), None)
    if bad is not None:
        return None, f"character U+{ord(bad):04X} is not allowed"
    modifier = _MODIFIER.fullmatch(word)
    if modifier is not None:
        name, value = modifier[1].lower(), modifier[2]
        if name in ("redirect", "exp"):
            problem = domain_spec_problem(value)
        else:
            problem = _macro_string_problem(value)
        if problem is None:
            problem = _exp_only_macro(value)
        if problem is not None:
            return None, f"{name}=: {problem}"
        return Term(word, offset, name, modifier=True, domain=value), None
    mechanism = _MECHANISM.fullmatch(word)
    assert mechanism is not None  # the pattern matches any string
    qualifier, name, rest = mechanism[1] or "+", mechanism[2].lower(), mechanism[3]
    if name not in MECHANISMS:
        return None, f"unknown mechanism {mechanism[2] or word!r}"
    if name == "all":
        if rest:
            return None, "all takes no argument"
        return Term(word, offset, name, qualifier=qualifier), None
    if name in ("ip4", "ip6"):
        return _ip_term(word, offset, name, qualifier, rest)
    if name in ("include", "exists"):
        if not rest.startswith(":"):
            return None, f"{name} needs :domain"
        problem = domain_spec_problem(rest[1:]) or _exp_only_macro(rest[1:])
        if problem is not None:
            return None, f"{name}: {problem}"
        return Term(word, offset, name, qualifier=qualifier, domain=rest[1:]), None
    if name == "ptr":
        domain = None
        if rest:
            if not rest.startswith(":"):
                return None, "bad ptr syntax"
            domain = rest[1:]
            problem = domain_spec_problem(domain) or _exp_only_macro(domain)
            if problem is not None:
                return None, f"ptr: {problem}"
        return Term(word, offset, name, qualifier=qualifier, domain=domain), None
    return _a_or_mx_term(word, offset, name, qualifier, rest)


def _a_or_mx_term(
    word: str, offset: int, name: str, qualifier: str, rest: str
) -> tuple[Term | None, str | None]:
    """`a` / `mx` [":" domain-spec] [dual-cidr-length]; a domain-spec may itself hold "/"."""
    if rest and not rest.startswith((":", "/")):
        return None, f"unknown mechanism {word!r}"
    domain_part, cidr_part = ("", rest) if rest.startswith("/") else (rest, "")
    if domain_part:
        splits = [i for i, c in enumerate(domain_part) if c == "/"] + [len(domain_part)]
        for split in splits:
            candidate, suffix = domain_part[1:split], domain_part[split:]
            if domain_spec_problem(candidate) is None and _DUAL_CIDR.fullmatch(suffix):
                domain_part, cidr_part = domain_part[:split], suffix
                break
        else:
            return None, f"{name}: {domain_spec_problem(domain_part[1:]) or 'bad cidr length'}"
    cidr = _DUAL_CIDR.fullmatch(cidr_part)
    if cidr is None:
        return None, f"{name}: bad cidr length {cidr_part!r}"
    cidr4 = int(cidr[1]) if cidr[1] is not None else None
    cidr6 = int(cidr[2]) if cidr[2] is not None else None
    if (cidr4 is not None and cidr4 > 32) or (cidr6 is not None and cidr6 > 128):
        return None, f"{name}: cidr length out of range"
    spec = domain_part[1:] if domain_part else None
    if spec is not None:
        problem = _exp_only_macro(spec)
        if problem is not None:
            return None, f"{name}: {problem}"
    term = Term(word, offset, name, qualifier=qualifier, domain=spec, cidr4=cidr4, cidr6=cidr6)
    return term, None


def _ip_term(
    word: str, offset: int, name: str, qualifier: str, rest: str
) -> tuple[Term | None, str | None]:
    if not rest.startswith(":"):
        return None, f"{name} needs :address"
    address, slash, length = rest[1:].partition("/")
    version = 4 if name == "ip4" else 6
    if slash and not (_IP4_CIDR if version == 4 else _IP6_CIDR).fullmatch(length):
        return None, f"{name}: bad cidr length {length!r}"
    if slash and int(length) > (32 if version == 4 else 128):
        return None, f"{name}: cidr length {length} out of range"
    if version == 4 and not (
        address.count(".") == 3 and all(_QNUM.fullmatch(q) for q in address.split("."))
    ):
        return None, f"ip4: {address!r} is not a dotted-quad IPv4 address"
    if version == 6 and (not address or not re.fullmatch(r"[0-9A-Fa-f:.]+", address)):
        return None, f"ip6: {address!r} is not an IPv6 address"
    try:
        network = ipaddress.ip_network(f"{address}/{length}" if slash else address, strict=False)
    except ValueError:
        return None, f"{name}: {address!r} is not an IPv{version} address"
    if network.version != version:
        return None, f"{name}: {address!r} is not an IPv{version} address"
    return Term(word, offset, name, qualifier=qualifier, network=network), None


def _macro_string_problem(text: str) -> str | None:
    position = 0
    while position < len(text):
        if text[position] != "%":
            position += 1
            continue
        macro = _MACRO.match(text, position)
        if macro is None:
            return "bad macro (a literal % is written %%)"
        if macro[1] is not None and macro[1].lower() not in _MACRO_LETTERS:
            return f"unknown macro letter {macro[1]!r}"
        position = macro.end()
    return None


def _exp_only_macro(text: str) -> str | None:
    for macro in _MACRO.finditer(text):
        if macro[1] is not None and macro[1].lower() in _EXP_ONLY_LETTERS:
            return f"macro %{{{macro[1]}}} is allowed only in explanation text"
    return None


def domain_spec_problem(text: str) -> str | None:
    """Why `text` is not an RFC 7208 domain-spec (macro-string domain-end), or None."""
    if not text:
        return "empty domain"
    problem = _macro_string_problem(text)
    if problem is not None:
        return problem
    last_macro_end = max((m.end() for m in _MACRO.finditer(text)), default=0)
    if last_macro_end == len(text):
        return None  # ends with a macro-expand
    tail = text[last_macro_end:]
    tail = tail[:-1] if tail.endswith(".") else tail
    _, dot, toplabel = tail.rpartition(".")
    if not dot or not _TOPLABEL.fullmatch(toplabel):
        return f"{text!r} does not end in a valid top-level label"
    return None


# --- static evaluation against the repo's DNS data ------------------------------------------


def normalise_name(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


@dataclass
class DnsView:
    """The repo's records by owner, for resolving `a`, `mx`, `include` and `redirect`."""

    records: dict[str, list[DnsRecord]] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[DnsRecord]) -> DnsView:
        view = cls()
        for record in records:
            view.records.setdefault(record.owner_fqdn, []).append(record)
        return view

    def spf_texts(self, name: str) -> list[str] | None:
        """The SPF TXT texts at `name`; None when one of its TXT records is not exact."""
        texts = []
        for record in self.records.get(normalise_name(name), ()):
            if record.type != "TXT":
                continue
            if not record.exact:
                return None
            if record.txt is not None and is_spf(record.txt) and record.txt not in texts:
                texts.append(record.txt)
        return texts

    def addresses(self, name: str) -> list[IpAddress]:
        found: list[IpAddress] = []
        for record in self.records.get(normalise_name(name), ()):
            if record.type in ("A", "AAAA") and record.exact:
                try:
                    found.append(ipaddress.ip_address(record.rdata_text.strip()))
                except ValueError:
                    continue
        return found

    def mx_hosts(self, name: str) -> list[str]:
        hosts = []
        for record in self.records.get(normalise_name(name), ()):
            if record.type == "MX" and record.exact:
                parts = record.rdata_text.split()
                if len(parts) == 2:
                    hosts.append(normalise_name(parts[1]))
        return hosts

    def ptr_names(self, address: IpAddress) -> list[str]:
        owner = address.reverse_pointer + "."
        return [
            normalise_name(r.rdata_text)
            for r in self.records.get(owner, ())
            if r.type == "PTR" and r.exact
        ]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """`result` is an RFC 7208 result, or "indeterminate" when the repo does not say.

    `term` decided the result (for indeterminate: the term that could not be resolved),
    `domain` is the owner whose record held that term.
    """

    result: str
    term: Term | None = None
    domain: str = ""
    reason: str = ""


def evaluate(ip: IpAddress, domain: str, view: DnsView, text: str | None = None) -> Evaluation:
    """check_host() for `ip` at `domain`, using only `view` (first matching term wins).

    With `text`, that record is evaluated at `domain` instead of the records `view` has there.
    """
    return _check_host(ip, normalise_name(domain), view, (), text)


def _check_host(
    ip: IpAddress, domain: str, view: DnsView, stack: tuple[str, ...], text: str | None = None
) -> Evaluation:
    if domain in stack:
        return Evaluation("permerror", domain=domain, reason="include/redirect loop")
    texts = [text] if text is not None else view.spf_texts(domain)
    if texts is None:
        return Evaluation("indeterminate", domain=domain, reason="record text not known")
    if not texts:
        return Evaluation("none", domain=domain)
    if len(texts) > 1:
        return Evaluation("permerror", domain=domain, reason="more than one v=spf1 record")
    record = parse_spf(texts[0])
    if record.problems:
        return Evaluation("permerror", domain=domain, reason=record.problems[0].message)
    stack = (*stack, domain)
    for term in record.mechanisms:
        matched = _matches(term, ip, domain, view, stack)
        if isinstance(matched, Evaluation):
            return matched
        if matched:
            return Evaluation(QUALIFIER_RESULTS[term.qualifier], term, domain)
    redirect = record.redirect
    if redirect is None:
        return Evaluation("neutral", domain=domain)
    if redirect.has_macro or redirect.domain is None:
        return Evaluation("indeterminate", redirect, domain, "redirect target uses macros")
    target = normalise_name(redirect.domain)
    result = _check_host(ip, target, view, stack)
    if result.result == "none":
        if target not in view.records:
            return Evaluation("indeterminate", redirect, domain, f"{target} is not in the repo")
        return Evaluation("permerror", redirect, domain, f"{target} has no SPF record")
    return result


def _matches(
    term: Term, ip: IpAddress, domain: str, view: DnsView, stack: tuple[str, ...]
) -> bool | Evaluation:
    """True/False, or an Evaluation that ends the walk (indeterminate or an error)."""
    if term.name == "all":
        return True
    if term.network is not None:
        return ip.version == term.network.version and ip in term.network
    if term.has_macro or term.name in ("ptr", "exists"):
        return Evaluation("indeterminate", term, domain, "needs live DNS or macro expansion")
    target = normalise_name(term.domain) if term.domain else domain
    if term.name == "include":
        result = _check_host(ip, target, view, stack)
        if result.result == "pass":
            return True
        if result.result in ("fail", "softfail", "neutral"):
            return False
        if result.result == "none":
            if target not in view.records:
                return Evaluation("indeterminate", term, domain, f"{target} is not in the repo")
            return Evaluation("permerror", term, domain, f"{target} has no SPF record")
        if result.term is None:  # decided at the included name itself: blame the include
            return Evaluation(result.result, term, domain, result.reason)
        return result
    hosts = [target] if term.name == "a" else view.mx_hosts(target)
    addresses = [a for host in hosts for a in view.addresses(host)]
    if not addresses:
        return Evaluation("indeterminate", term, domain, f"no address for {target} in the repo")
    length = term.cidr4 if ip.version == 4 else term.cidr6
    for address in addresses:
        if address.version != ip.version:
            continue
        prefix = length if length is not None else address.max_prefixlen
        network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
        if ip in network:
            return True
    return False


def count_lookups(text: str, view: DnsView, stack: tuple[str, ...] = ()) -> int:
    """DNS-querying terms, following includes and redirects the repo resolves (a lower bound)."""
    record = parse_spf(text)
    total = 0
    for term in record.lookup_terms:
        total += 1
        if term.name not in ("include", "redirect") or term.has_macro or term.domain is None:
            continue
        if term.name == "redirect" and record.redirect is None:
            total -= 1  # ignored next to `all`, never queried
            continue
        target = normalise_name(term.domain)
        texts = view.spf_texts(target)
        if target in stack or not texts or len(texts) != 1:
            continue
        total += count_lookups(texts[0], view, (*stack, target))
    return total


# --- the repo's DNS data, with $INCLUDEs resolved -------------------------------------------


def resolve_include(include: ZoneInclude, files: Iterable[str]) -> str | None:
    """The repo file an `$INCLUDE` names: beside the including file, else from the repo root.

    An absolute name (`/etc/bind/db.common`) matches the repo file it ends with. Nothing
    outside the repository is ever considered.
    """
    paths = set(files)
    name = include.filename
    if name.startswith("/"):
        matches = [p for p in paths if name.endswith("/" + p)]
        return max(matches, key=len) if matches else None
    directory = posixpath.dirname(include.span.path)
    for candidate in (posixpath.join(directory, name), name):
        normal = posixpath.normpath(candidate)
        if not normal.startswith("../") and normal in paths:
            return normal
    return None


def include_errors(model: RepoModel) -> Iterator[ParseError]:
    """A ParseError (KL001) for every `$INCLUDE` of a file that is not in the repository."""
    for include in model.of(ZoneInclude):
        if resolve_include(include, model.files) is None:
            yield ParseError(
                f"zone file: $INCLUDE {include.filename} is not a file in the repository",
                include.span,
            )


def repo_records(model: RepoModel) -> list[DnsRecord]:
    """Every DnsRecord, with the records of `$INCLUDE`d files re-rooted at the includer's origin.

    Only one level is applied; a chain or loop of includes simply stops there.
    """
    origins: dict[str, str] = {}
    for include in model.of(ZoneInclude):
        target = resolve_include(include, model.files)
        if target is not None and include.origin is not None and target != include.span.path:
            origins.setdefault(target, include.origin)
    values = {(v.directory, v.reference): v for v in model.of(TerraformValue)}
    records = []
    for record in model.of(DnsRecord):
        origin = origins.get(record.span.path)
        if origin is not None and record.relative_owner is not None:
            owner = origin if record.relative_owner == "@" else f"{record.relative_owner}.{origin}"
            record = dataclasses.replace(record, owner_fqdn=owner)
        if record.source == "terraform" and not record.exact:
            records.extend(_resolve_terraform(record, values))
        else:
            records.append(record)
    return records


_REFERENCE = re.compile("\0([^\0]*)\0")


def _resolve_terraform(
    record: DnsRecord, values: dict[tuple[str, str], TerraformValue]
) -> list[DnsRecord]:
    """Fill `var.x` / `local.x` from the module's literal defaults; one record per list item.

    Anything not filled keeps the record inexact, as the parser left it.
    """
    from kumolint.parsers.terraform import with_txt

    directory = posixpath.dirname(record.span.path)
    owners = _fill(record.owner_template, directory, values) if record.owner_template else None
    if record.owner_template is not None and (owners is None or len(owners) != 1):
        return [record]
    texts = _fill(record.template, directory, values) if record.template else None
    if record.template is not None and texts is None:
        return [record]
    owner = normalise_name(owners[0]) if owners else record.owner_fqdn
    resolved = []
    for text in texts if texts is not None else [None]:
        filled = dataclasses.replace(record, owner_fqdn=owner, exact=True)
        if text is not None and record.type in ("TXT", "SPF"):
            filled = with_txt(filled, text)
        elif text is not None:
            filled = dataclasses.replace(filled, rdata_text=text.strip())
        resolved.append(filled)
    return resolved


def _fill(
    template: str, directory: str, values: dict[tuple[str, str], TerraformValue]
) -> list[str] | None:
    references = _REFERENCE.findall(template)
    found = [values.get((directory, reference)) for reference in references]
    if not references or any(value is None for value in found):
        return None
    if len(found) == 1 and _REFERENCE.fullmatch(template) and found[0] is not None:
        return list(found[0].values)  # the whole value: a list becomes several records
    text = template
    for reference, value in zip(references, found, strict=True):
        if value is None or value.is_list:
            return None
        text = text.replace(f"\0{reference}\0", value.values[0])
    return [text]


def spf_records(records: Iterable[DnsRecord]) -> Iterator[DnsRecord]:
    """TXT records whose text selects as SPF and is known exactly."""
    for record in records:
        if record.type == "TXT" and record.exact and record.txt is not None and is_spf(record.txt):
            yield record


def sending_records(records: list[DnsRecord]) -> Iterator[DnsRecord]:
    """SPF records of sending domains: they authorize something and no in-repo SPF record
    includes or redirects to them (an included record is one part of another's list)."""
    spf = list(spf_records(records))
    referenced = {
        normalise_name(term.domain)
        for record in spf
        for term in parse_spf(record.txt or "").terms
        if term.name in ("include", "redirect") and term.domain and not term.has_macro
    }
    for record in spf:
        parsed = parse_spf(record.txt or "")
        if record.owner_fqdn in referenced or parsed.problems:
            continue
        if any(t.name != "all" or t.qualifier in "+?" for t in parsed.mechanisms) or (
            parsed.redirect is not None
        ):
            yield record


def evaluations(
    model: RepoModel, addresses: Iterable[IpAddress]
) -> Iterator[tuple[DnsRecord, str, IpAddress, Evaluation]]:
    """(record, owner without the trailing dot, address, result) for every SPF record of a
    sending domain in the repo and every address: what the KL50x rules judge."""
    wanted = list(addresses)
    records = repo_records(model)
    view = DnsView.of(records)
    for record in sending_records(records):
        owner = record.owner_fqdn.rstrip(".")
        for address in wanted:
            yield record, owner, address, evaluate(address, record.owner_fqdn, view, record.txt)

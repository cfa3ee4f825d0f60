"""Which IPs and names the deployment sends from, learned from the repo, with provenance.

Egress IPs (what recipients see when mail leaves through KumoProxy): `egress-ips` in the
config, the `egress-ip` env role (`KUMOPROXY_PUBLIC_IP`), `socks5_proxy_source_address` in
the policy, and inventory variables like `kumoproxy_public_ip`. MTA IPs (the KumoMTA host):
`mta-ips` in the config, `ansible_host` of inventory hosts named like kumomta/mta, the A
records of those hosts' names in the repo's zones, and the policy's `source_address` of a
source that does not use a proxy (that source sends directly, so its IP is "direct").
Documentation addresses (RFC 5737, RFC 3849) written in repo files are placeholders and
never count; the config is taken as given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kumolint.facts.dns import (
    EGRESS_VARIABLES,
    HELO_VARIABLES,
    DnsRecord,
    InventoryValue,
    MtaHost,
)
from kumolint.facts.env import EnvAssignment
from kumolint.facts.lua import EgressPath, EgressSource, Source
from kumolint.finding import Related, Span
from kumolint.model import RepoModel
from kumolint.rules._spf import IpAddress, normalise_name, repo_records
from kumolint.values import is_documentation_ip, is_placeholder


@dataclass(frozen=True, slots=True)
class KnownIp:
    address: IpAddress
    origin: str  # said in messages: "KUMOPROXY_PUBLIC_IP", "ansible_host of mta1" ...
    span: Span | None = None  # None for the config
    direct: bool = False  # an MTA IP a policy source sends from without a proxy

    def related(self, role: str) -> tuple[Related, ...]:
        """Where this IP was learnt, as the related location of a finding."""
        return (Related(self.span, f"{role} from {self.origin}"),) if self.span else ()


@dataclass(frozen=True, slots=True)
class KnownName:
    name: str  # lower case, with the trailing dot
    origin: str
    span: Span


def egress_ips(model: RepoModel) -> list[KnownIp]:
    found: list[KnownIp] = []
    for text in model.config.egress_ips:
        found.extend(_config_ips(text, "egress-ips in the config"))
    roles = set(model.config.role_names("egress-ip"))
    for assignment in model.of(EnvAssignment):
        if assignment.name in roles:
            found.extend(_repo_ip(assignment.value.text, assignment.name, assignment.span))
    for source in model.of(EgressSource):
        address = source.socks5_proxy_source_address
        if address is not None:
            found.extend(_from_source(model, address, "socks5_proxy_source_address"))
    for value in model.of(InventoryValue):
        if value.variable in EGRESS_VARIABLES:
            found.extend(_repo_ip(value.value, value.variable, value.span))
    return _unique(found)


def mta_ips(model: RepoModel) -> list[KnownIp]:
    found: list[KnownIp] = []
    for text in model.config.mta_ips:
        found.extend(_config_ips(text, "mta-ips in the config"))
    records = repo_records(model)
    for host in model.of(MtaHost):
        if host.role != "mta":
            continue
        found.extend(_repo_ip(host.address, f"ansible_host of {host.name}", host.span))
        for name in {host.name, host.address}:
            if "." in name and _as_ip(name) is None:
                found.extend(_a_records(records, name))
    for source in model.of(EgressSource):
        if source.socks5_proxy_server is None and source.source_address is not None:
            for ip in _from_source(model, source.source_address, "source_address"):
                found.append(KnownIp(ip.address, ip.origin, ip.span, direct=True))
    return _unique(found)


def proxy_in_use(model: RepoModel) -> bool:
    """Does mail leave through KumoProxy (a known egress IP, or a SOCKS5 source)?"""
    if egress_ips(model):
        return True
    return any(s.socks5_proxy_server is not None for s in model.of(EgressSource))


def helo_names(model: RepoModel) -> list[KnownName]:
    """HELO names: the `helo` env role (`KUMOPROXY_HELO`), `ehlo_domain`, inventory vars."""
    found: list[KnownName] = []
    roles = set(model.config.role_names("helo"))
    for assignment in model.of(EnvAssignment):
        if assignment.name in roles:
            found.extend(_name(assignment.value.text, assignment.name, assignment.span))
    ehlo_sources = [s.ehlo_domain for s in model.of(EgressSource)]
    ehlo_sources += [p.ehlo_domain for p in model.of(EgressPath)]
    for source in ehlo_sources:
        if source is not None and source.kind == "literal" and source.value is not None:
            found.extend(_name(source.value.text, "ehlo_domain", source.span))
    for value in model.of(InventoryValue):
        if value.variable in HELO_VARIABLES:
            found.extend(_name(value.value, value.variable, value.span))
    unique: dict[str, KnownName] = {}
    for name in found:
        unique.setdefault(name.name, name)
    return list(unique.values())


def _from_source(model: RepoModel, source: Source, key: str) -> Iterator[KnownIp]:
    if source.kind == "literal" and source.value is not None:
        yield from _repo_ip(source.value.text, key, source.span)
    elif source.kind == "env" and source.env_name:
        for assignment in model.of(EnvAssignment):
            if assignment.name == source.env_name:
                origin = f"{key} from {source.env_name}"
                yield from _repo_ip(assignment.value.text, origin, assignment.span)


def _a_records(records: Iterable[DnsRecord], name: str) -> Iterator[KnownIp]:
    owner = normalise_name(name)
    for record in records:
        if record.owner_fqdn == owner and record.type in ("A", "AAAA") and record.exact:
            yield from _repo_ip(record.rdata_text, f"{record.type} record of {owner}", record.span)


def _as_ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _repo_ip(text: str, origin: str, span: Span) -> Iterator[KnownIp]:
    address = _as_ip(text)
    if address is not None and not is_documentation_ip(str(address)):
        yield KnownIp(address, origin, span)


def _config_ips(text: str, origin: str) -> Iterator[KnownIp]:
    network = ipaddress.ip_network(text, strict=False)
    yield KnownIp(network.network_address, origin)
    if network.num_addresses > 1:
        yield KnownIp(network.broadcast_address, origin)


def _name(text: str, origin: str, span: Span) -> Iterator[KnownName]:
    name = text.strip().rstrip(".").lower()
    if name and "." in name and not is_placeholder(name) and _as_ip(name) is None:
        yield KnownName(name + ".", origin, span)


def _unique(found: list[KnownIp]) -> list[KnownIp]:
    unique: dict[IpAddress, KnownIp] = {}
    for ip in found:
        unique.setdefault(ip.address, ip)
    return list(unique.values())


def is_routable(ip: KnownIp) -> bool:
    """Can recipients see mail from this address? Private ones sit behind NAT or a cloud EIP.

    Documentation addresses reach here only from the config, which is taken as given.
    """
    return ip.address.is_global or is_documentation_ip(str(ip.address))

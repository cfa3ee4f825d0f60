"""An SPF record lists a private, loopback or reserved address.

## Why is this bad?
Mail from a private (RFC 1918), shared (CGNAT, 100.64.0.0/10), loopback, link-local or
otherwise reserved address never reaches a recipient directly: these terms can never match
and only cost bytes of the 255-byte strings and the UDP budget. Usually the record was
written from the host's own interface address (`socks5_proxy_source_address` on a cloud
instance is often the private side of a 1:1 NAT) instead of its public address, so the
real egress IP is probably missing too. Documentation addresses (RFC 5737, RFC 3849) are
taken as placeholders and not reported.

## Example
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:10.0.0.25/32 ip4:45.33.20.12 -all"
```

## Use instead
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.12 -all"
```

## References
- RFC 6890 (special-purpose IP address registries)
- RFC 1918 (private addresses), RFC 6598 (shared address space)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._spf import IpNetwork, parse_spf, repo_records, spf_records
from kumolint.values import is_documentation_ip

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")


@rule(id="KL505", name="spf-private-ip", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for record in spf_records(repo_records(model)):
        owner = record.owner_fqdn.rstrip(".")
        for term in parse_spf(record.txt or "").mechanisms:
            network = term.network
            if network is None or network.prefixlen == 0:
                continue
            kind = _special_kind(network)
            if kind is not None:
                yield Report(
                    record.span,
                    f"SPF record of {owner} lists {kind} address {term.text.lstrip('+-~?')}",
                    key=f"{owner} {network}",
                )


def _special_kind(network: IpNetwork) -> str | None:
    if is_documentation_ip(str(network.network_address)):
        return None
    checks = (
        ("loopback", network.is_loopback),
        ("link-local", network.is_link_local),
        ("multicast", network.is_multicast),
        ("unspecified", network.is_unspecified),
        ("private", network.is_private),
        ("reserved", network.is_reserved),
        (
            "shared (CGNAT)",
            isinstance(network, ipaddress.IPv4Network) and network.subnet_of(_SHARED),
        ),
        ("non-public", not network.is_global),
    )
    return next((kind for kind, matches in checks if matches), None)

"""The HELO name and the egress IP do not point at each other in the repo's zone data.

## Why is this bad?
Receivers check that the name KumoProxy says HELO/EHLO with resolves to the address the
mail comes from, and that the address's reverse DNS (PTR) names a host that resolves back
(forward-confirmed reverse DNS). A mismatch costs reputation and trips spam filters; many
large receivers reject mail from addresses without matching rDNS.

This rule speaks only when the repo holds the zone data: the HELO name's zone (its records
or an SOA above it), or a PTR record for the egress IP in a reverse zone. HELO names come
from `KUMOPROXY_HELO` (the `helo` role), `ehlo_domain` in the policy, and inventory
variables like `kumoproxy_helo`; egress IPs as for KL502.

## Example
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
proxy IN A 45.33.20.50
```
```ini path=inventory/hosts.ini
[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.99 kumoproxy_helo=proxy.example.com
```

## Use instead
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
proxy IN A 45.33.20.99
```
```ini path=inventory/hosts.ini
[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.99 kumoproxy_helo=proxy.example.com
```

## References
- RFC 5321 section 4.1.1.1 (EHLO), RFC 8601 section 3 (iprev)
- M3AAWG: Best Practices for Managing SPF Records, and for reverse DNS
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Related, Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._ips import egress_ips, helo_names, is_routable
from kumolint.rules._spf import DnsView, normalise_name, repo_records


@rule(id="KL503", name="helo-ptr-mismatch", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    egress = [ip for ip in egress_ips(model) if is_routable(ip)]
    names = helo_names(model)
    if not egress or not names:
        return
    view = DnsView.of(repo_records(model))
    shown = ", ".join(str(ip.address) for ip in egress)
    for name in names:
        if not _zone_in_repo(view, name.name):
            continue
        addresses = view.addresses(name.name)
        if not any(ip.address in addresses for ip in egress):
            yield Report(
                name.span,
                f"HELO name {name.name.rstrip('.')} ({name.origin}) has no A/AAAA record "
                f"for egress IP {shown} in the repo's zone data",
                key=name.name,
            )
    helo = {name.name for name in names}
    for ip in egress:
        owner = ip.address.reverse_pointer + "."
        for record in view.records.get(owner, ()):
            if record.type != "PTR" or normalise_name(record.rdata_text) in helo:
                continue
            related = (Related(ip.span, f"egress IP from {ip.origin}"),) if ip.span else ()
            yield Report(
                record.span,
                f"PTR of egress IP {ip.address} names {record.rdata_text.rstrip('.')}, "
                f"not the HELO name {sorted(helo)[0].rstrip('.')}",
                key=f"{ip.address}",
                related=related,
            )


def _zone_in_repo(view: DnsView, name: str) -> bool:
    if name in view.records:
        return True
    labels = name.rstrip(".").split(".")
    for start in range(1, len(labels)):
        parent = ".".join(labels[start:]) + "."
        if any(r.type == "SOA" for r in view.records.get(parent, ())):
            return True
    return False

"""An SPF record authorizes the KumoMTA host's own IP while mail leaves through KumoProxy.

## Why is this bad?
With KumoProxy in front, recipients see the proxy's egress address
(`socks5_proxy_source_address`), never the MTA host's. Authorizing the MTA host in SPF is at
best dead weight and usually the sign of a mix-up: the record was written for the MTA host
and the egress IP is missing (see KL502). It also lets anything that can reach the Internet
from the MTA host send mail that passes SPF for your domain, bypassing the proxy and its
controls. Authorize the egress IPs only.

kumolint learns the MTA IPs from `mta-ips` in the config, `ansible_host` of inventory hosts
named like kumomta/mta, and the zone's A records of those hosts' names; the proxy is in use
when an egress IP is known (`egress-ips`, `KUMOPROXY_PUBLIC_IP`,
`socks5_proxy_source_address`, inventory `kumoproxy_public_ip`) or a policy source has a
`socks5_proxy_server`. A policy source that sends directly (`source_address` and no proxy)
makes its IP a legitimate sender. Documentation addresses in repo files never count.

## Example
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.10 ip4:45.33.20.12 -all"
```
```ini path=inventory/hosts.ini
[kumomta]
mta1 ansible_host=45.33.20.10

[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.12
```

## Use instead
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.12 -all"
```
```ini path=inventory/hosts.ini
[kumomta]
mta1 ansible_host=45.33.20.10

[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.12
```

## References
- RFC 7208 (Sender Policy Framework)
- KumoMTA docs: Using KumoProxy (`socks5_proxy_source_address`)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._ips import KnownIp, egress_ips, mta_ips, proxy_in_use
from kumolint.rules._spf import IpAddress, evaluations


@rule(id="KL501", name="spf-authorizes-mta-ip", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    if not proxy_in_use(model):
        return
    egress = {ip.address for ip in egress_ips(model)}
    candidates: dict[IpAddress, KnownIp] = {}
    for ip in mta_ips(model):
        if not ip.direct and ip.address not in egress:
            candidates.setdefault(ip.address, ip)
    for record, owner, address, result in evaluations(model, candidates):
        if result.result != "pass" or result.term is None:
            continue
        yield Report(
            record.span,
            f"SPF record of {owner} authorizes MTA host IP {address} "
            f"({result.term.text}) while mail leaves through KumoProxy",
            key=f"{owner} {address}",
            related=candidates[address].related("MTA IP"),
        )

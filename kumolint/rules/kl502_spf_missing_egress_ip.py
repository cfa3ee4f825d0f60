"""An SPF record does not authorize a known egress IP.

## Why is this bad?
Recipients check SPF against the address the mail comes from: with KumoProxy that is the
proxy's egress IP. If a sending domain's SPF record does not pass that address, mail fails
SPF (or soft-fails) and lands in spam or bounces, and DMARC fails unless DKIM saves it.
kumolint evaluates the record statically, left to right, like a receiver: `ip4`/`ip6` with
any prefix length, `a` and `mx` through the repo's own zone data, `include` and `redirect`
through in-repo records. A `~all` or `?all` that "catches" the IP is not a pass. When a term
the repo cannot resolve (an external `include`, a macro, `exists`, `ptr`) comes first, the
result is unknown and the finding is a note that names that term.

Egress IPs come from `egress-ips` in the config, `KUMOPROXY_PUBLIC_IP` (the `egress-ip`
role), `socks5_proxy_source_address` in the policy, inventory `kumoproxy_public_ip`, and the
`source_address` of policy sources that send without a proxy. Private addresses are skipped
(mail from them never reaches a recipient directly), and so are documentation addresses in
repo files. Records that another in-repo record includes are parts, not checked alone.

## Example
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.0/28 ~all"
```
```ini path=inventory/hosts.ini
[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.99
```

## Use instead
```zone path=dns/example.com.zone
$ORIGIN example.com.
@ IN TXT "v=spf1 ip4:45.33.20.0/28 ip4:45.33.20.99 -all"
```
```ini path=inventory/hosts.ini
[kumoproxy]
proxy1 ansible_host=10.0.5.10 kumoproxy_public_ip=45.33.20.99
```

## References
- RFC 7208 section 4.6 (record evaluation) and section 5 (mechanisms)
- KumoMTA docs: Using KumoProxy (`socks5_proxy_source_address`)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._ips import KnownIp, egress_ips, is_routable, mta_ips
from kumolint.rules._spf import IpAddress, evaluations


@rule(id="KL502", name="spf-missing-egress-ip", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    required: dict[IpAddress, KnownIp] = {}
    for ip in egress_ips(model) + [ip for ip in mta_ips(model) if ip.direct]:
        if is_routable(ip):
            required.setdefault(ip.address, ip)
    for record, owner, address, result in evaluations(model, required):
        if result.result == "pass":
            continue
        related = required[address].related("egress IP")
        key = f"{owner} {address}"
        if result.result == "indeterminate":
            why = f"{result.term.text} cannot be resolved" if result.term else result.reason
            yield Report(
                record.span,
                f"SPF record of {owner} may not authorize egress IP {address}: "
                f"{why} from the repo",
                key=key,
                related=related,
                severity=Severity.NOTE,
            )
            continue
        how = (
            f"{result.term.text} gives {result.result}"
            if result.term
            else f"no term matches: {result.result}"
        )
        yield Report(
            record.span,
            f"SPF record of {owner} does not authorize egress IP {address} ({how})",
            key=key,
            related=related,
        )

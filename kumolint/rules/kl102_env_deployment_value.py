"""A deployment variable in an env-style file holds a real host name or public IP.

## Why is this bad?
The proxy host, the egress IP, the HELO name and the webhook URL change per deployment. A
committed file that holds the real ones is a populated env file, not a template: it ties the
repository to one deployment, shows an attacker where your mail leaves from, and usually sits
next to the secrets of the same deployment. Keep documentation values in the committed
template (RFC 5737 addresses `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, IPv6
`2001:db8::/32`, names under `example.*`, `yourdomain.*`, `*.example`, `*.test`, `*.invalid`,
`localhost`) and install the real values on the host. Private addresses are fine.

Which variables play which role comes from `[tool.kumolint.roles]` (`proxy-host`,
`egress-ip`, `helo`, `webhook-url`; defaults `KUMOPROXY_HOST`, `KUMOPROXY_PUBLIC_IP`,
`KUMOPROXY_HELO`, `PING8_WEBHOOK_URL`).

## Example
```dotenv path=deploy/proxy.env
KUMOPROXY_PUBLIC_IP=8.8.4.4
```

## Use instead
```dotenv path=deploy/proxy.env
KUMOPROXY_PUBLIC_IP=203.0.113.20
```

## References
- RFC 5737 (IPv4 address blocks reserved for documentation), RFC 3849 (IPv6)
- RFC 2606 (reserved top level DNS names)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.env import EnvAssignment
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._env import role_of
from kumolint.values import hostname_of, ip_address, is_real_deployment_value

DEPLOYMENT_ROLES = ("proxy-host", "egress-ip", "helo", "webhook-url")


@rule(id="KL102", name="env-deployment-value", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for assignment in model.of(EnvAssignment):
        if role_of(assignment.name, model.config, DEPLOYMENT_ROLES) is None:
            continue
        text = assignment.value.text
        if not is_real_deployment_value(text):
            continue
        kind = "a public IP" if ip_address(hostname_of(text)) else "a real host name"
        yield Report(
            assignment.span,
            f"{assignment.name} holds {kind}, not a documentation placeholder",
            key=assignment.name,
        )

"""A deployment value (webhook URL, proxy host, egress IP, EHLO name) is a literal in the policy.

## Why is this bad?
The policy is shared by every deployment; the proxy host, the egress IP, the EHLO name and the
webhook URL are not. Written into `init.lua` they tie the repository to one deployment, drift
from the env file that DNS (SPF, PTR) is checked against, and change only with a policy
commit. The deployment guide says "Do not put these values directly in init.lua": read them
from the environment (`KUMOPROXY_HOST`, `KUMOPROXY_PUBLIC_IP`, `KUMOPROXY_HELO`,
`PING8_WEBHOOK_URL`) and keep the real values in `/etc/default/kumomta`.

Reported in Lua only (helper data such as `sources.toml` is where KumoMTA expects per-source
literals): `make_egress_source` / `make_egress_path` fields (`source_address`,
`socks5_proxy_server`, `socks5_proxy_source_address`, `ehlo_domain`), webhook URLs, and
`or '<literal>'` fallbacks of deployment variables and of variables used as a webhook URL,
unless the variable is in `required-env` (those belong to KL204). Only real values count:
public IPs and real host names, not private or loopback addresses, documentation IPs or
`example` / `yourdomain` names.

## Example
```lua path=policy/init.lua
kumo.on('get_egress_source', function(source_name)
  return kumo.make_egress_source {
    name = source_name,
    socks5_proxy_server = '127.0.0.1:5000',
    socks5_proxy_source_address = '8.8.4.4',
  }
end)
```

## Use instead
```lua path=policy/init.lua
local PROXY_HOST = assert(os.getenv('KUMOPROXY_HOST'), 'KUMOPROXY_HOST must be set')
local PROXY_PORT = assert(os.getenv('KUMOPROXY_PORT'), 'KUMOPROXY_PORT must be set')
local EGRESS_IP = assert(os.getenv('KUMOPROXY_PUBLIC_IP'), 'KUMOPROXY_PUBLIC_IP must be set')

kumo.on('get_egress_source', function(source_name)
  return kumo.make_egress_source {
    name = source_name,
    socks5_proxy_server = PROXY_HOST .. ':' .. PROXY_PORT,
    socks5_proxy_source_address = EGRESS_IP,
  }
end)
```

## References
- KumoMTA docs: `reference/kumo/make_egress_source.md`, `userguide/operation/proxy.md`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import EgressPath, EgressSource, EnvRead, HttpAuth, Source, Webhook
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import DEPLOYMENT_ROLES, SecretFallbacks, role_names
from kumolint.values import is_real_deployment_value

_FIELDS = ("source_address", "socks5_proxy_server", "socks5_proxy_source_address", "ehlo_domain")


@rule(id="KL203", name="policy-hardcoded-deployment-value", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    found: dict[tuple[str, int, int], Report] = {}

    def report(source: Source | None, what: str) -> None:
        if source is None or source.kind != "literal" or source.value is None:
            return
        if not is_real_deployment_value(source.value.text):
            return
        place = (source.span.path, source.span.line, source.span.column)
        message = f"{what} is a literal; read it from the environment"
        found.setdefault(place, Report(source.span, message, key=what))

    for egress in model.of(EgressSource):
        if egress.origin == "lua":
            for field in _FIELDS:
                report(getattr(egress, field), field)
    for path in model.of(EgressPath):
        if path.origin == "lua":
            report(path.ehlo_domain, "ehlo_domain")
    urls = [hook.url for hook in model.of(Webhook)] + [auth.url for auth in model.of(HttpAuth)]
    for url in urls:
        report(url, "the webhook URL")
    # Env reads whose fallback counts: deployment variables, and whatever is used as a URL.
    url_reads = {(u.span.path, u.span.line, u.span.column) for u in urls if u and u.kind == "env"}
    deployment = role_names(model, DEPLOYMENT_ROLES)
    required = set(model.config.required_env)
    secret_fallbacks = SecretFallbacks(model)
    for read in model.of(EnvRead):
        if read.fallback is None or read.fallback_span is None or read.name in required:
            continue
        place = (read.span.path, read.span.line, read.span.column)
        if read.name not in deployment and place not in url_reads:
            continue
        if read in secret_fallbacks:
            continue
        fallback = Source("literal", read.fallback_span, read.fallback)
        report(fallback, f"the fallback of {read.name}")
    yield from found.values()

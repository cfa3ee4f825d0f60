"""An egress source sets only one of `socks5_proxy_server` and `socks5_proxy_source_address`.

## Why is this bad?
kumod sends through the SOCKS5 proxy (KumoProxy) only when an egress source sets **both**
fields; with one of them it quietly connects straight from the MTA host. Nothing fails: mail
just leaves from the MTA's own address, which SPF does not list, whose PTR does not match
the EHLO name, and which the whole proxy setup was meant to hide. Set both: the proxy's
address (`host:port`) and the egress IP the proxy sends from (the one SPF and PTR name).

Checked in `kumo.make_egress_source { ... }` calls and in the sources helper's data
(`[source."name"]` tables in TOML or JSON).

## Example
```toml path=policy/sources.toml
[source."proxy-1"]
socks5_proxy_server = "127.0.0.1:5000"
ehlo_domain = "mta1.example.com"
```

## Use instead
```toml path=policy/sources.toml
[source."proxy-1"]
socks5_proxy_server = "127.0.0.1:5000"
socks5_proxy_source_address = "203.0.113.20"
ehlo_domain = "mta1.example.com"
```

## References
- KumoMTA docs: `reference/kumo/make_egress_source/socks5_proxy_server.md`,
  `userguide/operation/proxy.md`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import EgressSource
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule


@rule(id="KL206", name="socks5-pair-incomplete", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for source in model.of(EgressSource):
        server = source.socks5_proxy_server
        address = source.socks5_proxy_source_address
        if (server is None) == (address is None):
            continue
        present, missing = (
            ("socks5_proxy_server", "socks5_proxy_source_address")
            if server is not None
            else ("socks5_proxy_source_address", "socks5_proxy_server")
        )
        span = (server or address or source).span
        label = f"egress source '{source.name}'" if source.name else "egress source"
        yield Report(
            span,
            f"{label} sets {present} without {missing}: kumod will not use the proxy",
            key=f"{source.name or ''}:{missing}",
        )

"""An Nginx location proxies to the KumoMTA listener without the bearer check.

## Why is this bad?
KumoMTA trusts every request that reaches its HTTP listener from loopback
(`trusted_hosts` defaults to `127.0.0.1` and `::1`), so the Nginx bearer check is the only
gate. nginx picks one location per request, and the `if` checks of one location do not run for
a sibling: a check only in `location = /api/inject/v1` leaves `location /api/` (which also
reaches `/api/inject/v1` with a trailing slash or another path) open to anyone. Put the check
at server level, or in every location that proxies to the listener, or use `auth_request`.

A check is an `if` that returns a 4xx status (401, 403, 444 ...) and tests
`$http_authorization` or a variable derived from it by `map` (in any file) or by a flag `set`
inside such an `if`. Checks in `include` snippets kept in the repository count; `internal;`
and `deny all;` locations are not reachable by clients and do not fire. The listener is
loopback or an `mta-ips` address on port 8000 (or the port of the policy's
`start_http_listener`), an `upstream` with such a server, or a host named like
`kumod`/`kumomta`.

## Example
```nginx path=nginx/templates/kumomta.conf.template
server {
    listen 443 ssl;
    location = /api/inject/v1 {
        if ($http_authorization != "Bearer ${PING8_INJECTION_TOKEN}") { return 401; }
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:8000;
    }
    location /api/ {
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:8000;
    }
}
```

## Use instead
```nginx path=nginx/templates/kumomta.conf.template
server {
    listen 443 ssl;
    if ($http_authorization != "Bearer ${PING8_INJECTION_TOKEN}") { return 401; }
    location /api/ {
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:8000;
    }
}
```

## Options
- `kumomta-listeners`: more `host:port` addresses of the KumoMTA HTTP listener.

## References
- KumoMTA `kumo.start_http_listener`, `trusted_hosts`
- nginx `location` matching and `ngx_http_rewrite_module` (`if` runs per location)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import Report, rule
from kumolint.rules._nginx import auth_variables, kumomta_locations


@dataclass(frozen=True)
class Options:
    kumomta_listeners: tuple[str, ...] = ()


@rule(id="KL304", name="injection-path-unauthenticated", severity=Severity.ERROR, options=Options)
def check(model: RepoModel, options: Options) -> Iterator[Report]:
    checked = auth_variables(model)
    for place in kumomta_locations(model, options.kumomta_listeners):
        if place.auth_request or place.guards & checked or place.location.restricted:
            continue
        match = place.location.match
        yield Report(
            place.location.span,
            f"location {match} proxies to the KumoMTA listener without a bearer check",
            key=match,
        )

"""An Nginx location forwards the client's Authorization header to the KumoMTA listener.

## Why is this bad?
`proxy_pass` forwards the client's request headers unless told otherwise, so kumod receives
the injection bearer token itself. kumod validates every `Authorization` header, even from a
trusted loopback peer: without an `http_server_validate_auth_bearer` handler the request fails
with 401, and with one the policy must hold a copy of the injection token. Nginx has already
checked the token; strip it with `proxy_set_header Authorization "";` in the location (or at
server level, remembering that any `proxy_set_header` in a location replaces all inherited
ones).

## Example
```nginx path=nginx/templates/kumomta.conf.template
server {
    listen 443 ssl;
    if ($http_authorization != "Bearer ${PING8_INJECTION_TOKEN}") { return 401; }
    location /api/inject/v1 {
        proxy_set_header Host $host;
        proxy_pass http://127.0.0.1:8000;
    }
}
```

## Use instead
```nginx path=nginx/templates/kumomta.conf.template
server {
    listen 443 ssl;
    if ($http_authorization != "Bearer ${PING8_INJECTION_TOKEN}") { return 401; }
    location /api/inject/v1 {
        proxy_set_header Host $host;
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:8000;
    }
}
```

## Options
- `kumomta-listeners`: more `host:port` addresses of the KumoMTA HTTP listener.

## References
- nginx `proxy_set_header` (inheritance: only when the level sets none itself)
- KumoMTA HTTP listener authentication (`http_server_validate_auth_bearer`)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import Report, rule
from kumolint.rules._nginx import kumomta_locations


@dataclass(frozen=True)
class Options:
    kumomta_listeners: tuple[str, ...] = ()


@rule(id="KL303", name="nginx-auth-header-forwarded", severity=Severity.WARNING, options=Options)
def check(model: RepoModel, options: Options) -> Iterator[Report]:
    for place in kumomta_locations(model, options.kumomta_listeners):
        if place.auth_header is None:
            match = place.location.match
            yield Report(
                place.location.span,
                f"location {match} forwards the client's Authorization header to kumod",
                key=match,
            )

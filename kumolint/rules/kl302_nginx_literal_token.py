"""A literal bearer token is committed in an Nginx config.

## Why is this bad?
The injection token is the only gate in front of KumoMTA's loopback listener: whoever holds it
can send mail as you. Written into a committed Nginx config (a `map` key, an `if` compare, a
`set $token`, or a `proxy_set_header Authorization` value), it is readable by everyone who can
clone the repository, forever. Render the token at deploy time instead: an envsubst template
(`/etc/nginx/templates/*.template` with `${PING8_INJECTION_TOKEN}`), a Jinja template fed from
a vault variable, or an include file that only the deployment writes. A placeholder such as
`<PING8_INJECTION_TOKEN>` in a committed sample is fine.

## Example
```nginx path=nginx/conf.d/kumomta.conf
map $http_authorization $auth_ok {
    default 0;
    "Bearer 9f2c4e7a1b8d3f6e0a5c2b9d7e4f1a3c" 1;
}
```

## Use instead
```nginx path=nginx/templates/kumomta.conf.template
map $http_authorization $auth_ok {
    default 0;
    "Bearer ${PING8_INJECTION_TOKEN}" 1;
}
```

## References
- nginx `ngx_http_map_module` and `ngx_http_rewrite_module` (`if`, `set`)
- The official nginx image's envsubst templates (`/etc/nginx/templates/*.template`)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.nginx import AuthHeaderSet, BearerCheck, TokenText
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.values import is_placeholder, is_trivial

_HOW = {
    "map": "map key",
    "map-regex": "map regex key",
    "if": "if compare",
    "set": "set value",
}


@rule(id="KL302", name="nginx-literal-token", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for bearer in model.of(BearerCheck):
        if _is_literal(bearer.token):
            where = _HOW.get(bearer.how, bearer.how)
            yield Report(bearer.span, f"literal bearer token in an Nginx {where}", key=where)
    for header in model.of(AuthHeaderSet):
        if _is_literal(header.token):
            message = "literal credential in proxy_set_header Authorization"
            yield Report(header.span, message, key="proxy_set_header Authorization")


def _is_literal(token: TokenText) -> bool:
    if token.kind != "literal" or token.value is None:
        return False
    return not (is_placeholder(token.value.text) or is_trivial(token.value.text))

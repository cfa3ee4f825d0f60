"""The HTTP listener listens beyond loopback, or trusts hosts beyond loopback.

## Why is this bad?
kumod has no bearer-token check of its own: a request from a host in `trusted_hosts` is
accepted with no authentication at all (injection, admin, metrics). In this deployment the
Nginx bearer check in front is the only gate, and Nginx reaches kumod over loopback. A
`listen` address other than loopback opens the listener to the network, past Nginx; a
`trusted_hosts` entry such as `0.0.0.0/0`, `10.0.0.0/8` or a public address lets every host
in it inject mail without the token. Keep KumoMTA's defaults: `listen = '127.0.0.1:8000'`
and `trusted_hosts = { '127.0.0.1', '::1' }`.

Both `kumo.start_http_listener` and KumoProxy's `proxy.start_http_listener` are checked.
A `listen` read from the environment is judged by its fallback, if it has one; so is a
`trusted_hosts = kumo.string.split(os.getenv('X') or '<list>', ',')`.

## Example
```lua path=policy/init.lua
kumo.on('init', function()
  kumo.start_http_listener {
    listen = '0.0.0.0:8000',
    trusted_hosts = { '127.0.0.1', '10.0.0.0/8' },
  }
end)
```

## Use instead
```lua path=policy/init.lua
kumo.on('init', function()
  kumo.start_http_listener {
    listen = '127.0.0.1:8000',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
end)
```

## References
- KumoMTA docs: `reference/kumo/start_http_listener.md` (`listen`, `trusted_hosts`)
- KumoMTA docs: `userguide/installation/security.md`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import HttpListener
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import is_loopback


@rule(id="KL205", name="http-listener-exposed", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for listener in model.of(HttpListener):
        listen = listener.listen
        host = listener.listen_host
        if host is None and listen is not None and listen.kind == "env" and listen.value:
            host = _host(listen.value.text)
        if listen is not None and host is not None and not is_loopback(host):
            yield Report(
                listen.span,
                f"{listener.api} listens on {host}, not loopback",
                key=f"{listener.api}:listen",
            )
        for entry in listener.trusted_hosts:
            if entry.kind != "literal" or entry.value is None:
                continue
            if not is_loopback(entry.value.text):
                yield Report(
                    entry.span,
                    f"trusted_hosts trusts {entry.value.text}, beyond loopback",
                    key=f"{listener.api}:trusted_hosts:{entry.value.text}",
                )


def _host(address: str) -> str:
    address = address.strip()
    if address.startswith("["):
        return address[1:].partition("]")[0]
    return address.partition(":")[0] if address.count(":") == 1 else address

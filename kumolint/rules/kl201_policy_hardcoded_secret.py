"""A secret is written as a literal in the KumoMTA policy or its helper data.

## Why is this bad?
The policy (`init.lua`, helper modules, `sources.toml`, `shaping.toml` ...) is committed and
copied to every host, readable by the `kumod` user and often by anyone with the repository.
A webhook token, an SMTP or SOCKS5 password, a Vault token or a key written into it leaks
with every clone and cannot be rotated without a commit. KumoMTA's own docs say "avoid
encoding secrets directly into files contained with the `/opt/kumomta/etc/policy`
location": read the value from the environment (`assert(os.getenv('X'), 'X must be set')`)
or load it from a KeySource that points at Vault or a file (`{ vault_mount = ..., vault_path
= ... }` or a plain path string, which KumoMTA reads as a file name).

Reported: `key_data = '<literal>'` and `vault_token = '<literal>'` (in Lua tables or helper
data), a local, global or table field whose name says TOKEN / SECRET / PASSWORD / API_KEY
bound to a literal, and auth headers whose credential resolves to a literal:
`'Bearer ' .. '<literal>'`, `:bearer_auth('<literal>')`, `:basic_auth(user, '<literal>')`,
`:header('x-api-key', '<literal>')`. Placeholders (`<TOKEN>`, `changeme`, `your-token`),
trivial values and file paths are not reported. Private-key blocks are reported by KL106.

## Example
```lua path=policy/init.lua
local WEBHOOK_URL = assert(os.getenv('PING8_WEBHOOK_URL'), 'PING8_WEBHOOK_URL must be set')
local WEBHOOK_TOKEN = 'q8Zr2LwX9mT4vK7pN3sB6yH1'

kumo.on('make.webhook', function(domain, tenant, campaign)
  local client = kumo.http.build_client {}
  local sender = {}
  function sender:send(message)
    return client:post(WEBHOOK_URL):bearer_auth(WEBHOOK_TOKEN):send()
  end
  return sender
end)
```

## Use instead
```lua path=policy/init.lua
local WEBHOOK_URL = assert(os.getenv('PING8_WEBHOOK_URL'), 'PING8_WEBHOOK_URL must be set')
local WEBHOOK_TOKEN = assert(os.getenv('PING8_WEBHOOK_TOKEN'), 'PING8_WEBHOOK_TOKEN must be set')

kumo.on('make.webhook', function(domain, tenant, campaign)
  local client = kumo.http.build_client {}
  local sender = {}
  function sender:send(message)
    return client:post(WEBHOOK_URL):bearer_auth(WEBHOOK_TOKEN):send()
  end
  return sender
end)
```

## References
- KumoMTA docs: `reference/keysource.md`, `userguide/installation/security.md`
- KumoMTA docs: `reference/kumo.http/Request.md` (`bearer_auth`, `basic_auth`)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import HttpAuth, SecretLiteral
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import is_literal_secret

_WHAT = {
    "key_data": "key_data holds an inline secret",
    "vault_token": "vault_token holds a literal Vault token",
}


@rule(id="KL201", name="policy-hardcoded-secret", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    seen: set[tuple[str, int, int]] = set()
    for secret in model.of(SecretLiteral):
        span = secret.span
        if not is_literal_secret(secret.value.text):
            continue
        seen.add((span.path, span.line, span.column))
        message = _WHAT.get(secret.context, f"{secret.name} is bound to a literal secret")
        yield Report(span, message, key=secret.name)
    for auth in model.of(HttpAuth):
        token = auth.token
        if token.kind != "literal" or token.value is None:
            continue
        place = (token.span.path, token.span.line, token.span.column)
        if place in seen or not is_literal_secret(token.value.text):
            continue
        seen.add(place)
        what = "password" if auth.scheme == "basic" else "token"
        yield Report(
            token.span,
            f"the {auth.header} header sends a literal {what}",
            key=f"{auth.header}:{auth.scheme}",
        )

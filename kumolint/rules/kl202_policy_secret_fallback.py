"""A secret read from the environment falls back to a literal when the variable is unset.

## Why is this bad?
`os.getenv('WEBHOOK_SECRET') or 'your-secret-key'` is the most common hardcoded secret in
real KumoMTA policies. The stock `kumomta.service` does not read `/etc/default/kumomta`, so a
missing drop-in, a typo in the variable name or an env file that failed to install all leave
the variable unset - and the MTA starts anyway, sending the committed default, which everyone
with the repository knows (and which is usually the same on every deployment). The fallback
also puts a secret-shaped literal in the repository. Fail at start instead:
`assert(os.getenv('X'), 'X must be set')`.

`or ''` is reported as a warning: nothing leaks, but the MTA silently sends an empty
credential (and the receiver may accept "no token" more often than you think).

A variable counts as a secret when its name says so (TOKEN, SECRET, PASSWORD, API_KEY ...),
when it plays the `webhook-token` or `injection-token` role, when the local or field it is
stored in says so, or when the policy sends it as an HTTP credential.

## Example
```lua path=policy/init.lua
local WEBHOOK_SECRET = os.getenv('KUMOMTA_WEBHOOK_SECRET') or 'kumo-webhook-secret'
```

## Use instead
```lua path=policy/init.lua
local WEBHOOK_SECRET =
  assert(os.getenv('KUMOMTA_WEBHOOK_SECRET'), 'KUMOMTA_WEBHOOK_SECRET must be set')
```

## References
- KumoMTA docs: `userguide/installation/security.md`
- Lua 5.4 manual, `os.getenv` (returns nil when the variable is not defined)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import EnvRead
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import SecretFallbacks


@rule(id="KL202", name="policy-secret-fallback", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    secret_fallbacks = SecretFallbacks(model)
    for read in model.of(EnvRead):
        if read.fallback is None or read not in secret_fallbacks:
            continue
        span = read.fallback_span or read.span
        if read.fallback.text:
            yield Report(
                span, f"{read.name} falls back to a literal secret when unset", key=read.name
            )
        else:
            yield Report(
                span,
                f"{read.name} falls back to an empty string when unset",
                key=read.name,
                severity=Severity.WARNING,
            )

"""A required environment variable is read without a check, or with a fallback default.

## Why is this bad?
The deployment needs every `required-env` variable (the webhook URL and token, the proxy host
and port, the egress IP, the HELO name). "Check the service logs for missing required
variables" only works if the policy fails loudly when one is missing. `os.getenv` returns
`nil` for an unset variable - and the stock `kumomta.service` does not read
`/etc/default/kumomta` unless a drop-in says so - so an unchecked read starts the MTA with
`nil` (an error much later, in the middle of a delivery), and a fallback
(`os.getenv('KUMOPROXY_PUBLIC_IP') or '203.0.113.20'`) starts it with a value that is wrong
for this deployment, silently: mail leaves from an address SPF does not list, or the proxy is
skipped.

A read counts as checked when it is wrapped in `assert(...)`, followed by `or error(...)`,
checked by an `if not X then error(...) end` on the value or on the local it is stored in,
read in a loop over required names that errors, or read through a getter function that
errors. The list of required variables is `required-env` in the configuration. Fallbacks of
secret variables are reported by KL202 instead.

## Example
```lua path=policy/init.lua
local PROXY_PUBLIC_IP = os.getenv('KUMOPROXY_PUBLIC_IP') or '203.0.113.20'
```

## Use instead
```lua path=policy/init.lua
local PROXY_PUBLIC_IP =
  assert(os.getenv('KUMOPROXY_PUBLIC_IP'), 'KUMOPROXY_PUBLIC_IP must be set')
```

## References
- Lua 5.4 manual, `os.getenv`, `assert`, `error`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import EnvRead
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import SecretFallbacks


@rule(id="KL204", name="policy-unchecked-required-env", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    required = set(model.config.required_env)
    reads = [r for r in model.of(EnvRead) if r.name in required]
    checked = {r.name for r in reads if r.guard != "none" and r.fallback is None}
    secret_fallbacks = SecretFallbacks(model)
    for read in reads:
        if read.fallback is not None:
            if read in secret_fallbacks:
                continue
            what = "an empty string" if not read.fallback.text else "a default"
            yield Report(
                read.fallback_span or read.span,
                f"{read.name} is required but falls back to {what} when unset",
                key=read.name,
            )
        elif read.guard == "none" and read.name not in checked:
            yield Report(
                read.span, f"{read.name} is required but read without a check", key=read.name
            )

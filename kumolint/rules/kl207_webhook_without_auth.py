"""A webhook sender posts events without an Authorization or token header.

## Why is this bad?
The webhook receiver must reject forged delivery, bounce and complaint events, and the only
thing that tells it an event came from your MTA is the webhook token. A constructor that
posts without `Authorization: Bearer <token>` (or a custom token header) forces the receiver
to accept anything sent to its URL. `log_hooks:new_json` cannot send headers at all, so a
`new_json` hook pointed at the webhook is always unauthenticated: use `log_hooks:new` with a
constructor that sets the header, e.g. `:bearer_auth(WEBHOOK_TOKEN)`.

Checked: `log_hooks:new { constructor = ... }`, `kumo.on('make.<name>', ...)` constructors
that make an HTTP request, and `log_hooks:new_json { url = ... }`. Hooks that post to a
literal loopback URL (a local collector) are not reported.

## Example
```lua path=policy/init.lua
local log_hooks = require 'policy-extras.log_hooks'
local WEBHOOK_URL = assert(os.getenv('PING8_WEBHOOK_URL'), 'PING8_WEBHOOK_URL must be set')

log_hooks:new_json {
  name = 'webhook',
  url = WEBHOOK_URL,
  log_parameters = { headers = { 'Subject' } },
}
```

## Use instead
```lua path=policy/init.lua
local log_hooks = require 'policy-extras.log_hooks'
local WEBHOOK_URL = assert(os.getenv('PING8_WEBHOOK_URL'), 'PING8_WEBHOOK_URL must be set')
local WEBHOOK_TOKEN = assert(os.getenv('PING8_WEBHOOK_TOKEN'), 'PING8_WEBHOOK_TOKEN must be set')

log_hooks:new {
  name = 'webhook',
  constructor = function(domain, tenant, campaign)
    local client = kumo.http.build_client {}
    local sender = {}
    function sender:send(message)
      local response = client:post(WEBHOOK_URL)
        :header('Content-Type', 'application/json')
        :bearer_auth(WEBHOOK_TOKEN)
        :body(message:get_data())
        :send()
      if response:status_is_success() then
        return response:status_reason()
      end
      kumo.reject(500, response:status_reason())
    end
    return sender
  end,
}
```

## References
- KumoMTA docs: `userguide/operation/webhooks.md`, `reference/kumo.http/Request.md`
- KumoMTA source: `assets/policy-extras/log_hooks.lua` (`new_json` sets only Content-Type)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.lua import Webhook
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._policy import is_loopback
from kumolint.values import hostname_of


@rule(id="KL207", name="webhook-without-auth", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for hook in model.of(Webhook):
        if hook.kind == "configure_log_hook" or not hook.posts or hook.has_auth:
            continue
        if _posts_to_loopback(hook):
            continue
        label = f"'{hook.name}'" if hook.name else f"'{hook.kind}'"
        if hook.kind == "new_json":
            message = (
                f"log_hooks:new_json {label} posts without auth: new_json cannot send headers"
            )
        else:
            message = f"webhook constructor {label} posts without an Authorization or token header"
        yield Report(hook.span, message, key=hook.name or hook.kind)


def _posts_to_loopback(hook: Webhook) -> bool:
    url = hook.url
    if url is None or url.kind != "literal" or url.value is None:
        return False
    return is_loopback(hostname_of(url.value.text))

"""The injection bearer token is set in a KumoMTA env file.

## Why is this bad?
The injection bearer token authenticates the application that injects mail; Nginx checks it
before it forwards the request to KumoMTA's loopback listener. KumoMTA itself never needs it.
Putting it in KumoMTA's environment gives every policy script and every process that can
read `/proc/<pid>/environ` of `kumod` a token that can inject mail, and invites reusing one
secret for injection and webhooks. Keep it in the Nginx layer only. This fires whatever the
value is, placeholder included.

A KumoMTA env file is one named like it (`default/kumomta`, `kumomta.env`, `kumod.env`,
`kumo-common.env`, `kumomta.default` and their templates) or one that sets at least two
`required-env` variables, one of them not a webhook variable, or one that a manifest
installs as `/etc/default/kumomta` or `/opt/kumomta/etc/*.env`. Compose services and Kubernetes
Secrets whose name or image says `kumomta`/`kumod` count too. The variable names come from
`[tool.kumolint.roles] injection-token` (default `PING8_INJECTION_TOKEN`).

## Example
```env path=deploy/kumomta.env
PING8_WEBHOOK_TOKEN=<PING8_WEBHOOK_TOKEN>
PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events
KUMOPROXY_HOST=proxy.yourdomain.com
KUMOPROXY_PORT=5000
KUMOPROXY_PUBLIC_IP=203.0.113.20
KUMOPROXY_HELO=proxy.yourdomain.com
PING8_INJECTION_TOKEN=<PING8_INJECTION_TOKEN>
```

## Use instead
```env path=deploy/kumomta.env
PING8_WEBHOOK_TOKEN=<PING8_WEBHOOK_TOKEN>
PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events
KUMOPROXY_HOST=proxy.yourdomain.com
KUMOPROXY_PORT=5000
KUMOPROXY_PUBLIC_IP=203.0.113.20
KUMOPROXY_HELO=proxy.yourdomain.com
```

## References
- The PING8 deployment document, "Injection token is separate"
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._env import kumomta_assignments


@rule(id="KL105", name="injection-token-in-mta-env", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    names = set(model.config.role_names("injection-token"))
    for assignment in kumomta_assignments(model):
        if assignment.name in names:
            yield Report(
                assignment.name_span,
                f"{assignment.name} is set in KumoMTA's environment; "
                "the injection token belongs in the Nginx layer",
                key=assignment.name,
            )

"""The webhook token is the injection token (same value or same reference).

## Why is this bad?
The injection token lets an application inject mail through Nginx; the webhook token lets
KumoMTA prove itself to the application's event endpoint. They live in different places for a
reason: the injection token only in the Nginx layer, the webhook token in KumoMTA's env file.
When they are the same secret, the webhook receiver (and every log or proxy on the way) holds
a token that can inject mail, and the KumoMTA host holds the key to its own front door.
Generate two tokens.

The roles come from `[tool.kumolint.roles]` (`injection-token`, `webhook-token`). kumolint
follows what the repository says: env files, the policy's webhook `Authorization` header,
Nginx bearer checks, Ansible variables (`x: "{{ vault_x }}"` resolves to `vault_x`),
Kubernetes `secretKeyRef`s and Secrets, Helm values. Two places share a token when they hold
the same literal (compared by a keyed hash; the value is never printed) or refer to the same
env var, template or vault variable, or secret key, or when one refers to a variable named
for the other role. The finding is at the webhook side; the injection side is listed with it.

## Example
```yaml path=group_vars/all/vars.yml
ping8_injection_token: "{{ vault_ping8_api_token }}"
ping8_webhook_token: "{{ vault_ping8_api_token }}"
```

## Use instead
```yaml path=group_vars/all/vars.yml
ping8_injection_token: "{{ vault_ping8_injection_token }}"
ping8_webhook_token: "{{ vault_ping8_webhook_token }}"
```

## References
- The PING8 deployment document, "Injection token is separate"
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Related, Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._tokens import reuses


@rule(id="KL301", name="token-reused-across-roles", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for webhook, injection in reuses(model):
        yield Report(
            webhook.span,
            f"{webhook.label} reuses the injection token",
            key=webhook.label,
            related=(Related(injection.span, "injection token"),),
        )

"""The webhook URL is not an https:// URL.

## Why is this bad?
KumoMTA sends the webhook token with every delivery, bounce and complaint event it POSTs to
the webhook URL. Over plain `http://` the token and the recipients' addresses cross the
network readable by anyone on the path, and the events can be forged or changed. Use an
`https://` endpoint. Placeholders (`<PING8_WEBHOOK_URL>`, `${URL}`, empty) are fine in a
template; a literal `http://` scheme is not, even with a placeholder host.

Which variables hold the webhook URL comes from `[tool.kumolint.roles] webhook-url`
(default `PING8_WEBHOOK_URL`).

## Example
```dotenv path=app/.env
PING8_WEBHOOK_URL=http://app.yourdomain.com/api/kumo/events
```

## Use instead
```dotenv path=app/.env
PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events
```
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.env import EnvAssignment
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.values import is_placeholder


@rule(id="KL104", name="webhook-url-insecure", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    names = set(model.config.role_names("webhook-url"))
    for assignment in model.of(EnvAssignment):
        if assignment.name not in names:
            continue
        text = assignment.value.text.strip()
        scheme = text.partition("://")[0].lower() if "://" in text else ""
        if scheme == "https":
            continue
        if scheme == "http":
            message = f"{assignment.name} uses http://, not https://"
        elif is_placeholder(text):
            continue
        elif scheme:
            message = f"{assignment.name} uses {scheme}://, not https://"
        else:
            message = f"{assignment.name} is not an https:// URL"
        yield Report(assignment.span, message, key=assignment.name)

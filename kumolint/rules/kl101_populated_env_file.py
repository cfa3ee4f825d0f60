"""An env-style file assigns a real value to a secret variable.

## Why is this bad?
A populated env file in git hands its secrets to everyone who can clone the repository, and
removing the file later leaves them in history. Commit a template with placeholders
(`<PING8_WEBHOOK_TOKEN>`, `${VAR}`, `{{ vault_token }}`, `changeme`, empty) and install the
populated file on the host, for KumoMTA at `/etc/default/kumomta`, `root:root 0600`.

A variable is secret when its name contains TOKEN, SECRET, PASSWORD, PASSWD, API_KEY,
PRIVATE_KEY, CREDENTIAL (and a few similar words), or it is configured for the
`injection-token` or `webhook-token` role. Its value is real when it is not a placeholder and
not trivial (`true`, a small number): a known token format, a high-entropy string, or any
other literal. Templates (`*.example`, `*.sample`, `*.template`, `*.dist`, `*.j2`) are checked
too: a real value in a template is the classic leak. The files read are `.env`, `.env.*`,
`*.env`, `default/*`, debian `*.default`, files shaped like `/etc/default/kumomta`,
Kubernetes `Secret` (`stringData`, base64 `data`), `ConfigMap` `data` and container `env`
values, and compose `environment:`. The
default in `${NAME:-default}` is committed too, so it is judged like a value.

## Example
```dotenv path=app/.env
API_TOKEN=V2SV7kIb2lgKHw9iTjPz220Lz2Gdr2uR
```

## Use instead
```dotenv path=app/.env.example
API_TOKEN=<API_TOKEN>
```

## References
- systemd.exec(5), `EnvironmentFile=`
- https://12factor.net/config
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.env import EnvAssignment
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._env import (
    ENV_FILE_DIALECTS,
    interpolation_defaults,
    is_file_reference,
    is_secret_variable,
)
from kumolint.values import is_placeholder, is_trivial, secret_kind


@rule(id="KL101", name="populated-env-file", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for assignment in model.of(EnvAssignment):
        if assignment.dialect not in ENV_FILE_DIALECTS:
            continue
        if not is_secret_variable(assignment.name, model.config):
            continue
        text, where = assignment.value.text, ""
        if is_placeholder(text):
            defaults = [d for d in interpolation_defaults(text) if _is_real(d)]
            if not defaults:
                continue
            text, where = defaults[0], " as the default of its ${...:-default}"
        elif not _is_real(text):
            continue
        kind = secret_kind(text)
        looks = "a non-placeholder literal" if kind == "literal" else kind
        message = f"{assignment.name} holds a real secret{where} ({looks})"
        yield Report(assignment.span, message, key=assignment.name)


def _is_real(text: str) -> bool:
    return not (is_placeholder(text) or is_trivial(text) or is_file_reference(text))

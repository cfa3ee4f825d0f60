"""A secret is set with `Environment=` in a systemd unit or drop-in.

## Why is this bad?
Everything in a unit file is public on the host: unit files are world-readable, and any local
user can read every `Environment=` assignment of every service with `systemctl show` (the
properties are exported over D-Bus without a permission check). A webhook or injection token
set this way leaks to every account on the MTA host, and to everyone who can read the
repository. Put the token in the root-only environment file (`EnvironmentFile=`, mode 0600)
or hand it to the service as a credential (`LoadCredential=`). `SetCredential=` with inline
data has the same problem: the data sits in the world-readable unit file.

## Example
```systemd path=systemd/kumomta.service.d/override.conf
[Service]
EnvironmentFile=/etc/default/kumomta
Environment=PING8_WEBHOOK_TOKEN={{ ping8_webhook_token }}
```

## Use instead
```systemd path=systemd/kumomta.service.d/override.conf
[Service]
EnvironmentFile=/etc/default/kumomta
Environment=KUMOPROXY_PORT=5000
```

## References
- systemd.exec(5): `Environment=` ("not suitable for secrets") and `LoadCredential=`
- https://systemd.io/CREDENTIALS/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kumolint.facts.env import EnvAssignment
from kumolint.facts.systemd import UnitSetting
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.values import is_secret_name, known_format

# systemd does not expand `$VAR` in Environment=: such a value is a mistake, not a secret.
_SHELL_REFERENCE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


@rule(id="KL404", name="secret-in-unit-environment", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    config = model.config
    token_names = (*config.role_names("webhook-token"), *config.role_names("injection-token"))
    for assignment in model.of(EnvAssignment):
        if assignment.dialect != "unit-environment":
            continue
        text = assignment.value.text.strip()
        if not text or _SHELL_REFERENCE.fullmatch(text):
            continue
        if is_secret_name(assignment.name, token_names):
            reason = "a secret"
        else:
            kind = known_format(text)
            if kind is None:
                continue
            reason = f"a value in {kind} format"
        yield Report(
            assignment.name_span,
            f"Environment= sets {assignment.name} to {reason}: any local user can read it "
            "with systemctl show",
            key=assignment.name,
        )
    for setting in model.of(UnitSetting):
        if setting.key != "SetCredential":
            continue
        credential, _, data = setting.value.text.partition(":")
        if data.strip():
            yield Report(
                setting.key_span,
                f"SetCredential= puts the data of credential {credential.strip()} in the unit "
                "file, which any local user can read",
                key=f"SetCredential:{credential.strip()}",
            )

"""A secret file is installed with an explicit mode that lets every user read or write it.

## Why is this bad?
The KumoMTA env file holds the webhook token, and DKIM keys let anyone sign mail as your
domain. A mode with the "other" read bit (`0644`, `o+r`, `a+r`) hands them to every local
account and to every process that is compromised on the host; the "other" write bit lets
anyone replace them. kumolint computes the mode the file really ends up with after every
`install`, `chmod`, `%attr` and `--chmod` in the same script or manifest, so a later
`chmod 0600` fixes an earlier `0644`.

## Example
```sh
#!/bin/sh
install -m 0644 -o root -g root deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
```

## Use instead
```sh
#!/bin/sh
install -m 0600 -o root -g root deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
```

## Options
Which destinations are secret comes from `secret-paths` in `[tool.kumolint]`; a file whose
source in the repository holds a private key or a real secret is secret wherever it goes.
Public keys and certificates (`/usr/share/keyrings/*`, `*.pub`, `*.crt`) are never secret.

## References
- The deployment document: `chown root:root /etc/default/kumomta`, `chmod 0600`
- chmod(1), install(1), rpm-spec(5) `%attr`, Dockerfile `COPY --chmod`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._modes import exposed_secret_files, exposure, note, render_mode


@rule(id="KL401", name="secret-file-world-readable", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for fact, reason in exposed_secret_files(model, "explicit"):
        yield Report(
            fact.span,
            f"{fact.dest} gets mode {render_mode(fact)} from {fact.tool}, {exposure(fact)}"
            f" ({reason}){note(fact)}",
            key=fact.dest,
        )

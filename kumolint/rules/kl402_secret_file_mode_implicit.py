"""A secret file gets no mode of its own, and the tool's default leaves it world-readable.

## Why is this bad?
When a script or manifest does not say which mode a secret file gets, the tool's default
decides: a shell redirection or `cp` gives `0666` minus the umask (`0644`), `install` without
`-m` gives `0755`, Docker `COPY` and RPM `%files` keep the mode from git (`0644`), and
`dh_fixperms` resets every file of a Debian package to `go=rX,u+rw` (`0644`) even after an
`install -m 0600`. The env file with the webhook token, or a DKIM key, then ends up readable
by every user on the host. The finding says which default applied.

## Example
```sh
#!/bin/sh
cp deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
```

## Use instead
```sh
#!/bin/sh
install -m 0600 -o root -g root deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
```

## Options
Which destinations are secret comes from `secret-paths` in `[tool.kumolint]`. A mode
kumolint cannot know (a Jinja expression, `chmod --reference`) gives no finding.

## References
- coreutils install(1): "-m ... (as in chmod), instead of rwxr-xr-x"
- debhelper dh_fixperms(1); `execute_after_dh_fixperms` to restore a stricter mode
- Dockerfile reference: `COPY --chmod`
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._modes import exposed_secret_files, exposure, note, render_mode


@rule(id="KL402", name="secret-file-mode-implicit", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for fact, _reason in exposed_secret_files(model, "default"):
        default = fact.default_reason or f"{fact.tool} default"
        yield Report(
            fact.span,
            f"{fact.dest} gets no explicit mode and ends up {render_mode(fact, model)},"
            f" {exposure(fact)}: {default}{note(fact)}",
            key=fact.dest,
        )

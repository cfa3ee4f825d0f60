"""The KumoMTA env file is written, but nothing restarts or reloads KumoMTA afterwards.

## Why is this bad?
systemd reads `EnvironmentFile=` only when it starts the service, and the policy reads
`os.getenv` only in a fresh process. A script, postinst or playbook that writes new values
into the env file without a later `systemctl restart kumomta` (or an Ansible handler that
does it) leaves the old webhook token and proxy settings in force until some unrelated
restart, which is the "forgot to reload the service" mistake from the deployment document.
Image builds
(Dockerfile) are not checked: a container starts fresh. Neither are files a debhelper package
ships (`debian/rules`, `<pkg>.default`): the generated postinst restarts the service on
upgrade. RPM specs need `%systemd_postun_with_restart` or a restart in a scriptlet.

## Example
```sh
#!/bin/sh
install -m 0600 -o root -g root deploy/kumomta.env /etc/default/kumomta
```

## Use instead
```sh
#!/bin/sh
install -m 0600 -o root -g root deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
```

## Options
- `env-files` (list of globs, default `["/etc/default/kumomta", "/opt/kumomta/etc/*.env"]`):
  the destinations that are KumoMTA env files.

## References
- systemd.exec(5) `EnvironmentFile=`
- The deployment document, "Operational checks": restart or reload KumoMTA
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.finding import Severity, Span
from kumolint.model import RepoModel
from kumolint.registry import Report, rule
from kumolint.rules._modes import DEFAULT_ENV_FILES, matches, restart_scope, restarts_kumomta

# Image builds start the service fresh; debhelper packages get a generated postinst that
# restarts the service on upgrade (dh_installsystemd/dh_installinit).
_RESTARTED_BY_THE_TOOL = ("Dockerfile", "dh_", "debian/rules")
_ORDER_FREE = ("rpm", "%")


@dataclass(frozen=True)
class Options:
    env_files: tuple[str, ...] = DEFAULT_ENV_FILES


@rule(id="KL406", name="env-change-without-restart", severity=Severity.WARNING, options=Options)
def check(model: RepoModel, options: Options) -> Iterator[Report]:
    restarts = [r for r in model.of(ServiceRestart) if restarts_kumomta(r)]
    handlers = {r.handler for r in model.of(ServiceRestart) if r.handler is not None}
    kumo_handlers = {r.handler for r in restarts if r.handler is not None}
    plain = [r for r in restarts if r.handler is None]
    for fact in model.of(InstalledFile):
        if not fact.writes or not matches(fact.dest, options.env_files):
            continue
        if fact.tool.startswith(_RESTARTED_BY_THE_TOOL):
            continue
        if any(
            name in kumo_handlers or (name not in handlers and "kumo" in name.lower())
            for name in fact.notifies
        ):
            continue
        written = fact.write_span or fact.span
        if any(_restarts_after(restart, fact, written) for restart in plain):
            continue
        yield Report(
            written,
            f"{fact.dest} is written here but nothing restarts or reloads kumomta afterwards",
            key=fact.dest,
        )


def _restarts_after(restart: ServiceRestart, fact: InstalledFile, written: Span) -> bool:
    """In the same script a restart must come after the write; across files order is unknown.

    RPM scriptlets run after the files are installed wherever they stand in the spec.
    """
    if restart_scope(restart.span.path) != restart_scope(fact.span.path):
        return False
    if restart.span.path != written.path or fact.tool.startswith(_ORDER_FREE):
        return True
    return (restart.span.line, restart.span.column) >= (written.line, written.column)

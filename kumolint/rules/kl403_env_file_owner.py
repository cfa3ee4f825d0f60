"""The KumoMTA env file is not owned by root:root, or its group may read or write it.

## Why is this bad?
The env file is read by the service manager (systemd runs as root) before kumod starts, so
nobody else needs it: `root:root 0600` is what the deployment document asks for. An owner
other than root can rewrite the webhook token and proxy settings that the next restart picks
up; a group grant hands the secrets to every member of that group. Files KumoMTA itself reads
at run time, like DKIM keys (`0640 root:kumod`), are a different case and are not checked
here. World-readable modes are reported by KL401/KL402 instead.

## Example
```sh
#!/bin/sh
install -m 0640 -o kumod -g kumod deploy/kumomta.env /etc/default/kumomta
systemctl restart kumomta
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
- The deployment document: `sudo chown root:root /etc/default/kumomta`
- systemd.exec(5) `EnvironmentFile=`
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import Report, rule
from kumolint.rules._modes import DEFAULT_ENV_FILES, exposure, matches

_ROOT = ("root", "0")


@dataclass(frozen=True)
class Options:
    env_files: tuple[str, ...] = DEFAULT_ENV_FILES


@rule(id="KL403", name="env-file-owner", severity=Severity.WARNING, options=Options)
def check(model: RepoModel, options: Options) -> Iterator[Report]:
    for fact in model.of(InstalledFile):
        if not matches(fact.dest, options.env_files):
            continue
        problems = []
        if fact.owner is not None and fact.owner not in _ROOT and "{" not in fact.owner:
            problems.append(f"owner {fact.owner}")
        if fact.group is not None and fact.group not in _ROOT and "{" not in fact.group:
            problems.append(f"group {fact.group}")
        ownership_span = fact.owner_span or fact.span
        if problems:
            yield Report(
                ownership_span,
                f"{fact.dest} has {' and '.join(problems)}, not root:root",
                key=f"{fact.dest}:owner",
            )
        group_bits = (fact.mode or 0) & fact.known_bits & 0o060
        if group_bits and not exposure(fact):
            access = {0o040: "read", 0o020: "write", 0o060: "read and write"}[group_bits]
            yield Report(
                fact.span,
                f"{fact.dest} gets mode {fact.mode or 0:04o}: its group may {access} it",
                key=f"{fact.dest}:group",
            )

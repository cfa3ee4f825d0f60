"""The KumoMTA unit never loads `/etc/default/kumomta` with `EnvironmentFile=`.

## Why is this bad?
The deployment keeps the per-host values (webhook URL and token, proxy host, port, egress IP,
EHLO name) in `/etc/default/kumomta`, and the policy reads them from its environment. The
stock `kumomta.service` only reads `/opt/kumomta/etc/kumo-common.env` and
`/opt/kumomta/etc/kumod.env`, so unless a unit or drop-in adds
`EnvironmentFile=/etc/default/kumomta`, the policy starts with none of them. With a `-` prefix
(`EnvironmentFile=-/etc/default/kumomta`) systemd silently skips a missing file, so a host
where the file was never installed starts without its settings (reported as a note).

## Example
```systemd path=systemd/kumomta.service.d/override.conf
[Service]
EnvironmentFile=-/opt/kumomta/etc/kumod.env
```

## Use instead
```systemd path=systemd/kumomta.service.d/override.conf
[Service]
EnvironmentFile=/etc/default/kumomta
```

## Options
- `env-file` (default `"/etc/default/kumomta"`): the environment file the unit must load.

## References
- systemd.exec(5): `EnvironmentFile=`
- KumoMTA `assets/kumomta.service`
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.facts.systemd import EnvironmentFileRef, UnitFile
from kumolint.finding import Related, Severity
from kumolint.model import RepoModel
from kumolint.registry import Report, rule
from kumolint.rules._systemd import is_kumomta_unit, unit_base


@dataclass(frozen=True)
class Options:
    env_file: str = "/etc/default/kumomta"


@rule(id="KL405", name="env-file-not-loaded", severity=Severity.WARNING, options=Options)
def check(model: RepoModel, options: Options) -> Iterator[Report]:
    units = [u for u in model.of(UnitFile) if is_kumomta_unit(u)]
    refs = model.of(EnvironmentFileRef)
    for name in sorted({u.unit for u in units}):
        # A fragment whose file name does not say its unit may belong to any of them.
        own = [r for r in refs if r.unit in (name, "")]
        loading = [r for r in own if r.path == options.env_file]
        if any(not r.optional for r in loading):
            continue
        for ref in loading:
            yield Report(
                ref.span,
                f"EnvironmentFile=-{options.env_file}: the '-' prefix silently skips a "
                "missing file",
                key=f"optional:{name}",
                severity=Severity.NOTE,
            )
        if loading:
            continue
        files = sorted((u for u in units if u.unit == name), key=lambda u: (u.dropin, u.path))
        label = name or unit_base(files[0].path.rpartition("/")[2])
        yield Report(
            files[0].span,
            f"{label} never loads {options.env_file} with EnvironmentFile=",
            key=name or files[0].path,
            related=tuple(Related(r.span, f"loads {r.path} instead") for r in own),
        )

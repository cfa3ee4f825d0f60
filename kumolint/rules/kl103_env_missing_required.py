"""A KumoMTA env file or template lacks a required variable.

## Why is this bad?
The policy reads its per-deployment values with `os.getenv`. A variable missing from the env
file makes `os.getenv` return `nil`: an `assert` stops KumoMTA at start, and an
`or 'default'` fallback silently uses the wrong webhook, proxy or HELO name. The template is
where operators learn which variables to set, so it must list all of them.

A KumoMTA env file is one named like it (`default/kumomta`, `kumomta.env`, `kumod.env`,
`kumo-common.env`, debian `kumomta.default`, and their `*.example`/`*.j2` templates) or one
that sets at least two of the required variables, one of them not a webhook variable (the
application that receives the webhooks holds those too), or one that a manifest (Ansible,
Dockerfile, RPM spec ...) installs as `/etc/default/kumomta` or `/opt/kumomta/etc/*.env`.
`kumo-common.env` and `kumod.env` in one directory are read together by the stock
`kumomta.service` and are checked as one. A line systemd ignores (`export NAME=...`) does not
count. The list comes from `[tool.kumolint] required-env`.

The finding points at the first variable of the file, so a `kumolint: ignore[KL103]` comment
on the line above it suppresses it (or use `per-file-ignores`).

## Example
```env path=deploy/kumomta.env
PING8_WEBHOOK_TOKEN=<PING8_WEBHOOK_TOKEN>
PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events
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
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Related, Severity, Span
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._env import EnvFileView, kumomta_env_files, pair_directory


@rule(id="KL103", name="env-missing-required", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    config = model.config
    groups: dict[str, list[EnvFileView]] = {}
    for view in kumomta_env_files(model):
        groups.setdefault(pair_directory(view) or view.file.path, []).append(view)
    for views in groups.values():
        views.sort(key=lambda v: v.file.path)
        present = frozenset().union(*(v.names for v in views))
        missing = [name for name in config.required_env if name not in present]
        if not missing:
            continue
        first, *others = views
        yield Report(
            _anchor(first),
            f"KumoMTA env file lacks required {_plural(missing)}: {', '.join(missing)}",
            key="missing required-env",  # one per file: adding a variable keeps its identity
            related=tuple(Related(o.file.span, "read together with this file") for o in others),
        )


def _anchor(view: EnvFileView) -> Span:
    """The start of the first variable's line, so an ignore comment above it applies."""
    if not view.assignments:
        return view.file.span
    name = view.assignments[0].name_span
    return Span(name.path, name.line, 1)


def _plural(missing: list[str]) -> str:
    return "variable" if len(missing) == 1 else "variables"

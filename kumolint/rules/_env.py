"""Shared judgements of the env-file rules (KL101-KL105), usable by other families too.

"Is this a KumoMTA env file?" has one answer here: by name (`default/kumomta`, `kumomta.env`,
`kumod.env`, `kumo-common.env`, debian `kumomta.default`, and their templates) or by content
(it assigns at least two `required-env` variables, one of them not a webhook or injection
variable, which the PING8 application holds too) or by install target (a manifest installs it
as `/etc/default/kumomta` or `/opt/kumomta/etc/*.env`). KumoProxy's `kumoproxy.env` is not one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kumolint.config import Config
from kumolint.facts.env import EnvAssignment, EnvFile
from kumolint.facts.modes import InstalledFile
from kumolint.model import RepoModel
from kumolint.rules._modes import source_path
from kumolint.values import is_high_entropy, is_secret_name

KUMOMTA_ENV_NAMES = frozenset(
    {
        "kumomta",
        "kumod",
        "kumo-common",
        "kumomta.env",
        "kumod.env",
        "kumo-common.env",
        "kumomta.default",
        "kumod.default",
        "kumomta.conf",
    }
)
# The stock kumomta.service reads both; variables may be split between them.
STOCK_PAIR = frozenset({"kumo-common.env", "kumod.env"})
SECRET_ROLES = ("injection-token", "webhook-token")
# The application that injects mail and receives webhooks holds these too, so they alone do
# not make a file KumoMTA's.
APP_SHARED_ROLES = ("injection-token", "webhook-token", "webhook-url")
# Systemd unit `Environment=` lines are EnvAssignments too (dialect "unit-environment"); their
# secrets are KL404's, so the env-file secret rule reads only these.
ENV_FILE_DIALECTS = frozenset(
    {"systemd", "dotenv", "k8s-secret", "k8s-configmap", "k8s-env", "compose"}
)
# Dialects whose assignments belong to an owner (a service, a container, a Secret's name).
OWNED_DIALECTS = frozenset({"compose", "k8s-secret", "k8s-configmap", "k8s-env"})
_PATH_LIKE = re.compile(r"(?:\.{1,2}|~)?(?:/[A-Za-z0-9._-]{1,40}){2,}/?")
# Where KumoMTA's units (or the PING8 drop-in) read their environment from.
_KUMOMTA_ENV_DEST = re.compile(
    r"/etc/default/(?:kumomta|kumod)|/opt/kumomta/etc/(?!kumoproxy)[^/]+\.env"
)
_KUMO_OWNER = re.compile(r"kumomta|kumod|kumo-mta", re.IGNORECASE)
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=]([^}]*)\}")


# Something every detect-secrets regex plugin needs to match a bare value (its vendor prefix
# or keyword), so values without it skip the ~0.2-0.4 s detect-secrets import on the hook path.
@dataclass(frozen=True)
class EnvFileView:
    """One env file with its assignments, in file order."""

    file: EnvFile
    assignments: tuple[EnvAssignment, ...]

    @property
    def names(self) -> frozenset[str]:
        """Names the consumer actually sets (lines it ignores do not count)."""
        return frozenset(a.name for a in self.assignments if not a.ignored)


def env_files(model: RepoModel) -> list[EnvFileView]:
    by_path: dict[str, list[EnvAssignment]] = {}
    for assignment in model.of(EnvAssignment):
        by_path.setdefault(assignment.span.path, []).append(assignment)
    return [EnvFileView(f, tuple(by_path.get(f.path, ()))) for f in model.of(EnvFile)]


def is_kumomta_env_file(view: EnvFileView, config: Config) -> bool:
    """Named like KumoMTA's env file, or sets two or more `required-env` variables (see above)."""
    if view.file.base_name in KUMOMTA_ENV_NAMES:
        return True
    if view.file.base_name.startswith("kumoproxy"):
        return False
    required = view.names & set(config.required_env)
    shared = {name for role in APP_SHARED_ROLES for name in config.role_names(role)}
    return len(required) >= 2 and bool(required - shared)


def is_kumomta_owner(assignment: EnvAssignment) -> bool:
    """A compose service, container, Secret or ConfigMap of KumoMTA (not of KumoProxy)."""
    text = f"{assignment.owner} {assignment.image}"
    return bool(_KUMO_OWNER.search(text)) and "kumoproxy" not in text.lower()


def installed_as_kumomta_env(model: RepoModel) -> frozenset[str]:
    """Repo files a manifest installs where KumoMTA reads its environment, whatever their name."""
    found = set()
    for fact in model.of(InstalledFile):
        if fact.writes and _KUMOMTA_ENV_DEST.fullmatch(fact.dest):
            source = source_path(model, fact)
            if source is not None:
                found.add(source)
    return frozenset(found)


def kumomta_env_files(model: RepoModel) -> list[EnvFileView]:
    """The env files (systemd/dotenv) KumoMTA reads: by name, by content or by install target."""

    def find() -> list[EnvFileView]:
        installed = installed_as_kumomta_env(model)
        return [
            view
            for view in env_files(model)
            if view.file.path in installed or is_kumomta_env_file(view, model.config)
        ]

    return model.derived("kumomta-env-files", find)


def kumomta_assignments(model: RepoModel) -> Iterable[EnvAssignment]:
    """Every assignment that lands in KumoMTA's environment, as far as the repo says."""
    kumo_paths = {view.file.path for view in kumomta_env_files(model)}
    for assignment in model.of(EnvAssignment):
        in_file = assignment.span.path in kumo_paths
        in_object = assignment.dialect in OWNED_DIALECTS
        if in_file or (in_object and is_kumomta_owner(assignment)):
            yield assignment


def interpolation_defaults(text: str) -> list[str]:
    """The defaults of `${NAME:-default}` / `${NAME-default}` (compose, dotenv, shell)."""
    return [match[1] for match in _DEFAULT.finditer(text)]


def secret_variable_names(config: Config) -> tuple[str, ...]:
    return tuple(name for role in SECRET_ROLES for name in config.role_names(role))


def is_secret_variable(name: str, config: Config) -> bool:
    return is_secret_name(name, secret_variable_names(config))


def role_of(name: str, config: Config, roles: Iterable[str]) -> str | None:
    for role in roles:
        if name in config.role_names(role):
            return role
    return None


def is_file_reference(text: str) -> bool:
    """`/run/secrets/api_token`: a path to where the secret lives, not the secret."""
    stripped = text.strip()
    if not _PATH_LIKE.fullmatch(stripped):
        return False
    return not any(is_high_entropy(segment) for segment in stripped.split("/"))


def pair_directory(view: EnvFileView) -> str | None:
    """The directory of a stock `kumo-common.env` / `kumod.env` file (they are read together)."""
    if view.file.base_name in STOCK_PAIR:
        return f"{posixpath.dirname(view.file.path)}|{view.file.template}"
    return None

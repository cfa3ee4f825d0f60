"""Facts from env-style files: systemd EnvironmentFile, dotenv, Kubernetes Secrets, compose."""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span
from kumolint.model import Value


@dataclass(frozen=True, slots=True)
class EnvAssignment:
    """`NAME=value` in an env-style file. `span` points at the value, `name_span` at the name."""

    name: str
    value: Value
    span: Span
    name_span: Span
    dialect: str  # "systemd" | "dotenv" | "k8s-secret" | "compose" | "unit-environment"
    quoted: bool = False
    # The consumer drops this line (systemd ignores `export NAME=...`): the value is still
    # committed, but the variable is not set.
    ignored: bool = False
    # k8s-secret: the Secret's metadata.name; compose: the service name.
    owner: str = ""
    # compose: the service's image (empty elsewhere).
    image: str = ""


@dataclass(frozen=True, slots=True)
class EnvFile:
    """A whole env-style file (its assignments are EnvAssignment facts with the same path)."""

    path: str
    dialect: str
    span: Span
    # The file name without template suffixes (`kumomta.env.j2` -> `kumomta.env`), lower case.
    base_name: str = ""
    # Named like a template (*.example, *.sample, *.template, *.dist, *.j2, ...).
    template: bool = False

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
    # "systemd" | "dotenv" | "k8s-secret" | "k8s-configmap" | "k8s-env" | "compose"
    # | "unit-environment"
    dialect: str
    quoted: bool = False
    # The consumer drops this line (systemd ignores `export NAME=...`): the value is still
    # committed, but the variable is not set.
    ignored: bool = False
    # k8s-secret/k8s-configmap: metadata.name; k8s-env: the container; compose: the service.
    owner: str = ""
    # compose and k8s-env: the image (empty elsewhere).
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

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


@dataclass(frozen=True, slots=True)
class EnvFile:
    """A whole env-style file (its assignments are EnvAssignment facts with the same path)."""

    path: str
    dialect: str
    span: Span

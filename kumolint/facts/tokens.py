"""Token facts: raw definitions from deployment YAML, and the role model's `TokenRef`.

The YAML extractor records what is written (an Ansible var and its value, a Kubernetes
`secretKeyRef`); which variable plays which role is configuration, so
`kumolint.rules._tokens` turns these and the env, policy and Nginx facts into `TokenRef`s.
"""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span
from kumolint.model import Value

KINDS = ("literal", "env-var", "template-var", "vault-var", "secret-ref")


@dataclass(frozen=True, slots=True)
class TokenRef:
    """One place a token is defined or used, in one role.

    `role` is a role of the config ("injection-token", "webhook-token"). `kind` is one of
    KINDS: a literal (`value` set), or a reference to an env var, a template (Jinja/Helm)
    variable, an Ansible vault variable or a Kubernetes secret key (`name`, "secret/key").
    `label` names the place for messages (a variable name, "webhook Authorization header").
    """

    role: str
    kind: str
    name: str | None
    value: Value | None
    span: Span
    label: str = ""


@dataclass(frozen=True, slots=True)
class VarDefinition:
    """A variable defined in deployment data: Ansible vars/defaults, Helm values.

    `name` is the variable (for Helm the dotted key path), `value` the raw scalar text,
    `vaulted` when the value is an inline `!vault` (unreadable, compared by name only).
    """

    name: str
    value: Value
    span: Span
    source: str  # "ansible" | "helm"
    vaulted: bool = False


@dataclass(frozen=True, slots=True)
class SecretKeyRef:
    """A Kubernetes container env var taken from a Secret: `valueFrom.secretKeyRef`."""

    env_name: str
    secret: str
    key: str
    span: Span

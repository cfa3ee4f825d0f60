"""Shared judgements for the KL2xx policy rules (KumoMTA Lua policy and helper data)."""

from __future__ import annotations

import ipaddress
import re

from kumolint.facts.lua import EnvRead, HttpAuth
from kumolint.model import RepoModel
from kumolint.values import ip_address, is_placeholder, is_secret_name, is_trivial

TOKEN_ROLES = ("injection-token", "webhook-token")
DEPLOYMENT_ROLES = ("webhook-url", "proxy-host", "egress-ip", "helo")
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_PATH_LIKE = re.compile(r"^(?:/|\./|\.\./|~/)[^\s]*$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S*$")
_URL_CREDENTIALS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]+@")


def is_literal_secret(text: str) -> bool:
    """A literal that would work as a credential: not a placeholder, not trivial, not a path."""
    if "-----BEGIN" in text and "PRIVATE KEY" in text:
        return False  # a PEM block: KL106 reports it in every file, Lua included
    stripped = text.strip()
    if _URL.match(stripped) and not _URL_CREDENTIALS.match(stripped):
        return False  # `token_url = 'https://…/token'` names where a token comes from
    return not (is_placeholder(text) or is_trivial(text) or _PATH_LIKE.match(stripped))


def role_names(model: RepoModel, roles: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name for role in roles for name in model.config.role_names(role))


def token_env_names(model: RepoModel) -> frozenset[str]:
    """Env variables the policy sends as HTTP credentials."""
    return frozenset(
        auth.token.env_name for auth in model.of(HttpAuth) if auth.token.env_name is not None
    )


def token_expressions(model: RepoModel) -> frozenset[str]:
    """Names the policy sends as HTTP credentials (`constants.key`), resolved across files."""
    return frozenset(
        auth.token.expression for auth in model.of(HttpAuth) if auth.token.expression is not None
    )


class SecretFallbacks:
    """Which `os.getenv('<secret>') or '<literal>'` reads are KL202's (KL203/KL204 skip them).

    A read is a secret's when the variable or the name it is stored in says so, when the
    variable plays a token role, or when the policy sends it (or that name) as a credential.
    """

    def __init__(self, model: RepoModel) -> None:
        self.extra = role_names(model, TOKEN_ROLES) | token_env_names(model)
        self.expressions = token_expressions(model)

    def __contains__(self, read: EnvRead) -> bool:
        if read.fallback is None:
            return False
        binding = read.binding or ""
        if is_secret_name(read.name, self.extra) or binding in self.expressions:
            return True
        return bool(binding) and is_secret_name(binding.rpartition(".")[2])


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost`, as an address or a network inside them."""
    text = host.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    if ip_address(text) is not None:
        address = ip_address(text)
        return any(address in net for net in _LOOPBACK)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return any(
        network.version == net.version and network.subnet_of(net)  # type: ignore[arg-type]
        for net in _LOOPBACK
    )

"""Facts about key material found in any file kumolint reads."""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span


@dataclass(frozen=True, slots=True)
class PemBlock:
    """A `-----BEGIN <label>-----` block; `label` is e.g. "RSA PRIVATE KEY" or "CERTIFICATE"."""

    label: str
    span: Span
    complete: bool  # the matching END line is there
    encrypted: bool  # Proc-Type: 4,ENCRYPTED or "ENCRYPTED PRIVATE KEY"


@dataclass(frozen=True, slots=True)
class VaultEncrypted:
    """A file encrypted with ansible-vault (or sops): its content is not readable text."""

    path: str
    span: Span

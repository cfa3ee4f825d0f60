"""PEM blocks (`-----BEGIN … -----`) in key files and embedded in any file kumolint reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kumolint.facts.keys import PemBlock, VaultEncrypted
from kumolint.finding import Span
from kumolint.parsers import parser
from kumolint.parsers._text import LineIndex

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_VAULT = re.compile(r"\A\s*(\$ANSIBLE_VAULT;|sops:)", re.MULTILINE)


@parser(
    "pem",
    globs=(
        "*.key",
        "*.pem",
        "*.p8",
        "*.pk8",
        "id_rsa*",
        "id_ecdsa*",
        "id_ed25519*",
        "id_dsa*",
        "*.priv",
        "*_rsa",
        "*_ed25519",
        "*_ecdsa",
        "*.crt",
        "*.cer",
    ),
    piggyback=True,
)
def parse(path: str, text: str) -> Iterator[Any]:
    if "-----BEGIN" not in text and "$ANSIBLE_VAULT" not in text:
        return
    index = LineIndex(text)
    if _VAULT.match(text):
        yield VaultEncrypted(path, Span(path, 1, 1))
        return
    for match in _BEGIN.finditer(text):
        label = match[1].strip()
        end_marker = f"-----END {label}-----"
        end = text.find(end_marker, match.end())
        block = text[match.end() : end if end != -1 else match.end() + 200]
        encrypted = "ENCRYPTED" in label or "Proc-Type: 4,ENCRYPTED" in block
        stop = end + len(end_marker) if end != -1 else match.end()
        yield PemBlock(label, index.span(path, match.start(), stop), end != -1, encrypted)

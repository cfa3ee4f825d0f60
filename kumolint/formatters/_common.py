"""Helpers shared by the formats: JSON text, stable per-result fingerprints, SARIF-style URIs."""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from kumolint.finding import Finding


def unique_fingerprints(findings: Iterable[Finding]) -> Iterator[tuple[Finding, str]]:
    """Each finding with its content fingerprint, suffixed `:2`, `:3` ... on repeats.

    Two findings with the same rule, path and key (the same variable set twice in one file)
    share a content fingerprint; CI systems merge results with equal fingerprints, so the
    repeats are numbered in report order, which is deterministic (findings are sorted).
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    for finding in findings:
        identity = (finding.rule_id, finding.span.path, finding.fingerprint)
        seen[identity] += 1
        count = seen[identity]
        yield finding, finding.fingerprint if count == 1 else f"{finding.fingerprint}:{count}"


def path_uri(path: str) -> str:
    """A repo-relative path as a URI reference (non-UTF-8 bytes survive as percent escapes)."""
    raw = path.encode("utf-8", "surrogateescape")
    return urllib.parse.quote(raw, safe="/-._~")


def json_text(document: Any) -> str:
    """Indented ASCII JSON in which a non-UTF-8 byte of a file name reads as `\\xNN`: strict
    JSON readers reject the lone surrogates Python would otherwise write."""
    return json.dumps(_readable(document), indent=2, ensure_ascii=True) + "\n"


def _readable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {_readable(k): _readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value

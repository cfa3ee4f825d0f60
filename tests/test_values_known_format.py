"""`known_format` skips detect-secrets for text no plugin pattern can match: check that the
shortcut never hides a match, against the plugins installed here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kumolint import values


def _plugin_patterns() -> list[tuple[str, re.Pattern[str]]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    mapping: dict[str, Any] = get_mapping_from_secret_type_to_class()
    found: list[tuple[str, re.Pattern[str]]] = []
    for secret_type, plugin_class in sorted(mapping.items()):
        if not issubclass(plugin_class, RegexBasedDetector):
            continue
        if secret_type in values._WEAK_DETECT_SECRETS_TYPES:
            continue
        found.extend((secret_type, pattern) for pattern in plugin_class().denylist)
    return found


PATTERNS = _plugin_patterns()


def _reference(text: str) -> str | None:
    """`known_format` without the shortcut: every plugin pattern, in the same order."""
    if text.startswith("-----BEGIN") and "PRIVATE KEY" in text:
        return "private key"
    for secret_type, pattern in PATTERNS:
        if pattern.search(text):
            return secret_type
    return None


def test_the_installed_plugins_are_the_ones_the_shortcut_was_written_for() -> None:
    assert len(PATTERNS) >= 40
    assert {t for t, _ in PATTERNS} >= {"AWS Access Key", "Public IP (ipv4)", "Twilio API Key"}


@pytest.mark.parametrize(
    "pattern", tuple(p for _, p in PATTERNS), ids=[f"{t}-{n}" for n, (t, _) in enumerate(PATTERNS)]
)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_match_of_a_plugin_pattern_passes_the_shortcut(
    pattern: re.Pattern[str], data: st.DataObject
) -> None:
    text = data.draw(st.from_regex(pattern))
    if pattern.search(text):  # from_regex ignores lookbehinds: keep real matches only
        assert values._VENDOR_SHAPE.search(text), text


@pytest.mark.parametrize(
    "text",
    (
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_" + "a" * 36,
        "xoxb-123-456-abc",
        "8.8.8.8",
        "mailchimp0123456789abcdef0123456789ab-us12",
        "value-3",
        "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1e",
        "",
        "\u017foftlayer_key = " + "a" * 64,  # long s: matches "s" ignoring case
        "\u212aEY",  # Kelvin sign: matches "k" ignoring case
    ),
)
def test_known_format_gives_what_the_full_scan_gives(text: str) -> None:
    assert values.known_format(text) == _reference(text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=80))
def test_known_format_gives_what_the_full_scan_gives_on_any_text(text: str) -> None:
    assert values.known_format(text) == _reference(text)

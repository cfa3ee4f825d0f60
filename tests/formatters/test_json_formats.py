"""Every JSON-based format is strict UTF-8 JSON, even for file names that are not UTF-8."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kumolint.formatters import get
from tests.formatters._sample import ODD_PATH, sample_output

READABLE = ODD_PATH.replace("\udce9", "\\xe9")  # the undecodable byte, spelled out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize(
    ("name", "spelled"),
    (
        pytest.param("json", READABLE, id="json"),
        pytest.param("gitlab", READABLE, id="gitlab"),
        pytest.param("sarif", "deploy/caf%E9%2C%2050%25%3Ax.env", id="sarif uri"),
    ),
)
def test_non_utf8_file_names_are_readable_not_lone_surrogates(name: str, spelled: str) -> None:
    text = get(name)(sample_output())
    assert "\\udc" not in text
    text.encode("utf-8", "strict")  # no lone surrogate can reach a file or pipe
    strings = _strings(json.loads(text))
    assert spelled in strings
    assert ODD_PATH not in strings

"""Compose each YAML file once and hand the documents to every registered YAML extractor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kumolint.parsers import parser
from kumolint.parsers._yaml import YAML_EXTRACTORS, compose


@parser("yaml", globs=("*.yml", "*.yaml"))
def parse(path: str, text: str) -> Iterator[Any]:
    documents, errors = compose(path, text)
    yield from errors
    for name in sorted(YAML_EXTRACTORS):
        yield from YAML_EXTRACTORS[name](path, documents)

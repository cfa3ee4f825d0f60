"""Compose each YAML file once and hand the documents to every registered YAML extractor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kumolint.parsers import parser
from kumolint.parsers._yaml import YAML_EXTRACTORS, blank_templates, compose, is_templated


@parser("yaml", globs=("*.yml", "*.yaml"))
def parse(path: str, text: str) -> Iterator[Any]:
    documents, errors = compose(path, text)
    if errors and is_templated(text):
        # A Helm or Jinja template is not YAML until rendered: read it with the markup
        # blanked, and do not report the template's syntax as a YAML error.
        documents, errors = compose(path, blank_templates(text))
        errors = []
    yield from errors
    for name in sorted(YAML_EXTRACTORS):
        yield from YAML_EXTRACTORS[name](path, documents)

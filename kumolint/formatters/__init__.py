"""Output formats: one module per format, each with `render(output) -> str` and no I/O.

A format's name is its module's name; the modules are found by walking this package, so a
new format is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kumolint import __version__
from kumolint.finding import Finding
from kumolint.model import SkippedFile
from kumolint.registry import Rule


@dataclass(frozen=True)
class Output:
    """Everything a formatter may show about one run."""

    findings: Sequence[Finding]
    rules: Mapping[str, Rule]
    files_scanned: int = 0
    skipped: Sequence[SkippedFile] = ()
    suppressed: Sequence[Finding] = ()  # filled only with --show-suppressed
    tool_version: str = __version__


Render = Callable[[Output], str]


def available() -> list[str]:
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
    )


def get(name: str) -> Render:
    if name not in available():
        raise KeyError(name)
    module = importlib.import_module(f"{__name__}.{name}")
    render: Render = module.render
    return render

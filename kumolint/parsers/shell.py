"""Shell scripts, Makefiles and Debian maintainer scripts through the shell-command model.

Routing: `*.sh`, `*.bash`, Makefiles (`Makefile`, `GNUmakefile`, `*.mk`), Debian maintainer
scripts, and extension-less files under `scripts/`, `bin/` or `deploy/` that start with a shell
shebang. A Makefile recipe line is its own shell (the umask starts over), but the files it
touches stay in one model, so a `chmod` in a later recipe still applies. An RPM spec written
by a heredoc (`cat > x.spec <<EOF`) is read as a spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kumolint.parsers import parser
from kumolint.parsers._shell import Context, ShellModel
from kumolint.parsers._text import LineIndex

_SHEBANG = re.compile(r"#![ \t]*\S*/(?:env[ \t]+)?(?:ba|da|k|z|a)?sh\b")
_MAKE_ASSIGNMENT = re.compile(
    r"^(?:export[ \t]+|override[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*[:?+!]?=[ \t]*(.*)$"
)
_MAINTAINER = ("postinst", "preinst", "postrm", "prerm", "config")
_MAKEFILE_NAMES = ("makefile", "gnumakefile")


@parser(
    "shell",
    globs=(
        "*.sh",
        "*.bash",
        "Makefile",
        "GNUmakefile",
        "makefile",
        "*.mk",
        "**/debian/postinst",
        "**/debian/preinst",
        "**/debian/postrm",
        "**/debian/prerm",
        "**/debian/*.postinst",
        "**/debian/*.preinst",
        "**/debian/*.postrm",
        "**/debian/*.prerm",
        "**/DEBIAN/postinst",
        "**/DEBIAN/preinst",
        "**/scripts/*",
        "**/bin/*",
        "**/deploy/*",
    ),
)
def parse(path: str, text: str) -> Iterator[Any]:
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower in _MAKEFILE_NAMES or lower.endswith(".mk"):
        yield from parse_makefile(path, text)
        return
    is_script = lower.endswith((".sh", ".bash")) or name.rsplit(".", 1)[-1] in _MAINTAINER
    if not is_script and not _SHEBANG.match(text):
        return
    model = ShellModel(path, text, LineIndex(text))
    model.run()
    yield from model.facts()
    yield from embedded_specs(model)


def parse_makefile(path: str, text: str, model: ShellModel | None = None) -> Iterator[Any]:
    """Every recipe line of a Makefile through one model; returns nothing but facts."""
    model = model or ShellModel(path, text, LineIndex(text))
    for start, end in recipe_lines(text, model.variables):
        model.run(start, end)
    yield from model.facts()


def recipe_lines(text: str, variables: dict[str, str]) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of each logical recipe line, after `@`, `-` and `+` prefixes.

    Top-level `NAME = value` assignments go into `variables` on the way.
    """
    offset = 0
    length = len(text)
    while offset < length:
        newline = text.find("\n", offset)
        end = length if newline == -1 else newline
        while end < length and end > offset and text[end - 1] == "\\":
            newline = text.find("\n", end + 1)
            end = length if newline == -1 else newline
        line = text[offset:end]
        if line.startswith("\t"):
            start = offset + 1
            while start < end and text[start] in "@-+ \t":
                start += 1
            yield start, end
        else:
            match = _MAKE_ASSIGNMENT.match(line)
            if match and "\\" not in line:
                variables[match.group(1)] = match.group(2).strip()
        offset = end + 1


def embedded_specs(model: ShellModel) -> Iterator[Any]:
    """Spec files and maintainer scripts that a build script writes with a heredoc."""
    from kumolint.parsers.rpmspec import analyze_spec

    for target, (start, end) in model.heredocs:
        if re.search(r"\.spec(?:\.in)?[\"']?$", target):
            yield from analyze_spec(model.path, model.text, start, end, model.index)
        elif re.search(r"(?:postinst|preinst)[\"']?$", target):
            name = target.strip("\"'").rsplit("/", 1)[-1]
            script = ShellModel(model.path, model.text, model.index, Context(prefix=f"{name} "))
            script.run(start, end)
            yield from script.facts()

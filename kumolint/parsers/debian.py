"""Debian packaging: `debian/rules` with dh_fixperms, `debian/<pkg>.default`, `<pkg>.install`.

debhelper's `dh_fixperms` runs `chmod go=rX,u+rw,a-s` over the whole package tree, so a file
installed `0600` in `override_dh_auto_install` ships `0644` unless a `chmod` follows in
`override_dh_fixperms` (after calling `dh_fixperms`) or `execute_after_dh_fixperms`, or the
file is excluded with `dh_fixperms -X`. An `override_dh_fixperms` that never calls
`dh_fixperms` disables the reset. `dh_installinit` installs `debian/<pkg>.default` as
`/etc/default/<pkg>` with mode 0644; `dh_install` copies `<pkg>.install` entries with their git
mode. Maintainer scripts go through the shell parser; their explicit modes win later (rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kumolint.facts.modes import InstalledFile
from kumolint.parsers import parser
from kumolint.parsers._shell import Context, Mode, ShellModel, lex, parse_mode
from kumolint.parsers._text import LineIndex
from kumolint.parsers.shell import recipe_lines

_TARGET = re.compile(r"^([A-Za-z0-9_.%$()/-]+(?:[ \t]+[A-Za-z0-9_.%$()/-]+)*)[ \t]*::?(?!=)")
_FIXPERMS_RESET = "go=rX,u+rw,a-s"
_AFTER_FIXPERMS = re.compile(
    r"^(?:override_|execute_before_|execute_after_)?dh_(?:missing|dwz|strip|makeshlibs"
    r"|shlibdeps|installdeb|gencontrol|md5sums|builddeb)$"
)
_RESET_REASON = "dh_fixperms resets every packaged file to go=rX,u+rw"


@parser("debian", globs=("**/debian/rules", "**/debian/*.default", "**/debian/*.install"))
def parse(path: str, text: str) -> Iterator[Any]:
    name = path.rsplit("/", 1)[-1]
    if name == "rules":
        yield from parse_rules(path, text)
    elif name.endswith(".default"):
        yield from parse_default(path, text)
    else:
        yield from parse_install(path, text)


def parse_default(path: str, text: str) -> Iterator[InstalledFile]:
    stem = path.rsplit("/", 1)[-1].removesuffix(".default")
    dest = f"/etc/default/{stem.rsplit('.', 1)[-1]}"
    yield InstalledFile(
        dest=dest,
        mode=0o644,
        mode_source="default",
        tool="dh_installinit",
        span=LineIndex(text).span(path, 0),
        default_reason=f"dh_installinit installs {stem}.default as {dest} with mode 0644",
        source=path.rsplit("/", 1)[-1],
    )


def parse_install(path: str, text: str) -> Iterator[InstalledFile]:
    index = LineIndex(text)
    offset = 0
    for line in text.split("\n"):
        words = line.split()
        if len(words) >= 2 and not line.lstrip().startswith("#"):
            *sources, directory = words
            for source in sources:
                base = source.rstrip("/").rsplit("/", 1)[-1]
                yield InstalledFile(
                    dest=f"/{directory.strip('/')}/{base}",
                    mode=0o644,
                    mode_source="default",
                    tool="dh_install",
                    span=index.span(path, offset, offset + len(line)),
                    default_reason="dh_install keeps the git mode and " + _RESET_REASON,
                    source=source,
                )
        offset += len(line) + 1


def parse_rules(path: str, text: str) -> Iterator[Any]:
    index = LineIndex(text)
    model = ShellModel(path, text, index, Context(prefix="debian/rules "))
    targets: dict[str, list[tuple[int, int]]] = {}
    order: list[str] = []
    uses_dh = False
    current: list[str] = []
    lines = list(recipe_lines(text, model.variables))
    recipe_starts = {start for start, _ in lines}
    for start, end in _target_and_recipe_lines(text, recipe_starts):
        if start in recipe_starts:
            for target in current:
                targets[target].append((start, end))
            uses_dh |= bool(re.match(r"dh(?:_fixperms)?\b", text[start:end]))
            continue
        match = _TARGET.match(text[start:end])
        if match:
            current = match.group(1).split()
            for target in current:
                if target not in targets:
                    targets[target] = []
                    order.append(target)
    before = [t for t in order if "dh_fixperms" not in t and not _AFTER_FIXPERMS.match(t)]
    after = [t for t in order if _AFTER_FIXPERMS.match(t)]
    for target in [*before, "execute_before_dh_fixperms"]:
        _run(model, targets.get(target, []), uses_dh=False)
    if "override_dh_fixperms" in targets:
        _run(model, targets["override_dh_fixperms"], uses_dh=True)
    elif uses_dh:
        _reset(model, None, [])
    for target in ["execute_after_dh_fixperms", *after]:
        _run(model, targets.get(target, []), uses_dh=False)
    yield from model.facts()


def _target_and_recipe_lines(text: str, recipe_starts: set[int]) -> Iterator[tuple[int, int]]:
    """Every line start of `text`, with recipe lines reported at their command offset."""
    offset = 0
    recipe_iter = iter(sorted(recipe_starts))
    next_recipe = next(recipe_iter, None)
    while offset < len(text):
        newline = text.find("\n", offset)
        end = len(text) if newline == -1 else newline
        if next_recipe is not None and offset <= next_recipe <= end:
            while end < len(text) and text[end - 1] == "\\":
                newline = text.find("\n", end + 1)
                end = len(text) if newline == -1 else newline
            yield next_recipe, end
            next_recipe = next(recipe_iter, None)
        else:
            yield offset, end
        offset = end + 1


def _run(model: ShellModel, lines: list[tuple[int, int]], *, uses_dh: bool) -> None:
    for start, end in lines:
        lexed = lex(model.text, start, end)
        model.umask = model.context.umask
        for command in lexed.commands:
            words = [w.text for w in command.words]
            if uses_dh and words and words[0] == "dh_fixperms":
                _reset(model, command.start, words[1:])
            else:
                model.replay([command])


def _reset(model: ShellModel, at: int | None, options: list[str]) -> None:
    excluded = [o[2:] for o in options if o.startswith("-X") and len(o) > 2]
    excluded += [o.partition("=")[2] for o in options if o.startswith("--exclude=")]
    for state in model.files.values():
        if any(item and item in state.dest for item in excluded):
            continue
        mode = parse_mode(_FIXPERMS_RESET, state.mode) or Mode(0, 0)
        if mode == state.mode:
            continue
        state.mode = mode
        state.mode_source = "default"
        state.tool = "dh_fixperms"
        was = f" (it was installed {state.raw_mode})" if state.raw_mode else ""
        state.default_reason = f"{_RESET_REASON}{was}"

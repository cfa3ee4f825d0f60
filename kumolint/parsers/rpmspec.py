"""RPM spec files: the mode each `%files` entry gets on the target host.

Hand-written and line-oriented (the `specfile` library executes `%(...)` while parsing). A
`%files` entry's mode is its `%attr`, else the current `%defattr`, else the build-root mode
that `%install` gave it (traced with the shell model, umask 022: `install` without `-m` is
0755, `cp`/`cat >` 0644), else 0644. Scriptlets (`%post` ...) then run on the target through
the same model, so a `chmod 0600` there wins. Macros are expanded from `%define`/`%global` and
a table of the standard directory macros, never executed; `%if` blocks are read in both
branches, and an unbalanced one is reported, never looped on.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kumolint.facts.modes import ServiceRestart
from kumolint.model import ParseError
from kumolint.parsers import parser
from kumolint.parsers._shell import (
    Context,
    FileState,
    Mode,
    ShellModel,
    normalize_path,
    parse_mode,
)
from kumolint.parsers._text import LineIndex

STANDARD_MACROS = {
    "_prefix": "/usr",
    "_exec_prefix": "/usr",
    "_bindir": "/usr/bin",
    "_sbindir": "/usr/sbin",
    "_libexecdir": "/usr/libexec",
    "_datadir": "/usr/share",
    "_sysconfdir": "/etc",
    "_sharedstatedir": "/var/lib",
    "_localstatedir": "/var",
    "_libdir": "/usr/lib64",
    "_includedir": "/usr/include",
    "_docdir": "/usr/share/doc",
    "_mandir": "/usr/share/man",
    "_unitdir": "/usr/lib/systemd/system",
    "_userunitdir": "/usr/lib/systemd/user",
    "_tmpfilesdir": "/usr/lib/tmpfiles.d",
    "_rundir": "/run",
    "_initddir": "/etc/rc.d/init.d",
    "_initrddir": "/etc/rc.d/init.d",
    "buildroot": "",
    "_buildrootdir": "",
    "__install": "install",
    "__cp": "cp",
    "__mv": "mv",
    "__chmod": "chmod",
    "__chown": "chown",
    "__cat": "cat",
    "__sed": "sed",
    "__mkdir_p": "mkdir -p",
    "__mkdir": "mkdir",
}
_SECTION = re.compile(
    r"%(package|description|prep|build|install|check|clean|files|changelog|pre|post|preun"
    r"|postun|pretrans|posttrans|preuntrans|postuntrans|verifyscript|trigger\w*|filetrigger\w*"
    r"|transfiletrigger\w*|generate_buildrequires|conf|sourcelist|patchlist)(?![\w(])(.*)$"
)
_SCRIPTLETS = frozenset({"pre", "post", "preun", "postun", "pretrans", "posttrans"})
_DEFINE = re.compile(r"%(?:define|global)[ \t]+([A-Za-z_]\w*)(?:\([^)]*\))?[ \t]+(.*)$")
_TAG = re.compile(r"(Name|Version|Release)[ \t]*:[ \t]*(\S+)", re.IGNORECASE)
_MACRO = re.compile(r"%%|%\{([?!]*)([A-Za-z_]\w*)(?::([^{}]*))?\}|%([A-Za-z_]\w*)")
_DIRECTIVE = re.compile(r"[ \t]*(%[a-z_]+)(?:\(([^)]*)\))?")
_CONDITIONAL_OPEN = re.compile(r"%if(?:arch|narch|os|nos)?\b")
_CONDITIONAL_MIDDLE = re.compile(r"%(?:else|elif(?:arch|os)?)\b")
_RESTART_MACRO = re.compile(r"%\{?systemd_(?:postun_with_restart|user_postun_with_restart)\b")
_NOT_FILE_DIRECTIVES = frozenset({"%doc", "%license", "%readme", "%exclude", "%docdir"})
_MAX_EXPANSION = 4096


@dataclass
class _Attr:
    mode: str | None
    owner: str | None
    group: str | None


@parser("rpmspec", globs=("*.spec", "*.spec.in"))
def parse(path: str, text: str) -> Iterator[Any]:
    yield from analyze_spec(path, text, 0, len(text), LineIndex(text))


def analyze_spec(path: str, text: str, start: int, end: int, index: LineIndex) -> Iterator[Any]:
    """Facts of the spec text in `text[start:end]` (a whole file or a shell heredoc body)."""
    macros = dict(STANDARD_MACROS)
    sections: list[tuple[str, str, int, int]] = []  # (name, header args, body start, end)
    current: tuple[str, str, int] | None = None
    depth = 0
    open_at: list[int] = []
    for line_start, line_end in _lines(text, start, end):
        line = text[line_start:line_end]
        stripped = line.strip()
        if _CONDITIONAL_OPEN.match(stripped):
            depth += 1
            open_at.append(line_start)
            continue
        if _CONDITIONAL_MIDDLE.match(stripped):
            continue
        if stripped.startswith("%endif"):
            if depth == 0:
                yield ParseError("RPM spec: %endif without %if", index.span(path, line_start))
            else:
                depth -= 1
                open_at.pop()
            continue
        if definition := _DEFINE.match(stripped):
            macros[definition.group(1)] = definition.group(2).strip()
        elif current is None and (tag := _TAG.match(stripped)):
            macros.setdefault(tag.group(1).lower(), tag.group(2))
        if section := _SECTION.match(stripped):
            if current is not None:
                sections.append((current[0], current[1], current[2], line_start))
            current = (section.group(1), section.group(2), line_end + 1)
    if current is not None:
        sections.append((current[0], current[1], current[2], end))
    for offset in open_at:
        yield ParseError("RPM spec: %if without %endif", index.span(path, offset))

    def expand(value: str) -> str:
        return expand_macros(value, macros)

    def normalize(raw: str) -> str:
        return normalize_path(expand(raw))

    build = ShellModel(
        path, text, index, Context(prefix="%install ", normalize=normalize, macros=expand)
    )
    for name, _, body_start, body_end in sections:
        if name == "install":
            build.run(body_start, body_end)
    yield from build.errors
    target = ShellModel(path, text, index, Context(normalize=normalize, macros=expand))
    for name, args, body_start, body_end in sections:
        if name == "files" and " -f " not in f" {args} ":
            for state in _files_section(text, body_start, body_end, build, expand):
                target.files[state.dest] = state
    for name, _, body_start, body_end in sections:
        if name in _SCRIPTLETS:
            target.context = Context(prefix=f"%{name} ", normalize=normalize, macros=expand)
            target.run(body_start, body_end)
            target.restarts.extend(_restart_macros(path, text, body_start, body_end, index))
    yield from target.facts()


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    offset = start
    while offset < end:
        newline = text.find("\n", offset, end)
        line_end = end if newline == -1 else newline
        yield offset, line_end
        offset = line_end + 1


def expand_macros(value: str, macros: dict[str, str]) -> str:
    """Expand `%{name}`, `%name`, `%{?name}`, `%{?name:x}`, `%{!?name:x}`; unknown stay."""

    def substitute(match: re.Match[str]) -> str:
        flags, name, alternative = match.group(1), match.group(2), match.group(3)
        if match.group(0) == "%%":
            return "%%"
        if name is None:
            name = match.group(4)
            return macros.get(name, match.group(0))
        defined = name in macros
        if "?" in flags:
            wanted = defined != ("!" in flags)
            if alternative is not None:
                return alternative if wanted else ""
            return macros.get(name, "") if wanted else ""
        return macros.get(name, match.group(0))

    for _ in range(8):
        expanded = _MACRO.sub(substitute, value)
        if expanded == value or len(expanded) > _MAX_EXPANSION:
            break
        value = expanded
    return value.replace("%%", "%")


def _files_section(
    text: str, start: int, end: int, build: ShellModel, expand: Callable[[str], str]
) -> Iterator[FileState]:
    default = _Attr(None, None, None)
    keys = sorted(build.files)
    for line_start, line_end in _lines(text, start, end):
        line = text[line_start:line_end]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        attr: _Attr | None = None
        is_dir = skip = False
        position = 0
        while match := _DIRECTIVE.match(line, position):
            directive, arguments = match.group(1), match.group(2)
            position = match.end()
            if directive in ("%attr", "%defattr") and arguments is not None:
                fields = [f or "-" for f in re.split(r"[,\s]+", arguments.strip())]
                fields += ["-"] * (3 - len(fields))
                parsed = _Attr(*(None if f == "-" else f for f in fields[:3]))
                if directive == "%defattr":
                    default = parsed
                else:
                    attr = parsed
            elif directive == "%dir":
                is_dir = True
            elif directive in _NOT_FILE_DIRECTIVES or directive.startswith("%if"):
                skip = True
        rest = line[position:].strip()
        if skip or is_dir or not rest or re.match(r"%[a-z_]", rest):
            continue
        dest = normalize_path(expand(rest.strip("\"'")))
        mode_text = attr.mode if attr and attr.mode else default.mode
        owner = (attr.owner if attr else None) or default.owner
        group = (attr.group if attr else None) or default.group
        built = _built_under(dest, build, keys)
        if mode_text is not None:
            mode = parse_mode(mode_text, Mode(0)) or Mode(0, 0)
            tool = "rpm %attr" if attr and attr.mode else "rpm %defattr"
            entries: list[FileState | None] = [*built] if built else [None]
            for each in entries:
                yield FileState(
                    each.dest if each else dest,
                    mode,
                    "explicit" if mode.known else "unknown",
                    tool,
                    line_start,
                    line_end,
                    raw_mode=mode_text,
                    source=each.source if each else None,
                    owner=owner,
                    group=group,
                    writes=True,
                )
        elif built:
            for each in built:
                reason = each.default_reason
                if reason:
                    reason += " and rpm keeps the build-root mode"
                yield FileState(
                    each.dest,
                    each.mode,
                    each.mode_source,
                    f"rpm %files ({each.tool})",
                    each.start,
                    each.end,
                    reason,
                    each.raw_mode,
                    each.source,
                    owner or each.owner,
                    group or each.group,
                    writes=True,
                )
        else:
            yield FileState(
                dest,
                Mode(0o644),
                "default",
                "rpm %files",
                line_start,
                line_end,
                "no %attr: rpm keeps the build-root mode, 0644 under %install's umask 022",
                owner=owner,
                group=group,
                writes=True,
            )


def _built_under(dest: str, build: ShellModel, keys: list[str]) -> list[FileState]:
    """The %install files a %files entry covers: itself, a glob's matches, a directory's files."""
    found = [build.files[dest]] if dest in build.files else []
    if any(c in dest for c in "*?["):
        found += [build.files[k] for k in keys if fnmatch.fnmatchcase(k, dest)]
    inside = dest.rstrip("/") + "/"
    position = bisect.bisect_left(keys, inside)
    while position < len(keys) and keys[position].startswith(inside):
        found.append(build.files[keys[position]])
        position += 1
    return found


def _restart_macros(
    path: str, text: str, start: int, end: int, index: LineIndex
) -> Iterator[ServiceRestart]:
    for line_start, line_end in _lines(text, start, end):
        line = text[line_start:line_end]
        match = _RESTART_MACRO.search(line)
        if match:
            for unit in line[match.end() :].replace("}", " ").split():
                span = index.span(path, line_start + match.start(), line_end)
                yield ServiceRestart(unit, "try-restart", span)

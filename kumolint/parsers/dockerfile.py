"""Dockerfiles: the mode each `COPY`/`ADD` gives a file, then every `RUN` through the shell model.

`dockerfile-parse` (from memory, never a path) splits the instructions; flags are re-parsed
here because it leaves them in the value. `COPY`/`ADD` without `--chmod` keep the build-context
mode, which from git is 0644 (0755 for an executable); `ADD <url>` gives 0600. Heredocs
(`RUN <<EOF`, `COPY <<EOF /dest`), which dockerfile-parse reads as instructions, are found here.
A later `RUN chmod` in the same stage wins; `FROM` starts a new stage.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
from collections.abc import Iterator
from typing import Any

from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import parser
from kumolint.parsers._shell import Context, FileState, Mode, ShellModel, parse_mode
from kumolint.parsers._text import LineIndex

_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_SCRIPT_HEREDOC = re.compile(r"[ \t]*(?:--\S+[ \t]+)*<<-?[\"']?[A-Za-z_]")
_SECRET_MOUNT = re.compile(r"--mount=(\S+)")
_FLAG = re.compile(r"--([a-z-]+)(?:=(\S*))?")
_SHELL_SHEBANG = re.compile(r"#!\S*/(?:env[ \t]+)?(?:ba|da|k|z|a)?sh\b")


@parser(
    "dockerfile",
    globs=("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile"),
)
def parse(path: str, text: str) -> Iterator[Any]:
    from dockerfile_parse import DockerfileParser

    try:
        structure = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure
    except Exception as error:  # dockerfile-parse raises assorted errors on odd input
        yield ParseError(f"Dockerfile: cannot parse ({type(error).__name__})", Span(path))
        return
    index = LineIndex(text)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line_start(line: int) -> int:
        return starts[min(line, len(starts) - 1)]

    def line_end(line: int) -> int:
        following = line_start(line + 1) if line + 1 < len(starts) else len(text)
        return max(line_start(line), following - 1 if line + 1 < len(starts) else following)

    model = _stage_model(path, text, index)
    workdir = "/"
    skip_until = -1
    for instruction in structure:
        first, last = int(instruction["startline"]), int(instruction["endline"])
        if first <= skip_until:
            continue
        keyword = str(instruction["instruction"]).upper()
        start, end = line_start(first), line_end(last)
        bodies: list[tuple[int, int]] = []
        if keyword in ("RUN", "COPY", "ADD"):
            for match in _HEREDOC.finditer(text, start, end):
                body_start = end + 1
                strip = bool(match.group(1))
                line = last + 1
                while line < len(starts) and line_start(line) < len(text):
                    content = text[line_start(line) : line_end(line)]
                    if (content.lstrip("\t") if strip else content) == match.group(3):
                        break
                    line += 1
                else:
                    yield ParseError(
                        f"Dockerfile: unterminated heredoc <<{match.group(3)}",
                        index.span(path, match.start()),
                    )
                bodies.append((body_start, line_start(line) - 1 if line < len(starts) else end))
                last = line
                end = line_end(min(line, len(starts) - 1))
            skip_until = max(skip_until, last)
        if keyword == "FROM":
            yield from model.facts()
            model = _stage_model(path, text, index)
            workdir = "/"
        elif keyword == "WORKDIR":
            workdir = posixpath.join(workdir, str(instruction["value"]).strip().strip("\"'"))
        elif keyword == "RUN":
            after = start + len(text[start:end]) - len(text[start:end].lstrip()) + 3
            if _SCRIPT_HEREDOC.match(text, after) and bodies:
                body_start, body_end = bodies[0]
                shebang = text[body_start : body_start + 80]
                if not shebang.startswith("#!") or _SHELL_SHEBANG.match(shebang):
                    model.run(body_start, body_end)
            else:
                model.run(after, end)
            _secret_mounts(model, text, after, end)
        elif keyword in ("COPY", "ADD"):
            first_line_end = line_end(first)
            value = str(instruction["value"])
            yield from _copy(model, keyword, value, start, first_line_end, workdir)
    yield from model.facts()


def _stage_model(path: str, text: str, index: LineIndex) -> ShellModel:
    return ShellModel(path, text, index, Context(prefix="Dockerfile RUN "))


def _copy(
    model: ShellModel,
    keyword: str,
    value: str,
    start: int,
    end: int,
    workdir: str,
) -> Iterator[ParseError]:
    flags: dict[str, str] = {}
    rest = value.strip()
    while match := _FLAG.match(rest):
        flags[match.group(1)] = match.group(2) or ""
        rest = rest[match.end() :].lstrip()
    operands = _operands(rest)
    if operands is None:
        yield ParseError(
            f"Dockerfile: cannot read the {keyword} arguments", model.index.span(model.path, start)
        )
        return
    if len(operands) < 2:
        return
    *sources, dest = operands
    dest = posixpath.join(workdir, dest) if not dest.startswith("/") else dest
    owner = group = None
    if "chown" in flags:
        owner, _, group_text = flags["chown"].partition(":")
        group = group_text or None
    for source in sources:
        source_name = None if source.startswith("<<") else source
        target = dest
        if source.endswith("/"):
            target = posixpath.join(dest, "**")
        elif (dest.endswith("/") or len(sources) > 1) and not source.startswith("<<"):
            target = posixpath.join(dest, source.rstrip("/").rsplit("/", 1)[-1])
        target = posixpath.normpath(target) if target != "/" else target
        if "chmod" in flags:
            mode = parse_mode(flags["chmod"], Mode(0)) or Mode(0, 0)
            state = FileState(
                target,
                mode,
                "explicit" if mode.known else "unknown",
                f"Dockerfile {keyword} --chmod",
                start,
                end,
                raw_mode=flags["chmod"],
            )
        elif keyword == "ADD" and re.match(r"https?://", source):
            state = FileState(
                target,
                Mode(0o600),
                "default",
                "Dockerfile ADD",
                start,
                end,
                "ADD of a URL creates 0600",
            )
        elif "from" in flags:
            state = FileState(target, Mode(0, 0), "unknown", f"Dockerfile {keyword}", start, end)
        else:
            reason = (
                f"{keyword} without --chmod keeps the mode from the build context"
                " (0644 from git, 0755 if executable)"
            )
            if source_name is None:
                reason = f"{keyword} of a heredoc without --chmod creates 0644"
            state = FileState(
                target, Mode(0o644), "default", f"Dockerfile {keyword}", start, end, reason
            )
        state.source = source_name
        state.owner, state.group = owner or None, group
        state.wrote(start, end)
        model.files[target] = state


def _secret_mounts(model: ShellModel, text: str, start: int, end: int) -> None:
    """`RUN --mount=type=secret,id=x[,target=...][,mode=0400]`: default mode 0400."""
    for match in _SECRET_MOUNT.finditer(text, start, end):
        options = dict(
            part.partition("=")[::2] for part in match.group(1).split(",") if "=" in part
        )
        if options.get("type") != "secret":
            continue
        name = options.get("id") or options.get("source") or "secret"
        target = options.get("target") or options.get("dst") or f"/run/secrets/{name}"
        raw = options.get("mode")
        mode = parse_mode(raw, Mode(0)) if raw else Mode(0o400)
        model.files[target] = FileState(
            target,
            mode or Mode(0, 0),
            ("explicit" if raw else "default") if mode else "unknown",
            "Dockerfile RUN --mount=type=secret",
            match.start(),
            match.end(),
            "" if raw else "a BuildKit secret mount is 0400 by default",
            raw_mode=raw,
            secret_hint="a BuildKit secret mount",
        )


def _operands(rest: str) -> list[str] | None:
    if rest.startswith("["):
        try:
            parsed = json.loads(rest)
        except ValueError:
            return None
        return [str(item) for item in parsed] if isinstance(parsed, list) else None
    try:
        return shlex.split(rest, comments=False)
    except ValueError:
        return None

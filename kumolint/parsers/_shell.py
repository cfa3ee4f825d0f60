"""The shell-command model: which files a script installs, and the mode each ends up with.

Shared by every format that embeds shell (scripts, Makefile recipes, Dockerfile `RUN`, CI
`run:` steps, RPM scriptlets, Debian maintainer scripts). A small tokenizer splits the text
into simple commands with exact offsets (quotes, `$(...)`, heredocs, line continuations);
`ShellModel` then replays the mode-relevant commands (`install`, `chmod`, `chown`, `cp`,
redirections, `tee`, `umask`, `dpkg-statoverride`, `systemctl restart`) against a model of the
files the script touched, so each destination gets its *final* effective mode. Nothing is ever
executed; expansions we cannot resolve stay as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.model import ParseError
from kumolint.parsers._filemode import UNKNOWN, Mode, normalize_path, parse_mode
from kumolint.parsers._shell_lex import Command, Lexed, Redirect, Word, lex
from kumolint.parsers._text import LineIndex

__all__ = [
    "UNKNOWN",
    "Command",
    "Context",
    "FileState",
    "Lexed",
    "Mode",
    "Redirect",
    "ShellModel",
    "Word",
    "lex",
    "normalize_path",
    "parse_mode",
]

DEFAULT_UMASK = 0o022
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until"})
_KEYWORDS |= frozenset({"!", "{", "}", "time", "esac", "in"})
_SKIP_COMMANDS = frozenset({"for", "case", "select", "function"})
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nice", "nohup", "doas", "builtin"})
_DECLARATIONS = frozenset({"export", "readonly", "local", "declare", "typeset"})
_SUDO_WITH_ARGUMENT = frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)"
    r"|\(([A-Za-z_][A-Za-z0-9_]*)\))"
)
_RESTART_ACTIONS = frozenset(
    {"restart", "reload", "try-restart", "reload-or-restart", "try-reload-or-restart"}
    | {"condrestart", "force-reload"}
)


@dataclass(slots=True)
class FileState:
    dest: str
    mode: Mode
    mode_source: str
    tool: str
    start: int
    end: int
    default_reason: str = ""
    raw_mode: str | None = None
    source: str | None = None
    owner: str | None = None
    group: str | None = None
    owner_at: tuple[int, int] | None = None
    writes: bool = False
    secret_hint: str = ""
    written_at: tuple[int, int] | None = None  # the last command that wrote the content

    def __post_init__(self) -> None:
        if self.writes and self.written_at is None:
            self.written_at = (self.start, self.end)

    def wrote(self, start: int, end: int) -> None:
        self.writes = True
        self.written_at = (start, end)


@dataclass(frozen=True, slots=True)
class Context:
    """Where a script runs: the umask it starts with and how to name destinations."""

    umask: int = DEFAULT_UMASK
    prefix: str = ""  # tool prefix: "Dockerfile RUN ", "%install ", ...
    normalize: Callable[[str], str] = normalize_path
    macros: Callable[[str], str] | None = None  # RPM macro expansion of every word


class ShellModel:
    """Replays mode-relevant commands; `files` holds each destination's current state."""

    def __init__(self, path: str, text: str, index: LineIndex, context: Context = Context()):
        self.path = path
        self.text = text
        self.index = index
        self.context = context
        self.files: dict[str, FileState] = {}
        self.directories: set[str] = set()
        self.restarts: list[ServiceRestart] = []
        self.errors: list[ParseError] = []
        self.variables: dict[str, str] = {}
        self.umask = context.umask
        self.heredocs: list[tuple[str, tuple[int, int]]] = []  # (written file, body offsets)

    # ----- running text

    def run(self, start: int = 0, end: int | None = None, *, fresh_shell: bool = True) -> None:
        """Lex and replay `text[start:end]`; a fresh shell starts with the context's umask."""
        lexed = lex(self.text, start, end)
        for message, offset in lexed.errors:
            self.errors.append(ParseError(f"shell: {message}", self.index.span(self.path, offset)))
        if fresh_shell:
            self.umask = self.context.umask
        self.replay(lexed.commands)

    def replay(self, commands: Iterable[Command]) -> None:
        umasks = [self.umask]
        depth = 0
        for command in commands:
            while depth < command.depth:
                umasks.append(self.umask)
                depth += 1
            while depth > command.depth:
                self.umask = umasks.pop()
                depth -= 1
            self.execute(command)
        if depth:
            self.umask = umasks[0]

    # ----- facts

    def facts(self) -> Iterator[InstalledFile | ServiceRestart | ParseError]:
        yield from self.errors
        for state in self.files.values():
            if state.dest not in self.directories:
                yield self.installed_file(state)
        yield from self.restarts

    def installed_file(self, state: FileState) -> InstalledFile:
        known = state.mode.known
        owner_span = None
        if state.owner_at is not None:
            owner_span = self.index.span(self.path, *state.owner_at)
        return InstalledFile(
            dest=state.dest,
            mode=state.mode.value & known if known else None,
            mode_source=state.mode_source if known else "unknown",
            tool=state.tool,
            span=self.index.span(self.path, state.start, state.end),
            owner=state.owner,
            group=state.group,
            default_reason=state.default_reason,
            raw_mode=state.raw_mode,
            source=state.source,
            known_bits=known,
            owner_span=owner_span,
            writes=state.writes,
            secret_hint=state.secret_hint,
            write_span=self.index.span(self.path, *state.written_at) if state.written_at else None,
        )

    # ----- commands

    def execute(self, command: Command) -> None:
        words = command.words
        if self.context.macros is not None:
            expand_macros = self.context.macros
            words = [replace(w, text=expand_macros(w.text)) if "%" in w.text else w for w in words]
        words = self.strip_prefixes(words)
        if words and (words[0].expands or " " in words[0].text):
            first = self.expand(words[0])
            split = [replace(first, text=part) for part in first.text.split()]
            words = split + words[1:] if split else words
        if words and words[0].text in _SKIP_COMMANDS:
            if len(words) == 4 and words[0].text == "for" and words[2].text == "in":
                self.variables[words[1].text] = self.expand(words[3]).text  # a one-item loop
            return
        name = words[0].text.rsplit("/", 1)[-1] if words else ""
        handler = getattr(self, "cmd_" + name.replace("-", "_").replace(".", "_"), None)
        args = [self.expand(w) for w in words[1:]]
        if handler is not None and not name.startswith("_"):
            handler(command, words[0], args)
        written = [r.target.text for r in command.redirects if r.op in (">", ">|") and r.target]
        for redirect in command.redirects:
            if redirect.body is not None and written:
                self.heredocs.append((written[0], redirect.body))
        if name == "tee":
            return  # tee's own files are handled by cmd_tee
        for redirect in command.redirects:
            if redirect.op in (">", ">|", ">>") and redirect.target is not None:
                target = self.expand(redirect.target)
                if target.text.startswith("/dev/") or target.text.startswith("&"):
                    continue
                self.write(target.text, redirect.start, target.end, append=redirect.op == ">>")

    def strip_prefixes(self, words: list[Word]) -> list[Word]:
        i = 0
        while i < len(words):
            text = words[i].text
            if text in _KEYWORDS:
                i += 1
            elif _ASSIGNMENT.match(text) and not words[i].text.startswith("="):
                name, _, _value = text.partition("=")
                if i + 1 == len(words) or all(_ASSIGNMENT.match(w.text) for w in words[i:]):
                    self.variables[name] = self.expand(words[i]).text.partition("=")[2]
                i += 1
            elif text in _WRAPPERS:
                i += 1
                while i < len(words) and words[i].text.startswith("-"):
                    i += 2 if words[i].text in _SUDO_WITH_ARGUMENT else 1
            elif text in _DECLARATIONS:
                for word in words[i + 1 :]:
                    if _ASSIGNMENT.match(word.text):
                        name = word.text.partition("=")[0]
                        self.variables[name] = self.expand(word).text.partition("=")[2]
                return []
            else:
                break
        return words[i:]

    def expand(self, word: Word) -> Word:
        if not word.expands:
            return word

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(3) or match.group(4)
            if name in self.variables:
                return self.variables[name]
            if match.group(2) is not None:
                return match.group(2)
            return match.group(0)

        return replace(word, text=_VARIABLE.sub(substitute, word.text))

    def tool(self, name: str) -> str:
        return f"{self.context.prefix}{name}"

    def write(self, raw: str, start: int, end: int, *, append: bool = False) -> None:
        dest = self.context.normalize(raw)
        state = self.files.get(dest)
        if state is not None:
            state.wrote(start, end)
            return
        if append:
            self.files[dest] = FileState(dest, UNKNOWN, "unknown", self.tool(">>"), start, end)
            self.files[dest].wrote(start, end)
            return
        mode = 0o666 & ~self.umask
        reason = f"a file created by shell redirection gets 0666 minus umask {self.umask:03o}"
        self.files[dest] = FileState(
            dest, Mode(mode), "default", self.tool("redirection"), start, end, reason, writes=True
        )

    def cmd_umask(self, command: Command, name: Word, args: list[Word]) -> None:
        values = [a.text for a in args if not a.text.startswith("-")]
        if not values:
            return
        if re.fullmatch(r"[0-7]{1,4}", values[0]):
            self.umask = int(values[0], 8) & 0o777
            return
        allowed = parse_mode(values[0], Mode(~self.umask & 0o777))
        self.umask = (~allowed.value & 0o777) if allowed and allowed.known else self.umask

    def cmd_install(self, command: Command, name: Word, args: list[Word]) -> None:
        mode_word: Word | None = None
        owner: Word | None = None
        group: Word | None = None
        target_dir: str | None = None
        directory = no_target_dir = False
        operands: list[Word] = []
        takes_value = {"m": "mode", "o": "owner", "g": "group", "t": "target", "S": "suffix"}
        i = 0
        while i < len(args):
            word = args[i]
            text = word.text
            key: str | None = None
            value: Word | None = None
            if text == "--":
                operands.extend(args[i + 1 :])
                break
            if text.startswith("--"):
                option, eq, rest = text[2:].partition("=")
                key = {"target-directory": "target", "no-target-directory": "T"}.get(
                    option, option
                )
                if key == "directory":
                    directory = True
                    key = None
                elif key == "T":
                    no_target_dir = True
                    key = None
                elif key in ("mode", "owner", "group", "target", "suffix"):
                    if eq:
                        value = replace(word, text=rest)
                    elif i + 1 < len(args):
                        value = args[i + 1]
                        i += 1
                else:
                    key = None
            elif text.startswith("-") and len(text) > 1:
                j = 1
                while j < len(text):
                    letter = text[j]
                    if letter in takes_value:
                        key = takes_value[letter]
                        if j + 1 < len(text):
                            value = replace(word, text=text[j + 1 :])
                        elif i + 1 < len(args):
                            value = args[i + 1]
                            i += 1
                        break
                    if letter == "d":
                        directory = True
                    elif letter == "T":
                        no_target_dir = True
                    j += 1
            else:
                operands.append(word)
            if key == "mode":
                mode_word = value
            elif key == "owner":
                owner = value
            elif key == "group":
                group = value
            elif key == "target" and value is not None:
                target_dir = value.text
            i += 1
        if directory:
            for operand in operands:
                self.directories.add(self.context.normalize(operand.text))
            return
        pairs = self.destinations(operands, target_dir, no_target_dir)
        if mode_word is not None:
            parsed = parse_mode(mode_word.text, Mode(0))
            mode = parsed if parsed is not None else UNKNOWN
            source_kind, reason, raw = "explicit", "", mode_word.text
        else:
            mode, source_kind, raw = Mode(0o755), "default", None
            reason = "install without -m creates 0755"
        for source, dest in pairs:
            self.files[dest] = FileState(
                dest,
                mode,
                source_kind if mode.known else "unknown",
                self.tool("install"),
                command.start,
                command.end,
                reason,
                raw,
                None if source in ("/dev/null", "-") else source,
                owner.text if owner else None,
                group.text if group else None,
                writes=True,
            )

    def destinations(
        self, operands: list[Word], target_dir: str | None, no_target_dir: bool
    ) -> list[tuple[str, str]]:
        if target_dir is not None:
            base = self.context.normalize(target_dir).rstrip("/")
            return [(o.text, f"{base}/{o.text.rstrip('/').rsplit('/', 1)[-1]}") for o in operands]
        if len(operands) < 2:
            return []
        *sources, last = operands
        dest = self.context.normalize(last.text)
        is_dir = last.text.endswith("/") or dest in self.directories or len(sources) > 1
        if is_dir and not no_target_dir:
            base = dest.rstrip("/")
            return [(s.text, f"{base}/{s.text.rstrip('/').rsplit('/', 1)[-1]}") for s in sources]
        return [(sources[0].text, dest)]

    def cmd_mkdir(self, command: Command, name: Word, args: list[Word]) -> None:
        skip = False
        for word in args:
            if skip:
                skip = False
            elif word.text in ("-m", "--mode"):
                skip = True
            elif not word.text.startswith("-"):
                self.directories.add(self.context.normalize(word.text))

    def cmd_cp(self, command: Command, name: Word, args: list[Word]) -> None:
        keep = False
        operands: list[Word] = []
        target_dir: str | None = None
        no_target_dir = False
        i = 0
        while i < len(args):
            text = args[i].text
            if text.startswith("--"):
                keep |= text in ("--archive", "--preserve") or text.startswith("--preserve=mode")
                if text.startswith("--target-directory"):
                    _, eq, rest = text.partition("=")
                    if eq:
                        target_dir = rest
                    elif i + 1 < len(args):
                        i += 1
                        target_dir = args[i].text
                no_target_dir |= text == "--no-target-directory"
            elif text.startswith("-") and len(text) > 1:
                keep |= "a" in text or "p" in text
                no_target_dir |= "T" in text
                if "t" in text and i + 1 < len(args):
                    i += 1
                    target_dir = args[i].text
            else:
                operands.append(args[i])
            i += 1
        for source, dest in self.destinations(operands, target_dir, no_target_dir):
            self.copy(command, source, dest, keep=keep, tool="cp")

    def copy(self, command: Command, source: str, dest: str, *, keep: bool, tool: str) -> None:
        previous = self.files.get(dest)
        if previous is not None and not keep:
            previous.wrote(*self.at(command))
            previous.source = source
            return
        origin = self.files.get(self.context.normalize(source))
        if origin is not None:
            mode = (
                origin.mode if keep else Mode(origin.mode.value & ~self.umask, origin.mode.known)
            )
            reason = f"{tool} copies the mode of {source}"
        else:
            mode = Mode(0o644 if keep else 0o644 & ~self.umask)
            reason = (
                f"{tool} keeps the mode of the source file (0644 from git, 0755 if executable)"
            )
        self.files[dest] = FileState(
            dest,
            mode,
            "default" if mode.known else "unknown",
            self.tool(tool),
            command.start,
            command.end,
            reason,
            source=source,
            writes=True,
        )

    def cmd_mv(self, command: Command, name: Word, args: list[Word]) -> None:
        operands = [a for a in args if not a.text.startswith("-")]
        for source, dest in self.destinations(operands, None, False):
            origin = self.files.pop(self.context.normalize(source), None)
            if origin is None:
                self.copy(command, source, dest, keep=True, tool="mv")
            else:
                moved = replace(origin, dest=dest, start=command.start, end=command.end)
                if moved.writes:
                    moved.wrote(command.start, command.end)
                self.files[dest] = moved

    def cmd_touch(self, command: Command, name: Word, args: list[Word]) -> None:
        for word in args:
            if not word.text.startswith("-"):
                dest = self.context.normalize(word.text)
                if dest not in self.files:
                    self.write(word.text, command.start, command.end)
                    self.files[dest].writes = False
                    self.files[dest].written_at = None
                    self.files[dest].tool = self.tool("touch")
                    self.files[
                        dest
                    ].default_reason = f"touch creates 0666 minus umask {self.umask:03o}"

    def cmd_tee(self, command: Command, name: Word, args: list[Word]) -> None:
        append = any(a.text in ("-a", "--append") for a in args)
        for word in args:
            if not word.text.startswith("-") and not word.text.startswith("/dev/"):
                self.write(word.text, command.start, command.end, append=append)
                self.files[self.context.normalize(word.text)].tool = self.tool("tee")

    def cmd_sed(self, command: Command, name: Word, args: list[Word]) -> None:
        if not any(a.text.startswith("-i") or a.text == "--in-place" for a in args):
            return
        operands = [a for a in args if not a.text.startswith("-")]
        for word in operands[1:]:
            dest = self.context.normalize(word.text)
            state = self.files.get(dest)
            if state is None:
                state = FileState(dest, UNKNOWN, "unknown", self.tool("sed -i"), *self.at(command))
                self.files[dest] = state
            state.wrote(*self.at(command))

    def at(self, command: Command) -> tuple[int, int]:
        return command.start, command.end

    def cmd_chmod(self, command: Command, name: Word, args: list[Word]) -> None:
        recursive = False
        operands: list[Word] = []
        for word in args:
            text = word.text
            if text.startswith("--reference"):
                return
            if re.fullmatch(r"-[RfvHLPc]+", text) or text in ("--recursive", "--silent"):
                recursive |= "R" in text or text == "--recursive"
            else:
                operands.append(word)
        if len(operands) < 2:
            return
        mode_word, *targets = operands
        for target in targets:
            dest = self.context.normalize(target.text)
            if recursive and dest.rstrip("/") in self.directories | {dest}:
                inside = dest.rstrip("/") + "/"
                for key in [k for k in self.files if k.startswith(inside)]:
                    self.chmod(command, key, mode_word)
                self.chmod(command, inside + "**", mode_word)
            self.chmod(command, dest, mode_word)

    def chmod(self, command: Command, dest: str, mode_word: Word) -> None:
        state = self.files.get(dest)
        base = state.mode if state is not None else UNKNOWN
        mode = parse_mode(mode_word.text, base, self.umask)
        if mode is None:
            mode = UNKNOWN
        touches_other = mode_word.text.isdigit() or bool(
            re.search(r"(^|,)[ugoa]*[ao][ugoa]*[-+=]|(^|,)[-+=]", mode_word.text)
        )
        if state is None:
            state = FileState(dest, mode, "explicit", self.tool("chmod"), *self.at(command))
            self.files[dest] = state
        elif touches_other or state.mode_source != "default":
            state.mode_source = "explicit"
            state.default_reason = ""
        state.mode = mode
        state.raw_mode = mode_word.text
        state.tool = self.tool("chmod")
        state.start, state.end = self.at(command)
        if not mode.known:
            state.mode_source = "unknown"

    def cmd_chown(self, command: Command, name: Word, args: list[Word]) -> None:
        operands = [a for a in args if not a.text.startswith("-")]
        if len(operands) < 2:
            return
        owner, sep, group = operands[0].text.replace(".", ":", 1).partition(":")
        for target in self.with_files_below(operands[1:], args):
            self.set_owner(command, target, owner or None, group if sep else None)

    def cmd_chgrp(self, command: Command, name: Word, args: list[Word]) -> None:
        operands = [a for a in args if not a.text.startswith("-")]
        for target in self.with_files_below(operands[1:], args):
            self.set_owner(command, target, None, operands[0].text)

    def with_files_below(self, targets: list[Word], args: list[Word]) -> list[str]:
        """The targets, plus the known files below them for a recursive (-R) change."""
        names = [t.text for t in targets]
        if any(
            a.text == "--recursive" or re.fullmatch(r"-[a-zA-Z]*R[a-zA-Z]*", a.text) for a in args
        ):
            for target in targets:
                inside = self.context.normalize(target.text).rstrip("/") + "/"
                names.extend(k for k in self.files if k.startswith(inside))
        return names

    def set_owner(self, command: Command, raw: str, owner: str | None, group: str | None) -> None:
        dest = self.context.normalize(raw)
        state = self.files.get(dest)
        if state is None:
            state = FileState(dest, UNKNOWN, "unknown", self.tool("chown"), *self.at(command))
            self.files[dest] = state
        state.owner = owner or state.owner
        state.group = group if group else state.group
        state.owner_at = self.at(command)

    def cmd_dpkg_statoverride(self, command: Command, name: Word, args: list[Word]) -> None:
        if not any(a.text == "--add" for a in args):
            return
        operands = [a for a in args if not a.text.startswith("--")]
        if len(operands) < 4:
            return
        owner, group, mode_word, target = operands[:4]
        mode = parse_mode(mode_word.text, Mode(0)) or UNKNOWN
        dest = self.context.normalize(target.text)
        previous = self.files.get(dest)
        self.files[dest] = FileState(
            dest,
            mode,
            "explicit" if mode.known else "unknown",
            self.tool("dpkg-statoverride"),
            *self.at(command),
            raw_mode=mode_word.text,
            owner=owner.text,
            group=group.text,
            writes=previous is not None and previous.writes,
            written_at=previous.written_at if previous is not None else None,
        )

    def cmd_ssh(self, command: Command, name: Word, args: list[Word]) -> None:
        """`ssh host 'script'`: the quoted remote script goes through the model too."""
        if not args or len(args) > 12:
            return
        last = args[-1]
        quote = self.text[last.start] if last.end - last.start >= 2 else ""
        if quote in ("'", '"') and self.text[last.end - 1] == quote and " " in last.text:
            inner = lex(self.text, last.start + 1, last.end - 1)
            self.replay(inner.commands)

    def cmd_systemctl(self, command: Command, name: Word, args: list[Word]) -> None:
        operands = [a for a in args if not a.text.startswith("-")]
        if operands and operands[0].text in _RESTART_ACTIONS:
            for unit in operands[1:]:
                self.restart(command, unit.text, operands[0].text)

    def cmd_deb_systemd_invoke(self, command: Command, name: Word, args: list[Word]) -> None:
        self.cmd_systemctl(command, name, args)

    def cmd_service(self, command: Command, name: Word, args: list[Word]) -> None:
        operands = [a for a in args if not a.text.startswith("-")]
        if len(operands) >= 2 and operands[1].text in _RESTART_ACTIONS:
            self.restart(command, operands[0].text, operands[1].text)

    def cmd_invoke_rc_d(self, command: Command, name: Word, args: list[Word]) -> None:
        self.cmd_service(command, name, args)

    def restart(self, command: Command, unit: str, action: str) -> None:
        span = self.index.span(self.path, command.start, command.end)
        self.restarts.append(ServiceRestart(unit, action, span))

"""Build the RepoModel: route each path, read only the files some parser wants, parse them.

`parse_bytes` is a pure function of (path, bytes, parser names), so callers may run it in
another process, on a blob from git history, or on the index version of a staged file.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kumolint.config import Config
from kumolint.finding import Span
from kumolint.model import InlineIgnore, ParseError, RepoFile, RepoModel, SkippedFile
from kumolint.parsers import Parser, load_parsers, parsers_for

BINARY_SNIFF_BYTES = 8192
_IGNORE = re.compile(
    r"(?P<lead>#|--|;|//|/\*|<!--)[ \t]*kumolint:[ \t]*ignore\[(?P<codes>[^\]\n]*)\]"
    r"(?:[ \t]*--[ \t]*(?P<reason>[^\n]*?))?[ \t]*(?:\*/|-->)?[ \t]*$",
    re.MULTILINE,
)
_RULE_CODE = re.compile(r"KL[0-9]{3}")

Reader = Callable[[str], bytes]


class InternalError(Exception):
    """A bug in kumolint itself; the run must fail closed (exit 3)."""


@dataclass
class FileResult:
    path: str
    facts: list[Any] = field(default_factory=list)
    skipped: str | None = None
    internal_errors: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    model: RepoModel
    internal_errors: list[str]


def build_model(
    root: Path,
    files: Sequence[RepoFile],
    config: Config,
    *,
    skipped: Iterable[SkippedFile] = (),
    reader: Reader | None = None,
) -> ScanResult:
    """Parse every routed file under `root`; files no parser wants are never opened."""
    parsers = load_parsers()
    read = reader or (lambda path: _read_file(root / path, config.max_file_size))
    kept = [f for f in files if not config.is_excluded(f.path)]
    facts: list[Any] = []
    all_skipped = list(skipped)
    parsed: list[str] = []
    errors: list[str] = []
    for repo_file in kept:
        chosen = parsers_for(repo_file.path, parsers)
        if not chosen:
            continue
        try:
            data = read(repo_file.path)
        except _TooLarge as too_large:
            all_skipped.append(SkippedFile(repo_file.path, str(too_large)))
            continue
        except OSError as error:
            reason = f"cannot be read ({error.strerror or type(error).__name__})"
            all_skipped.append(SkippedFile(repo_file.path, reason))
            continue
        result = parse_bytes(repo_file.path, data, chosen, config.max_file_size)
        if result.skipped:
            all_skipped.append(SkippedFile(repo_file.path, result.skipped))
            continue
        parsed.append(repo_file.path)
        facts.extend(result.facts)
        errors.extend(result.internal_errors)
    model = RepoModel.build(config, kept, facts, parsed=parsed, skipped=all_skipped)
    return ScanResult(model, errors)


def parse_bytes(path: str, data: bytes, parsers: Sequence[Parser], max_size: int) -> FileResult:
    """Decode one file's bytes and run `parsers` on it. Never raises."""
    result = FileResult(path)
    if len(data) > max_size:
        result.skipped = f"larger than max-file-size ({max_size} bytes)"
        return result
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        result.skipped = "binary"
        return result
    text, decode_error = decode(path, data)
    if decode_error is not None:
        result.facts.append(decode_error)
    result.facts.extend(inline_ignores(path, text))
    for parser in parsers:
        try:
            result.facts.extend(parser.parse(path, text))
        except RecursionError:
            result.facts.append(ParseError(f"{parser.name}: nesting too deep", Span(path)))
        except Exception as error:
            result.internal_errors.append(describe_internal_error(parser.name, path, error))
    return result


def decode(path: str, data: bytes) -> tuple[str, ParseError | None]:
    """UTF-8 text (BOM dropped, CRLF as LF); bad bytes become U+FFFD plus one ParseError."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    error = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as problem:
        text = data.decode("utf-8", errors="replace")
        before = data[: problem.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        error = ParseError(
            "not valid UTF-8; read with replacement characters", Span(path, line, column)
        )
    return text.replace("\r\n", "\n"), error


def inline_ignores(path: str, text: str) -> Iterator[InlineIgnore]:
    for match in _IGNORE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        line_start = text.rfind("\n", 0, match.start()) + 1
        alone = not text[line_start : match.start()].strip()
        codes = tuple(_RULE_CODE.findall(match["codes"]) or [match["codes"].strip()])
        span = Span(path, line, match.start() - line_start + 1)
        yield InlineIgnore(
            codes, (match["reason"] or "").strip(), line + 1 if alone else line, span
        )


def describe_internal_error(where: str, path: str, error: BaseException) -> str:
    """Type and code location only: an exception's text may quote the scanned file."""
    frames = traceback.extract_tb(error.__traceback__)
    place = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"internal error in {where} on {path}: {type(error).__name__} at {place}"


class _TooLarge(OSError):
    pass


def _read_file(full: Path, max_size: int) -> bytes:
    size = os.stat(full).st_size
    if size > max_size:
        raise _TooLarge(f"larger than max-file-size ({max_size} bytes)")
    with open(full, "rb") as handle:
        return handle.read(max_size + 1)

"""Build the RepoModel: route each path, read only the files some parser wants, parse them.

`parse_bytes` is a pure function of (path, bytes, parser names), so callers may run it in
another process, on a blob from git history, or on the index version of a staged file. That
purity is also what makes the fact cache (`kumolint.cache`) and the parallel scan safe: the
model is the same whether facts come from the cache, this process or a worker, and it is
always assembled in path order.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import os
import pkgutil
import re
import stat
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kumolint.parsers as parsers_package
from kumolint.cache import FactCache, Unserializable, encode, entry_key
from kumolint.cache import decode as decode_facts
from kumolint.config import Config
from kumolint.finding import Span
from kumolint.model import InlineIgnore, ParseError, RepoFile, RepoModel, SkippedFile
from kumolint.parsers import PARSERS, Parser, load_parsers

BINARY_SNIFF_BYTES = 8192
# Below this much parsing work, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 64
PARALLEL_MIN_BYTES = 1024 * 1024
MAX_AUTO_WORKERS = 8
# Files read but not yet parsed are held in memory up to this much, then parsed as a batch.
BATCH_BYTES = 32 * 1024 * 1024
CHUNKS_PER_WORKER = 4
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


@dataclass(frozen=True)
class _Job:
    path: str
    data: bytes
    parser_names: tuple[str, ...]
    key: str | None  # the cache key, when the cache is on


def build_model(
    root: Path,
    files: Sequence[RepoFile],
    config: Config,
    *,
    skipped: Iterable[SkippedFile] = (),
    reader: Reader | None = None,
    cache: bool = True,
    jobs: int | None = None,
) -> ScanResult:
    """Parse every routed file under `root`; files no parser wants are never opened.

    `cache`: reuse the facts of unchanged files from `<root>/.kumolint_cache/` (never with a
    custom `reader`: staged and history scans read other versions of the files).
    `jobs`: None picks serial or parallel by the amount of work; 1 forces serial; n >= 2
    forces n worker processes. The result is the same either way, in path order.
    """
    read = reader or (lambda path: _read_file(root / path, config.max_file_size))
    kept = sorted((f for f in files if not config.is_excluded(f.path)), key=lambda f: f.path)
    fact_cache = _open_cache(root) if cache and reader is None else None
    # A warm cache also holds the routing (each parser's patterns, and which parsers read
    # which path), so an unchanged file list is modelled without importing any parser module
    # or compiling a pattern.
    table = _routing_table(kept, fact_cache)
    all_skipped = list(skipped)
    results: dict[str, FileResult] = {}
    pending: list[_Job] = []

    def parse_pending() -> None:
        for result in _parse_all(pending, config.max_file_size, jobs, table.routes):
            results[result.path] = result
        for job in pending:
            done = results[job.path]
            clean = done.skipped is None and not done.internal_errors
            if fact_cache is not None and job.key is not None and clean:
                fact_cache.put(job.key, done.facts)
        pending.clear()

    pending_bytes = 0
    for repo_file in kept:
        names = table.names.get(repo_file.path)
        if not names:
            continue
        try:
            data = read(repo_file.path)
        except _NotRead as not_read:
            all_skipped.append(SkippedFile(repo_file.path, str(not_read)))
            continue
        except OSError as error:
            reason = f"cannot be read ({error.strerror or type(error).__name__})"
            all_skipped.append(SkippedFile(repo_file.path, reason))
            continue
        not_parsed = skip_reason(data, config.max_file_size)
        if not_parsed is not None:
            all_skipped.append(SkippedFile(repo_file.path, not_parsed))
            continue
        key = None
        if fact_cache is not None:
            key = entry_key(repo_file.path, data, names)
            cached = fact_cache.get(key)
            if cached is not None:
                results[repo_file.path] = FileResult(repo_file.path, cached)
                continue
        pending.append(_Job(repo_file.path, data, names, key))
        pending_bytes += len(data)
        if pending_bytes >= BATCH_BYTES:  # memory stays bounded however big the repository
            parse_pending()
            pending_bytes = 0
    parse_pending()
    if fact_cache is not None:
        fact_cache.save(table.routes, table.paths_digest, table.names)
    facts: list[Any] = []
    parsed: list[str] = []
    errors: list[str] = []
    for path in sorted(results):
        result = results[path]
        if result.skipped:
            all_skipped.append(SkippedFile(path, result.skipped))
            continue
        parsed.append(path)
        facts.extend(result.facts)
        errors.extend(result.internal_errors)
    model = RepoModel.build(config, kept, facts, parsed=parsed, skipped=all_skipped)
    return ScanResult(model, errors)


@dataclass(frozen=True)
class Route:
    """How one parser picks its files: its path patterns (regex source) and whether it rides
    along on files other parsers open. Plain data, so the cache can keep it."""

    name: str
    patterns: tuple[str, ...]
    flags: int
    piggyback: bool
    module: str = ""  # where the parse function lives ("" when unknown: load them all)


class Router:
    """`parsers_for` by name, with each parser's patterns joined into one regex and a single
    regex in front that rejects the (usually many) files no parser wants."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)
        self._wanting = [(r.name, _joined(r.patterns, r.flags)) for r in routes if not r.piggyback]
        self._riding = [(r.name, _joined(r.patterns, r.flags)) for r in routes if r.piggyback]
        flags = {r.flags for r in routes}
        self._anyone = (
            _joined(tuple(p for r in routes for p in r.patterns), flags.pop())
            if len(flags) == 1
            else None
        )

    @classmethod
    def of(cls, parsers: dict[str, Parser]) -> Router:
        return cls(
            [
                Route(
                    p.name,
                    tuple(x.pattern for x in p.patterns),
                    p.patterns[0].flags if p.patterns else 0,
                    p.piggyback,
                    getattr(p.parse, "__module__", ""),
                )
                for p in parsers.values()
            ]
        )

    def names_for(self, path: str) -> tuple[str, ...]:
        """The names `parsers_for(path, ...)` would return, in the same order."""
        if self._anyone is not None and not self._anyone.fullmatch(path):
            return ()
        chosen = [name for name, pattern in self._wanting if pattern.fullmatch(path)]
        riding = [name for name, pattern in self._riding if chosen or pattern.fullmatch(path)]
        return (*chosen, *riding)


@dataclass(frozen=True)
class RoutingTable:
    routes: tuple[Route, ...]
    paths_digest: str  # of the routed path list
    names: dict[str, tuple[str, ...]]  # path -> parser names, for the paths some parser reads


def _routing_table(kept: Sequence[RepoFile], fact_cache: FactCache | None) -> RoutingTable:
    paths = [f.path for f in kept]
    digest = paths_digest(paths)
    if fact_cache is not None:
        stored = fact_cache.routing(digest)
        if stored is not None:
            return stored
    stored_routes = fact_cache.routes() if fact_cache is not None else None
    router = Router(stored_routes) if stored_routes else Router.of(load_parsers())
    names = {path: chosen for path in paths if (chosen := router.names_for(path))}
    return RoutingTable(router.routes, digest, names)


def paths_digest(paths: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


_ANY_DIRECTORY = "(?:.*/)?"  # how the registry's globs without a `/` begin


def _joined(patterns: tuple[str, ...], flags: int) -> re.Pattern[str]:
    """One regex matching what any of `patterns` matches.

    `D(A|B)` is `DA|DB`: the common "any directory" prefix is matched once, not once per
    pattern, which makes routing a large repository several times faster.
    """
    if not patterns:
        return re.compile("(?!)")
    anywhere = [p[len(_ANY_DIRECTORY) :] for p in patterns if p.startswith(_ANY_DIRECTORY)]
    rest = [p for p in patterns if not p.startswith(_ANY_DIRECTORY)]
    parts = [f"(?:{p})" for p in rest]
    if anywhere:
        parts.append(_ANY_DIRECTORY + "(?:" + "|".join(f"(?:{p})" for p in anywhere) + ")")
    return re.compile("|".join(parts), flags)


def parse_bytes(path: str, data: bytes, parsers: Sequence[Parser], max_size: int) -> FileResult:
    """Decode one file's bytes and run `parsers` on it. Never raises."""
    result = FileResult(path)
    result.skipped = skip_reason(data, max_size)
    if result.skipped:
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


def skip_reason(data: bytes, max_size: int) -> str | None:
    """Why a file's bytes are not parsed at all (too large, binary), or None."""
    if len(data) > max_size:
        return f"larger than max-file-size ({max_size} bytes)"
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return "binary"
    return None


def _open_cache(root: Path) -> FactCache | None:
    try:
        fact_cache = FactCache(root)
    except OSError:
        return None
    return fact_cache if fact_cache.enabled else None


def _parse_all(
    pending: Sequence[_Job], max_size: int, jobs: int | None, routes: Sequence[Route]
) -> list[FileResult]:
    if not pending:
        return []  # everything came from the cache: no parser module is imported
    workers = _worker_count(pending, jobs)
    if workers <= 1:
        parsers = parsers_named({n for job in pending for n in job.parser_names}, routes)
        return [
            parse_bytes(job.path, job.data, [parsers[n] for n in job.parser_names], max_size)
            for job in pending
        ]
    return _parse_in_processes(pending, max_size, workers)


# Modules that register parts of another module's parser: every YAML extractor plugs into the
# one YAML parser, so parsing YAML needs all of them.
_COMPANIONS = {"kumolint.parsers.yaml_documents": "kumolint.parsers.yaml_"}


def parsers_named(names: set[str], routes: Sequence[Route]) -> dict[str, Parser]:
    """The parsers called `names`, importing only their modules (the hook path re-parses a
    file or two; importing every parser module would cost more than parsing them)."""
    chosen = [r for r in routes if r.name in names]
    modules = {r.module for r in chosen}
    if len(chosen) != len(names) or not all(m.startswith("kumolint.parsers.") for m in modules):
        return load_parsers()
    for module in sorted(modules):
        importlib.import_module(module)
        prefix = _COMPANIONS.get(module)
        if prefix is not None:
            for info in pkgutil.iter_modules(parsers_package.__path__, "kumolint.parsers."):
                if info.name.startswith(prefix):
                    importlib.import_module(info.name)
    if not names <= PARSERS.keys():
        return load_parsers()
    return {name: PARSERS[name] for name in sorted(names)}


def _worker_count(pending: Sequence[_Job], jobs: int | None) -> int:
    if jobs is not None:
        return max(1, min(jobs, len(pending)))
    if len(pending) < PARALLEL_MIN_FILES:
        return 1
    if sum(len(job.data) for job in pending) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(available_cpus(), MAX_AUTO_WORKERS, len(pending)))


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _parse_in_processes(pending: Sequence[_Job], max_size: int, workers: int) -> list[FileResult]:
    """Balanced chunks of files (by bytes, largest first) across `workers` processes."""
    import multiprocessing  # only a parallel scan pays for these imports
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks: list[list[_Job]] = [[] for _ in range(min(len(pending), workers * CHUNKS_PER_WORKER))]
    loads = [0] * len(chunks)
    for job in sorted(pending, key=lambda j: (-len(j.data), j.path)):
        lightest = loads.index(min(loads))
        chunks[lightest].append(job)
        loads[lightest] += len(job.data) + 1
    methods = multiprocessing.get_all_start_methods()
    # fork: workers inherit the loaded parser registry instead of importing it again
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    results: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            (
                chunk,
                pool.submit(
                    _parse_chunk, [(j.path, j.data, j.parser_names) for j in chunk], max_size
                ),
            )
            for chunk in chunks
            if chunk
        ]
        for chunk, future in futures:
            try:
                shipped = future.result()
            except BrokenProcessPool:
                died = "internal error: a parser process died on {} or a file beside it"
                results.extend(
                    FileResult(job.path, internal_errors=[died.format(job.path)]) for job in chunk
                )
                continue
            results.extend(_unship(item) for item in shipped)
    return results


_Shipped = tuple[str, Any, str | None, list[str], bool]


def _parse_chunk(items: list[tuple[str, bytes, tuple[str, ...]]], max_size: int) -> list[_Shipped]:
    """In a worker: parse each file; facts travel in the cache's plain-data form."""
    parsers = load_parsers()
    shipped: list[_Shipped] = []
    for path, data, names in items:
        result = parse_bytes(path, data, [parsers[n] for n in names], max_size)
        try:
            shipped.append(
                (path, encode(result.facts), result.skipped, result.internal_errors, True)
            )
        except Unserializable:
            shipped.append((path, result.facts, result.skipped, result.internal_errors, False))
    return shipped


def _unship(item: _Shipped) -> FileResult:
    path, facts, skipped, internal_errors, encoded = item
    return FileResult(path, decode_facts(facts) if encoded else facts, skipped, internal_errors)


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


class _NotRead(OSError):
    """A file deliberately not read; the message is the skip reason."""


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # never through a symlink, even one made after discovery
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once (and is then refused) instead of hanging
    | getattr(os, "O_BINARY", 0)
)


def _read_file(full: Path, max_size: int) -> bytes:
    """The file's bytes, checked on the open descriptor itself: discovery looked at the path
    earlier, and the file may have been swapped for a symlink or a FIFO since."""
    try:
        descriptor = os.open(full, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _NotRead("symlink (not followed)") from None
        raise
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _NotRead("not a regular file")
        if info.st_size > max_size:
            raise _NotRead(f"larger than max-file-size ({max_size} bytes)")
        return handle.read(max_size + 1)

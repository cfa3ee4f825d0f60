"""A content-hash cache of per-file facts in `<root>/.kumolint_cache/`.

The hook path re-parses only the files that changed: a file's facts are a pure function of
its path, its bytes, the parsers that read it and the parser code, so that is the key. A hit
needs only the fact classes (`kumolint.facts` and friends), not the parsing libraries.

Safety: facts hold `Value`s with raw text from the repository's own files, so the directory
is private (0700, entries 0600) and ignored by git (a `.gitignore` holding `*`). Entries are
never unpickled: they are JSON whose objects can only become kumolint dataclasses and enums,
and the whole pack is signed with a per-user key kept outside the repository, so a cache
committed to the repository (or planted in a CI workspace) is ignored rather than trusted to
hide a finding. Anything unreadable, unsigned, stale or corrupt is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import hmac
import importlib
import importlib.util
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kumolint

if TYPE_CHECKING:
    from kumolint.scan import Route, RoutingTable

CACHE_DIR = ".kumolint_cache"
PACK_PREFIX = "facts-"
FORMAT = 1
# Libraries whose version changes what a parser extracts; their installed files are stamped.
_LIBRARIES = (
    "yaml",
    "dns",
    "tree_sitter",
    "tree_sitter_lua",
    "crossplane",
    "hcl2",
    "dockerfile_parse",
    "bashlex",
    "detect_secrets",
)
# Modules whose source shapes the facts of a file: parsers, fact types, decoding.
_SOURCE_DIRS = ("parsers", "facts")
_SOURCE_FILES = ("model.py", "finding.py", "scan.py", "cache.py", "values.py")


class Unserializable(Exception):
    """A fact holds something the cache format does not carry (that file is not cached)."""


def code_version() -> str:
    """A hash of everything besides the file's bytes that decides its facts."""
    digest = hashlib.sha256(f"kumolint {kumolint.__version__} format {FORMAT}\0".encode())
    digest.update(sys.version.encode())
    package = Path(kumolint.__file__).parent
    sources = [package / name for name in _SOURCE_FILES]
    for directory in _SOURCE_DIRS:
        sources.extend(sorted((package / directory).rglob("*.py")))
    for source in sources:
        try:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0")
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"missing\0")
    for library in _LIBRARIES:
        digest.update(f"\0{library}={_library_stamp(library)}".encode())
    return digest.hexdigest()[:32]


def _library_stamp(name: str) -> str:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "absent"
    if spec is None or not spec.origin:
        return "absent"
    try:
        info = os.stat(spec.origin)
    except OSError:
        return "absent"
    return f"{spec.origin}:{info.st_size}:{info.st_mtime_ns}"


def entry_key(path: str, data: bytes, parser_names: Iterable[str]) -> str:
    """The cache key of one file: its path (facts carry it), its bytes, the parsers reading it."""
    digest = hashlib.sha256()
    digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(",".join(parser_names).encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


class FactCache:
    """One run's view of the cache: load once, look up per file, save the entries used."""

    def __init__(self, root: Path, version: str | None = None) -> None:
        self.directory = root / CACHE_DIR
        self.version = version or code_version()
        self._signing_key = _user_key()
        self._stored: dict[str, Any] = {}
        self._stored_routes: list[Any] | None = None
        self._stored_routing: dict[str, Any] = {}
        if self._signing_key:
            self._load()
        self._used: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self._signing_key is not None

    def get(self, key: str) -> list[Any] | None:
        """The facts stored under `key`, or None (a miss, including any undecodable entry)."""
        encoded = self._stored.get(key)
        if encoded is None:
            self.misses += 1
            return None
        try:
            facts = decode(encoded)
        except Exception:  # a damaged or foreign entry is only a miss
            self.misses += 1
            return None
        if not isinstance(facts, list):
            self.misses += 1
            return None
        self._used[key] = encoded
        self.hits += 1
        return facts

    def put(self, key: str, facts: list[Any]) -> None:
        with contextlib.suppress(Unserializable):
            self._used[key] = encode(facts)

    def routes(self) -> list[Route] | None:
        """The routing table stored with the entries (same code version), if any."""
        from kumolint.scan import Route

        if not self._stored_routes:
            return None
        try:
            return [
                Route(
                    str(name),
                    tuple(str(p) for p in patterns),
                    int(flags),
                    bool(piggyback),
                    str(module),
                )
                for name, patterns, flags, piggyback, module in self._stored_routes
            ]
        except (TypeError, ValueError):
            return None

    def routing(self, paths_digest: str) -> RoutingTable | None:
        """The stored path -> parser names table, if it was made for exactly these paths."""
        from kumolint.scan import RoutingTable

        routes = self.routes()
        stored = self._stored_routing
        if routes is None or stored.get("paths") != paths_digest:
            return None
        try:
            names = {str(p): tuple(str(n) for n in ns) for p, ns in stored["names"].items()}
        except (AttributeError, KeyError, TypeError):
            return None
        return RoutingTable(tuple(routes), paths_digest, names)

    def save(
        self,
        routes: Iterable[Route] = (),
        paths_digest: str = "",
        names: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Write the entries this run used (and only those: the pack never grows stale)."""
        table = [[r.name, list(r.patterns), r.flags, r.piggyback, r.module] for r in routes]
        routing = {"paths": paths_digest, "names": {p: list(n) for p, n in (names or {}).items()}}
        if self._signing_key is None:
            return
        if (
            self._used == self._stored
            and table == self._stored_routes
            and routing == self._stored_routing
        ):
            return
        try:
            self._prepare_directory()
            body = json.dumps(
                {
                    "format": FORMAT,
                    "version": self.version,
                    "routes": table,
                    "routing": routing,
                    "entries": self._used,
                },
                sort_keys=True,
                separators=(",", ":"),
            ).encode("ascii")
            signature = hmac.new(self._signing_key, body, hashlib.sha256).hexdigest()
            _atomic_write(self._pack_path(), signature.encode("ascii") + b"\n" + body)
            self._remove_other_packs()
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _pack_path(self) -> Path:
        return self.directory / f"{PACK_PREFIX}{self.version}.json"

    def _load(self) -> None:
        try:
            raw = self._pack_path().read_bytes()
            signature, _, body = raw.partition(b"\n")
            assert self._signing_key is not None
            expected = hmac.new(self._signing_key, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature, expected.encode("ascii")):
                return
            pack = json.loads(body)
        except (OSError, ValueError):
            return
        if not isinstance(pack, dict) or pack.get("format") != FORMAT:
            return
        if pack.get("version") != self.version or not isinstance(pack.get("entries"), dict):
            return
        self._stored = pack["entries"]
        routes = pack.get("routes")
        self._stored_routes = routes if isinstance(routes, list) else None
        routing = pack.get("routing")
        self._stored_routing = routing if isinstance(routing, dict) else {}

    def _prepare_directory(self) -> None:
        """Create (or check) the directory; refuse one that is not ours to write secrets into.

        A repository could commit `.kumolint_cache` as a symlink to a world-readable place,
        or as a directory whose files git would track: the facts hold secrets, so the
        directory must be a real directory owned by this user, and it must ignore itself.
        """
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.directory, 0o700)
        info = os.lstat(self.directory)
        owner = getattr(os, "getuid", lambda: info.st_uid)()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner:
            raise OSError(f"{self.directory} is not a directory of this user")
        os.chmod(self.directory, 0o700)
        ignore = self.directory / ".gitignore"
        try:
            ignores_all = "*" in ignore.read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError):
            ignores_all = False
        if not ignores_all or ignore.is_symlink():
            _atomic_write(ignore, b"# kumolint's private fact cache: never commit it\n*\n")

    def _remove_other_packs(self) -> None:
        keep = self._pack_path().name
        for old in self.directory.glob(f"{PACK_PREFIX}*.json"):
            if old.name != keep:
                with contextlib.suppress(OSError):
                    old.unlink()


def _user_key() -> bytes | None:
    """The per-user signing key, outside any repository; None disables the cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "kumolint" / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _atomic_write(path, os.urandom(32), exclusive=True)
        key = path.read_bytes()  # another process may have won the race: use its key
    except OSError:
        return None
    return key if len(key) >= 32 else None


def _atomic_write(target: Path, data: bytes, *, exclusive: bool = False) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o600)
        if exclusive:
            os.link(temporary, target)  # fails if it exists: never replace a key in use
        else:
            os.replace(temporary, target)
    except FileExistsError:
        pass
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


# The entry format: JSON where a list is a list, {"t": [...]} a tuple, {"s": [...]} a
# frozenset, {"d": [[k, v], ...]} a
# dict, {"c": "module:Class", "f": {...}} a kumolint dataclass, {"e": ..., "v": ...} a
# kumolint enum member. Classes are looked up only in kumolint's own modules.


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"t": [encode(item) for item in value]}
    if isinstance(value, frozenset):
        return {"s": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    kind = type(value)
    name = f"{kind.__module__}:{kind.__qualname__}"
    if not kind.__module__.startswith("kumolint."):
        raise Unserializable(name)
    if isinstance(value, enum.Enum):
        return {"e": name, "v": encode(value.value)}
    if dataclasses.is_dataclass(value):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"c": name, "f": fields}
    raise Unserializable(name)


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "t" in value:
        return tuple(decode(item) for item in value["t"])
    if "s" in value:
        return frozenset(decode(item) for item in value["s"])
    if "d" in value:
        return {decode(k): decode(v) for k, v in value["d"]}
    if "e" in value:
        member_of = _kumolint_class(str(value["e"]))
        if not issubclass(member_of, enum.Enum):
            raise ValueError(value["e"])
        return member_of(decode(value["v"]))
    kind = _kumolint_class(str(value["c"]))
    if not dataclasses.is_dataclass(kind):
        raise ValueError(value["c"])
    instance = object.__new__(kind)
    stored: Mapping[str, Any] = value["f"]
    names = _field_names(kind)
    if len(names) != len(stored):
        raise ValueError(f"fields of {value['c']} changed")
    for name in names:
        object.__setattr__(instance, name, decode(stored[name]))
    return instance


@functools.lru_cache(maxsize=512)
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


@functools.lru_cache(maxsize=512)
def _kumolint_class(name: str) -> type:
    module_name, _, qualname = str(name).partition(":")
    if not module_name.startswith("kumolint.") or not qualname:
        raise ValueError(name)
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not isinstance(target, type):
        raise ValueError(name)
    return target

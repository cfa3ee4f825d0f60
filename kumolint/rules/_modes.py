"""Shared judgements of the KL4xx rules over `InstalledFile` facts.

Which destinations are secret, which installed files are the KumoMTA env file, what a mode
exposes, and when a fact is overridden by a later packaging stage.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Collection, Iterable, Iterator

from kumolint.facts.env import EnvAssignment
from kumolint.facts.keys import PemBlock
from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.model import RepoModel
from kumolint.values import is_placeholder, is_secret_name, is_trivial

DEFAULT_ENV_FILES = ("/etc/default/kumomta", "/opt/kumomta/etc/*.env")
# Public material that only looks like key files (apt keyrings, certificates).
PUBLIC_PATHS = (
    "/usr/share/keyrings/*",
    "/etc/apt/keyrings/*",
    "/etc/apt/trusted.gpg.d/*",
    "*.pub",
    "*.crt",
    "*.gpg",
    "*.asc",
)
_CERTIFICATE_WORDS = ("cert", "chain", "ca-bundle", "cacert", "/ca.pem", "public", ".pub.")
_MAINTAINER_SCRIPTS = ("postinst", "preinst")


def matches(path: str, globs: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for glob in globs)


def exposure(fact: InstalledFile) -> str:
    """ "world-readable", "world-writable", both, or "" for what the known bits prove."""
    if fact.mode is None:
        return ""
    bits = fact.mode & fact.known_bits
    words = []
    if bits & 0o004:
        words.append("world-readable")
    if bits & 0o002:
        words.append("world-writable")
    return " and ".join(words)


def render_mode(fact: InstalledFile, model: RepoModel | None = None) -> str:
    """The mode for a message; a git-mode default of an executable source file is 0755."""
    if fact.mode is None:
        return "unknown"
    if model is not None and fact.mode == 0o644 and "from git" in fact.default_reason:
        source = source_path(model, fact)
        if source is not None and model.files[source].executable:
            return "0755"
    if fact.known_bits == 0o7777:
        return f"{fact.mode:04o}"
    return fact.raw_mode or f"{fact.mode:04o}"


def source_path(
    model: RepoModel, fact: InstalledFile, among: Collection[str] | None = None
) -> str | None:
    """The repo file `fact.source` names (relative to the manifest, or as a path suffix),
    the first in path order, optionally only among the paths `among`."""
    if not fact.source:
        return None
    source = fact.source.strip().removeprefix("./")
    if "$" in source or not source or source.startswith("/"):
        return None
    exact = {posixpath.normpath(posixpath.join(posixpath.dirname(fact.span.path), source)), source}
    suffix = "/" + source
    by_name = model.derived("paths-by-basename", lambda: _paths_by_basename(model.files))
    for path in by_name.get(posixpath.basename(source), ()):
        if (path in exact or path.endswith(suffix)) and (among is None or path in among):
            return path
    return None


def _paths_by_basename(paths: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for path in sorted(paths):
        index.setdefault(posixpath.basename(path), []).append(path)
    return index


def secret_sources(model: RepoModel) -> set[str]:
    """Repo files that hold secrets: private keys, env files with real secret values."""
    extra = {name for names in model.config.roles.values() for name in names if "TOKEN" in name}
    paths = {b.span.path for b in model.of(PemBlock) if "PRIVATE KEY" in b.label}
    for assignment in model.of(EnvAssignment):
        text = assignment.value.text
        if (
            is_secret_name(assignment.name, extra)
            and not is_placeholder(text)
            and not is_trivial(text)
        ):
            paths.add(assignment.span.path)
    return paths


def secret_reason(
    fact: InstalledFile, model: RepoModel, sources: set[str] | None = None
) -> str | None:
    """Why `fact.dest` is secret ("secret-paths" or the secret source), or None."""
    if fact.secret_hint:
        return fact.secret_hint
    dest = fact.dest
    sources = secret_sources(model) if sources is None else sources
    source = source_path(model, fact, among=sources)
    if source is not None:
        return f"it installs {source}, which holds secrets"
    if matches(dest, PUBLIC_PATHS):
        return None
    globs = model.config.secret_paths
    if matches(dest, [g for g in globs if g != "*.pem"]):
        return "it matches secret-paths"
    pem_key = "*.pem" in globs and dest.endswith(".pem")
    if pem_key and not _looks_public(dest, source_path(model, fact), model):
        return "it matches secret-paths"
    return None


def exposed_secret_files(
    model: RepoModel, mode_source: str
) -> Iterator[tuple[InstalledFile, str]]:
    """(fact, why it is secret) for each secret file whose final mode, set the way
    `mode_source` says ("explicit" or "default"), lets others read or write it."""
    sources = secret_sources(model)
    later = later_explicit(model)
    for fact in model.of(InstalledFile):
        if fact.mode_source != mode_source or not exposure(fact):
            continue
        reason = secret_reason(fact, model, sources)
        if reason is not None and not superseded(fact, later):
            yield fact, reason


def _looks_public(dest: str, source: str | None, model: RepoModel) -> bool:
    if any(word in dest.lower() for word in _CERTIFICATE_WORDS):
        return True
    if source is None:
        return False
    labels = [b.label for b in model.of(PemBlock) if b.span.path == source]
    return bool(labels) and not any("PRIVATE KEY" in label for label in labels)


def later_explicit(model: RepoModel) -> dict[tuple[str, str], int]:
    """(debian root, dest) -> the latest Debian stage that sets the mode explicitly."""
    stages: dict[tuple[str, str], int] = {}
    for fact in model.of(InstalledFile):
        root = debian_root(fact.span.path)
        if root is None or fact.mode_source != "explicit" or fact.known_bits & 0o007 != 0o007:
            continue
        stage = _debian_stage(fact.span.path) or 0
        key = (root, fact.dest)
        stages[key] = max(stage, stages.get(key, 0))
    return stages


def superseded(fact: InstalledFile, later: dict[tuple[str, str], int]) -> bool:
    """A later Debian packaging stage sets this destination's mode explicitly.

    `<pkg>.install` and `<pkg>.default` are copied first, `debian/rules` runs (and its
    post-dh_fixperms chmods) after, and maintainer scripts (postinst) run on the target last,
    so an explicit chmod or dpkg-statoverride in a later stage wins. `later` comes from
    `later_explicit(model)`.
    """
    root = debian_root(fact.span.path)
    stage = _debian_stage(fact.span.path)
    if root is None or stage is None:
        return False
    return later.get((root, fact.dest), -1) > stage


def _debian_stage(path: str) -> int | None:
    if debian_root(path) is None:
        return None
    if is_maintainer_script(path):
        return 2
    return 1 if path.rsplit("/", 1)[-1] == "rules" else 0


def debian_root(path: str) -> str | None:
    parts = path.split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in ("debian", "DEBIAN"):
            return "/".join(parts[: i + 1])
    return None


def is_maintainer_script(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return debian_root(path) is not None and name.rsplit(".", 1)[-1] in _MAINTAINER_SCRIPTS


def restart_scope(path: str) -> str:
    """Files that count as "the same script" for a restart: one file, or a debian/ tree."""
    return debian_root(path) or path


def restarts_kumomta(restart: ServiceRestart) -> bool:
    unit = restart.unit.removesuffix(".service").lower()
    return unit.startswith("kumo") or unit == "kumod"


def note(fact: InstalledFile) -> str:
    """The parser's remark on how the mode was written, as a message suffix."""
    return f"; {fact.mode_note}" if fact.mode_note else ""

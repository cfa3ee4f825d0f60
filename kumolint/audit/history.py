"""Run the per-file rules on every version of every file kumolint understands, once each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path

from kumolint.audit import git, lint
from kumolint.audit.progress import Progress
from kumolint.audit.relevance import needed_parsers
from kumolint.config import Config
from kumolint.finding import Finding
from kumolint.parsers import Parser, load_parsers, parsers_for
from kumolint.registry import Rule

# The rules an audit runs by default: they judge one file alone and find secrets, so a hit
# in any old version means a credential to rotate. Whole-repo rules (a variable missing
# somewhere) say nothing about history. `--select` replaces this list.
HISTORY_RULES = ("KL101", "KL105", "KL106", "KL201", "KL202", "KL302", "KL404")
_SKIP_MODES = {"160000": "submodule", "120000": "symlink"}

Key = tuple[str, str, str]  # rule, path, fingerprint
Pair = tuple[str, str]  # blob id, path


@dataclass(frozen=True)
class Introduced:
    commit: str
    date: int


@dataclass
class AuditFinding:
    """One finding of the history, however many versions of the file carried it."""

    finding: Finding  # as first seen; `commit` is the introducing commit
    introduced: Introduced
    at_head: bool
    left: Introduced | None = None  # the commit whose version of the file no longer has it

    @property
    def key(self) -> Key:
        return (self.finding.rule_id, self.finding.span.path, self.finding.fingerprint)


@dataclass
class Skipped:
    path: str
    blob: str
    reason: str


@dataclass
class AuditResult:
    findings: list[AuditFinding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable objects: reported, not fatal
    notes: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    commits: int = 0
    versions: int = 0  # (blob, path) pairs linted
    head: str | None = None
    history: bool = True
    first_date: int = 0  # author dates of the oldest and newest commit walked
    last_date: int = 0


@dataclass
class _Walk:
    """Bookkeeping of one walk: small per change, never file contents."""

    commits: list[git.Commit] = field(default_factory=list)
    first_seen: dict[Pair, int] = field(default_factory=dict)  # pair -> commit index
    paths_of: dict[str, list[str]] = field(default_factory=dict)  # blob -> paths, first order
    timeline: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    skipped_kinds: dict[str, int] = field(default_factory=dict)


def audit(
    root: Path,
    config: Config,
    rules: Mapping[str, Rule],
    *,
    history: bool = True,
    since: str | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> AuditResult:
    progress = progress or Progress(enabled=False)
    # GitError outside a repository; one call answers both questions
    shallow = git.git(root, "rev-parse", "--git-dir", "--is-shallow-repository").split()[-1:]
    result = AuditResult(history=history)
    head = git.git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).strip()
    result.head = head or None
    if not head:
        refs = git.git(root, "for-each-ref", "--count=1", "--format=%(objectname)", check=False)
        if not refs.strip():
            result.notes.append("the repository has no commits: nothing to audit")
            return result
    if shallow == ["true"]:
        result.notes.append(
            "shallow clone: commits before the shallow boundary are missing from the audit "
            "(fetch them with `git fetch --unshallow`)"
        )
    parsers = load_parsers()
    needed = needed_parsers(rules.values(), parsers)
    routes: dict[str, list[Parser]] = {}
    walk = _Walk()
    if history:
        revisions = ["--all", *([head] if head else [])]
        if since:
            base = git.git(root, "rev-parse", "--verify", "-q", f"{since}^{{commit}}", check=False)
            if not base.strip():
                raise git.GitError(f"--since {since}: not a commit in this repository")
            revisions.append(f"^{base.strip()}")
        # counting the commits walks the history once more: only a visible bar needs it
        counted = (
            git.git(root, "rev-list", "--count", *revisions, check=False)
            if progress.enabled
            else ""
        )
        progress.phase("commits", int(counted or 0))
        for commit, changes in git.log(root, revisions):
            _record(walk, commit, changes, config, parsers, needed, routes)
            progress.update(len(walk.commits))
    head_tree = git.tree(root, head) if head else {}
    if head and (not history or not since):
        # a version HEAD has that the walk did not see as introduced (e.g. without --history)
        changes = [git.Change(mode, oid, path) for path, (mode, oid) in head_tree.items()]
        walked = next((c.date for c in reversed(walk.commits) if c.sha == head), None)
        head_date = (
            walked
            if walked is not None
            else int(git.git(root, "show", "-s", "--format=%at", head).strip() or 0)
        )
        _record(
            walk,
            git.Commit(head, head_date),
            changes,
            config,
            parsers,
            needed,
            routes,
            only_new=True,
        )
    result.commits = len(walk.commits) - (1 if head and (not history or not since) else 0)
    for kind, count in sorted(walk.skipped_kinds.items()):
        result.notes.append(f"{count} {kind} entries are not followed")
    if walk.commits:
        result.first_date = min(c.date for c in walk.commits)
        result.last_date = max(c.date for c in walk.commits)
    found = _lint_versions(root, walk, config, rules, routes, result, progress, jobs)
    _conclude(walk, found, head_tree, result)
    return result


def _record(
    walk: _Walk,
    commit: git.Commit,
    changes: Sequence[git.Change],
    config: Config,
    parsers: dict[str, Parser],
    needed: Set[str],
    routes: dict[str, list[Parser]],
    *,
    only_new: bool = False,
) -> None:
    index = len(walk.commits)
    walk.commits.append(commit)
    for change in changes:
        if change.mode in _SKIP_MODES:
            if change.mode == "160000" and not only_new:
                walk.skipped_kinds["submodule"] = walk.skipped_kinds.get("submodule", 0) + 1
            continue
        chosen = routes.get(change.path)
        if chosen is None:
            excluded = config.is_excluded(change.path)
            routed = [] if excluded else parsers_for(change.path, parsers)
            # only parsers whose facts a selected rule reads (see `relevance`)
            chosen = routes[change.path] = [p for p in routed if p.name in needed]
        if not chosen:
            continue
        if change.blob is None:
            walk.timeline.setdefault(change.path, []).append((index, None))
            continue
        pair = (change.blob, change.path)
        if pair in walk.first_seen:
            if not only_new:
                walk.timeline.setdefault(change.path, []).append((index, change.blob))
            continue
        walk.first_seen[pair] = index
        walk.paths_of.setdefault(change.blob, []).append(change.path)
        walk.timeline.setdefault(change.path, []).append((index, change.blob))


def _lint_versions(
    root: Path,
    walk: _Walk,
    config: Config,
    rules: Mapping[str, Rule],
    routes: Mapping[str, list[Parser]],
    result: AuditResult,
    progress: Progress,
    jobs: int | None = None,
) -> dict[Pair, list[Finding]]:
    found: dict[Pair, list[Finding]] = {}
    progress.phase("files", len(walk.first_seen))
    linter = lint.Linter(config, rules, routes)
    workers = lint.worker_count(len(walk.first_seen), jobs)
    results = lint.lint_all(linter, _jobs(root, walk, config), workers)
    for done, linted in enumerate(results, start=1):
        job = linted.job
        if job.problem:
            if job.problem.startswith(("unreadable", "missing")):
                result.problems.append(f"{job.path} (blob {job.oid[:12]}): {job.problem}")
            else:
                result.skipped.append(Skipped(job.path, job.oid, job.problem))
        result.internal_errors.extend(linted.internal_errors)
        if linted.skipped:
            result.skipped.append(Skipped(job.path, job.oid, linted.skipped))
        if linted.parsed:
            result.versions += 1
        if linted.findings:
            found[(job.oid, job.path)] = linted.findings
        progress.update(done)
    progress.close()
    return found


def _jobs(root: Path, walk: _Walk, config: Config) -> Iterator[lint.Job]:
    for blob in git.read_blobs(root, list(walk.paths_of), config.max_file_size):
        for path in walk.paths_of[blob.oid]:
            yield lint.Job(blob.oid, path, blob.data, blob.problem if blob.data is None else "")


def _conclude(
    walk: _Walk,
    found: Mapping[Pair, list[Finding]],
    head_tree: Mapping[str, tuple[str, str]],
    result: AuditResult,
) -> None:
    first: dict[Key, tuple[int, Finding]] = {}
    keys_of: dict[Pair, set[Key]] = {}
    for pair, findings in found.items():
        index = walk.first_seen[pair]
        for finding in findings:
            key = (finding.rule_id, finding.span.path, finding.fingerprint)
            keys_of.setdefault(pair, set()).add(key)
            if key not in first or index < first[key][0]:
                first[key] = (index, finding)
    for key, (index, finding) in first.items():
        commit = walk.commits[index]
        path = key[1]
        at_head = path in head_tree and key in keys_of.get((head_tree[path][1], path), set())
        left = None if at_head else _left(walk, key, keys_of)
        result.findings.append(
            AuditFinding(
                finding=_with_commit(finding, commit.sha),
                introduced=Introduced(commit.sha, commit.date),
                at_head=at_head,
                left=left,
            )
        )
    result.findings.sort(key=lambda a: (-a.finding.severity.rank, a.introduced.date, a.finding))


def _left(walk: _Walk, key: Key, keys_of: Mapping[Pair, set[Key]]) -> Introduced | None:
    """The first change of the file after its last version with the finding."""
    events = walk.timeline.get(key[1], [])
    last = max(
        (
            n
            for n, (_, blob) in enumerate(events)
            if blob and key in keys_of.get((blob, key[1]), ())
        ),
        default=None,
    )
    if last is None or last + 1 >= len(events):
        return None
    commit = walk.commits[events[last + 1][0]]
    return Introduced(commit.sha, commit.date)


def _with_commit(finding: Finding, sha: str) -> Finding:
    from dataclasses import replace

    return replace(finding, commit=sha)

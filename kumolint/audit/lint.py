"""Lint the versions of a history: parse one blob and run the per-file rules on it.

A history has hundreds of versions to parse, each on its own: they are spread over forked
worker processes (one per core), which inherit the loaded parsers, rules and routes from the
audit, so only the blob bytes go to a worker and only its findings come back. Results come
back in submission order, so the audit's output does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kumolint import engine
from kumolint.config import Config
from kumolint.finding import Finding
from kumolint.model import RepoFile, RepoModel
from kumolint.parsers import Parser
from kumolint.registry import Rule
from kumolint.scan import parse_bytes

# Fewer versions than this are linted in-process: starting workers would cost more.
PARALLEL_FROM = 48
_CHUNK = 4  # versions per message to a worker: fewer round trips, still balanced
_AHEAD = 4  # chunks queued per worker

# What a forked worker lints with: set once in each worker process by `_start_worker`
# (inherited through fork, never pickled).
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class Job:
    """One version to lint: `data` is None when the blob could not be read (`problem`)."""

    oid: str
    path: str
    data: bytes | None
    problem: str = ""


@dataclass
class Linted:
    job: Job  # with `data` dropped
    findings: list[Finding] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the parsers did not read it (size, binary)
    parsed: bool = False


class Linter:
    def __init__(
        self, config: Config, rules: Mapping[str, Rule], routes: Mapping[str, list[Parser]]
    ) -> None:
        self.config = config
        self.rules = rules
        self.routes = routes

    def lint(self, job: Job) -> Linted:
        done = Linted(Job(job.oid, job.path, None, job.problem))
        if job.data is None:
            return done
        parsed = parse_bytes(job.path, job.data, self.routes[job.path], self.config.max_file_size)
        done.internal_errors.extend(parsed.internal_errors)
        if parsed.skipped:
            done.skipped = parsed.skipped
            return done
        done.parsed = True
        model = RepoModel.build(self.config, [RepoFile(job.path)], parsed.facts, parsed=[job.path])
        run = engine.run(model, self.rules, self.config)
        done.internal_errors.extend(run.internal_errors)
        done.findings = run.findings
        return done


def worker_count(versions: int, jobs: int | None = None) -> int:
    """How many processes lint `versions` versions: 1 means in-process."""
    if jobs is not None:
        wanted = jobs
    elif versions < PARALLEL_FROM:
        return 1
    else:
        affinity = getattr(os, "sched_getaffinity", None)
        wanted = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    # Workers inherit the loaded rules through fork, which only Linux makes safe (macOS
    # system libraries may not survive it). Findings come back pickled: frozen slotted
    # dataclasses get __getstate__/__setstate__ from `dataclass` since 3.10 (bpo-43999).
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(wanted, 8, versions))


def lint_all(linter: Linter, jobs: Iterable[Job], workers: int) -> Generator[Linted, None, None]:
    """Every job's result, in the order of `jobs`."""
    if workers <= 1:
        yield from map(linter.lint, jobs)
        return
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(linter,))
    finished = False
    try:
        # The first submit forks every worker: do it before `jobs` starts the thread that
        # feeds git, so no worker is forked while another thread holds a lock.
        pool.submit(int).result()
        pending: deque[Future[list[Linted]]] = deque()
        for chunk in _chunks(jobs, _CHUNK):
            pending.append(pool.submit(_lint_in_worker, chunk))
            if len(pending) >= _AHEAD * workers:  # bounded: blob bytes in flight stay few
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        finished = True
    finally:
        # after an error, an interrupt or an early stop, queued versions are dropped
        pool.shutdown(wait=True, cancel_futures=not finished)


def _chunks(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    chunk: list[Job] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _start_worker(linter: Linter) -> None:
    _WORKER["linter"] = linter


def _lint_in_worker(jobs: list[Job]) -> list[Linted]:
    linter: Linter = _WORKER["linter"]
    return [linter.lint(job) for job in jobs]

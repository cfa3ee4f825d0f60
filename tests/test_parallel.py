"""Parallel parsing: chosen by the amount of work, and a dying worker fails the run closed."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

import kumolint.scan
from kumolint.config import Config
from kumolint.discover import repo_files
from kumolint.parsers import PARSERS, load_parsers
from kumolint.scan import build_model
from tests.conftest import write_tree

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="the worker inherits the monkeypatched parser only when forked",
)


def _repo(root: Path, count: int) -> Path:
    return write_tree(root, {f"keys/k{i}.key": KEY for i in range(count)})


def test_little_work_stays_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_workers(*args: Any) -> Any:
        raise AssertionError("a small scan must not start worker processes")

    monkeypatch.setattr(kumolint.scan, "_parse_in_processes", no_workers)
    root = _repo(tmp_path, 5)
    files, _ = repo_files(root)
    assert len(build_model(root, files, Config(), cache=False).model.parsed) == 5


def test_jobs_2_uses_workers_and_gives_the_same_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, 6)
    files, _ = repo_files(root)
    serial = build_model(root, files, Config(), cache=False, jobs=1).model
    used: list[int] = []
    real = kumolint.scan._parse_in_processes

    def counting(pending: Any, max_size: int, workers: int) -> Any:
        used.append(workers)
        return real(pending, max_size, workers)

    monkeypatch.setattr(kumolint.scan, "_parse_in_processes", counting)
    parallel = build_model(root, files, Config(), cache=False, jobs=2).model
    assert used == [2]
    assert parallel.facts == serial.facts
    assert parallel.parsed == serial.parsed


def _die(path: str, text: str) -> Any:  # pragma: no cover - runs in the worker
    os._exit(70)


@needs_fork
def test_a_dying_worker_is_an_internal_error_not_a_smaller_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_parsers()
    monkeypatch.setitem(PARSERS, "pem", dataclasses.replace(PARSERS["pem"], parse=_die))
    root = _repo(tmp_path, 4)
    files, _ = repo_files(root)
    scan = build_model(root, files, Config(), cache=False, jobs=2)
    assert scan.internal_errors
    assert all("parser process died" in error for error in scan.internal_errors)
    assert not (root / ".kumolint_cache").exists()


def test_big_scans_are_parsed_in_batches_of_bounded_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read-but-unparsed bytes never pile up: the repository is parsed in batches."""
    monkeypatch.setattr(kumolint.scan, "BATCH_BYTES", 3 * len(KEY))
    batches: list[int] = []
    real = kumolint.scan._parse_all

    def recording(pending: Any, *args: Any) -> Any:
        batches.append(sum(len(job.data) for job in pending))
        return real(pending, *args)

    monkeypatch.setattr(kumolint.scan, "_parse_all", recording)
    root = _repo(tmp_path, 10)
    files, _ = repo_files(root)
    scan = build_model(root, files, Config(), cache=False, jobs=1)
    assert len(scan.model.parsed) == 10
    assert max(batches) <= 3 * len(KEY)
    assert sum(batches) == 10 * len(KEY)

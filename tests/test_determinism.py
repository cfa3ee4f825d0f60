"""The same repository gives byte-identical output: across runs and processes (hash seeds),
with the fact cache cold, warm or off, parsed serially or in worker processes, and whatever
the order the file list arrives in."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kumolint import engine, formatters
from kumolint.config import Config, load_config
from kumolint.discover import repo_files
from kumolint.formatters import Output
from kumolint.model import RepoFile
from kumolint.scan import build_model
from tests.conftest import FIXTURES, ROOT, RULES

EXAMPLE = ROOT / "examples" / "ping8-deploy"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every rule's bad fixture side by side, plus the example deployment at the root."""
    root = tmp_path_factory.mktemp("determinism") / "repo"
    if EXAMPLE.is_dir():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kumolint_cache"))
    root.mkdir(exist_ok=True)
    (root / ".kumolint.toml").write_text("", encoding="utf-8")
    for bad in sorted(FIXTURES.glob("KL*/bad")):
        shutil.copytree(
            bad,
            root / "fixtures" / bad.parent.name,
            ignore=shutil.ignore_patterns(".kumolint_cache", "expected.txt"),
        )
    return root


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _render(root: Path, files: list[RepoFile], *, cache: bool, jobs: int | None) -> dict[str, str]:
    config = load_config(root, None)
    _, skipped = repo_files(root)
    scan = build_model(root, files, config, skipped=skipped, cache=cache, jobs=jobs)
    assert scan.internal_errors == []
    result = engine.run(scan.model, RULES, config)
    assert result.internal_errors == []
    output = Output(
        findings=result.findings,
        rules=RULES,
        files_scanned=len(scan.model.parsed),
        skipped=scan.model.skipped,
        suppressed=result.suppressed,
    )
    return {name: formatters.get(name)(output) for name in formatters.available()}


def test_the_repository_is_worth_comparing(repo: Path) -> None:
    files, _ = repo_files(repo)
    rendered = _render(repo, files, cache=False, jobs=1)
    assert rendered["json"].count('"rule"') >= 10  # many findings of many kinds


def test_serial_parallel_cold_warm_and_no_cache_agree(repo: Path) -> None:
    shutil.rmtree(repo / ".kumolint_cache", ignore_errors=True)
    files, _ = repo_files(repo)
    reference = _render(repo, files, cache=False, jobs=1)
    variants = {
        "parallel, no cache": _render(repo, files, cache=False, jobs=2),
        "serial, cache cold": _render(repo, files, cache=True, jobs=1),
        "serial, cache warm": _render(repo, files, cache=True, jobs=1),
        "parallel, cache warm": _render(repo, files, cache=True, jobs=2),
    }
    assert (repo / ".kumolint_cache").is_dir()  # the warm runs really had a cache to use
    for name, rendered in variants.items():
        for format_name, text in rendered.items():
            assert text == reference[format_name], f"{name}: {format_name} differs"


def test_parallel_cold_cache_fills_the_same_cache(repo: Path) -> None:
    shutil.rmtree(repo / ".kumolint_cache", ignore_errors=True)
    files, _ = repo_files(repo)
    reference = _render(repo, files, cache=False, jobs=1)
    assert _render(repo, files, cache=True, jobs=2) == reference
    assert _render(repo, files, cache=True, jobs=1) == reference


def test_the_order_of_the_file_list_does_not_matter(repo: Path) -> None:
    files, _ = repo_files(repo)
    reference = _render(repo, files, cache=False, jobs=1)
    shuffled = list(files)
    random.Random(8).shuffle(shuffled)
    assert shuffled != files
    assert _render(repo, shuffled, cache=False, jobs=1) == reference


def test_models_are_equal_fact_for_fact(repo: Path) -> None:
    files, _ = repo_files(repo)
    config = Config()
    serial = build_model(repo, files, config, cache=False, jobs=1).model
    parallel = build_model(repo, files, config, cache=False, jobs=2).model
    cached = build_model(repo, files, config, cache=True, jobs=1).model
    again = build_model(repo, files, config, cache=True, jobs=1).model
    assert serial.facts  # not vacuous
    for model in (parallel, cached, again):
        assert model.facts == serial.facts
        assert model.parsed == serial.parsed
        assert model.skipped == serial.skipped


def test_cli_output_is_byte_identical_across_processes(repo: Path, tmp_path: Path) -> None:
    """Different hash seeds (set and dict orders) and a cold then warm cache, in real runs,
    every output format at once."""
    shutil.rmtree(repo / ".kumolint_cache", ignore_errors=True)
    names = formatters.available()
    runs = []
    for seed in ("0", "1", "12345"):
        out = tmp_path / f"seed-{seed}"
        out.mkdir()
        environment = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "PYTHONPATH": str(ROOT),
            "XDG_CACHE_HOME": str(tmp_path / "user-cache"),
        }
        environment.pop("GITHUB_ACTIONS", None)
        environment.pop("GITHUB_STEP_SUMMARY", None)
        arguments = [argument for name in names for argument in ("--format", name)]
        arguments += [argument for name in names for argument in ("--output", str(out / name))]
        run = subprocess.run(
            [sys.executable, "-m", "kumolint", "check", *arguments, str(repo)],
            capture_output=True,
            env=environment,
            timeout=120,
            check=False,
        )
        assert run.returncode == 1, run.stderr.decode(errors="replace")[-2000:]
        runs.append((run.stderr, {name: (out / name).read_bytes() for name in names}))
    assert all(runs[0][1].values())  # every format wrote something
    assert (repo / ".kumolint_cache").is_dir()  # the later runs were warm
    assert runs[1] == runs[0]
    assert runs[2] == runs[0]

"""The audit lints versions in worker processes: the result must not depend on how many."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kumolint.audit import history, lint
from kumolint.config import load_config
from tests.conftest import RULES
from tests.test_audit import KEY, commit, git

needs_fork = pytest.mark.skipif(
    lint.worker_count(1000, 2) == 1, reason="workers need Linux (fork)"
)


def _history(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    for step in range(30):
        files: dict[str, str | bytes] = {
            "deploy/kumomta.env": f"PING8_API_TOKEN=Zq9XkV3tLw8RpN2mYc{step:02d}HsD4fGj6KaB\n",
            "policy/init.lua": (
                "local kumo = require 'kumo'\n"
                f"local cfg = {{ api_token = 'Wq8XkV3tLw8RpN2mYc7Hs{step % 3}Gj6KaB1e' }}\n"
                f"kumo.on('init', function() kumo.start_http_listener {{ listen = "
                f"'0.0.0.0:{8000 + step}' }} end)\n"
            ),
            "docs/notes.md": f"step {step}\n",
        }
        if step == 10:
            files["keys/dkim/example.key"] = KEY
        if step == 12:
            files["policy/broken.lua"] = "local x = {\n"
        if step == 20:
            files["deploy/huge.env"] = "A=1\n" * 40_000
        commit(root, files, f"step {step}", 1_600_000_000 + step * 60)
        if step == 15:
            git(root, "rm", "-q", "keys/dkim/example.key")
            git(root, "commit", "-qm", "drop key", date=1_600_000_000 + step * 60 + 1)


@needs_fork
def test_workers_give_the_same_result_as_one_process(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    _history(root)
    config = load_config(root, None).with_overrides(max_file_size=100_000)
    rules = {i: RULES[i] for i in history.HISTORY_RULES if i in RULES}
    alone = history.audit(root, config, rules, jobs=1)
    spread = history.audit(root, config, rules, jobs=2)
    assert alone.versions > 60
    assert {a.finding.rule_id for a in alone.findings} >= {"KL101", "KL106", "KL201"}
    assert [s.path for s in alone.skipped] == ["deploy/huge.env"]
    assert not alone.internal_errors
    assert spread.findings == alone.findings
    assert spread.skipped == alone.skipped
    assert spread.problems == alone.problems
    assert spread.internal_errors == alone.internal_errors
    assert spread.versions == alone.versions


def test_small_histories_are_linted_in_process() -> None:
    assert lint.worker_count(lint.PARALLEL_FROM - 1) == 1
    assert lint.worker_count(5, jobs=1) == 1
    if not sys.platform.startswith("linux"):
        assert lint.worker_count(10_000, jobs=4) == 1
    else:
        assert lint.worker_count(3, jobs=4) == 3  # never more workers than versions


def test_findings_survive_the_trip_back_from_a_worker() -> None:
    import pickle
    from dataclasses import fields

    from kumolint.finding import Finding, Related, Severity, Span

    span = Span("deploy/kumomta.env", 3, 1, 3, 20)
    finding = Finding(
        rule_id="KL101",
        severity=Severity.ERROR,
        span=span,
        message="populated secret PING8_API_TOKEN",
        related=(Related(span, "here"),),
    )
    back = pickle.loads(pickle.dumps(finding))
    # equality skips most fields (compare=False): check each one
    assert [getattr(back, f.name) for f in fields(Finding)] == [
        getattr(finding, f.name) for f in fields(Finding)
    ]
    assert (back.span.end_line, back.span.end_column) == (3, 20)


@needs_fork
def test_a_failing_worker_stops_the_audit_and_an_early_stop_leaves_no_worker() -> None:
    import multiprocessing

    from kumolint.config import Config

    jobs = [lint.Job(f"{n:040x}", "policy/init.lua", b"local x = 1\n") for n in range(40)]
    unrouted = lint.Linter(Config(), {}, {})  # no route for the path: a KeyError in a worker
    with pytest.raises(KeyError):
        list(lint.lint_all(unrouted, jobs, 2))
    routed = lint.Linter(Config(), {}, {"policy/init.lua": []})
    results = lint.lint_all(routed, jobs, 2)
    first = next(results)
    assert first.job.oid == jobs[0].oid
    assert first.job.data is None
    assert first.parsed
    results.close()
    assert not multiprocessing.active_children()

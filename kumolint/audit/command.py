"""`kumolint audit [REPO] [--history] [--since REV] [--format ...] [--report FILE]`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from kumolint.audit import git, history
from kumolint.audit.progress import Progress
from kumolint.config import load_config
from kumolint.engine import RUNS_LAST
from kumolint.finding import Severity
from kumolint.formatters import Output
from kumolint.model import SkippedFile
from kumolint.registry import Rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class AuditUsageError(Exception):
    """A problem with how the audit was called (exit 2)."""


def run(all_rules: Mapping[str, Rule], args: argparse.Namespace) -> int:
    root = args.repo.resolve()
    if not root.is_dir():
        raise AuditUsageError(f"{args.repo}: not a directory")
    config = load_config(root, args.config)
    if args.fail_on:
        config = config.with_overrides(fail_on=Severity(args.fail_on))
    rules = _rules(all_rules, args.select)
    if args.report is not None and args.report.suffix.lower() not in (".md", ".html", ".htm"):
        raise AuditUsageError(f"--report {args.report}: use a .md or .html file name")
    started = time.monotonic()
    try:
        result = history.audit(
            root,
            config,
            rules,
            history=args.history,
            since=args.since,
            progress=Progress(enabled=not args.quiet),
        )
    except git.GitError as error:
        raise AuditUsageError(f"{root}: {error}") from None
    elapsed = time.monotonic() - started
    _write(args, result, all_rules, root)
    for note in result.notes:
        print(f"kumolint: note: {note}", file=sys.stderr)
    for problem in result.problems:
        print(f"kumolint: could not read {problem}; continuing", file=sys.stderr)
    for internal in result.internal_errors:
        print(f"kumolint: {internal}", file=sys.stderr)
    if not args.quiet:
        print(_summary(result, elapsed), file=sys.stderr)
    if result.internal_errors:
        return EXIT_INTERNAL
    failing = [a for a in result.findings if a.finding.severity.rank >= config.fail_on.rank]
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_CLEAN


def _rules(all_rules: Mapping[str, Rule], select: str | None) -> dict[str, Rule]:
    if select is None:
        return {i: all_rules[i] for i in history.HISTORY_RULES if i in all_rules}
    prefixes = tuple(c.strip().upper() for c in select.split(",") if c.strip())
    chosen = {i: r for i, r in all_rules.items() if i.startswith(prefixes) and i not in RUNS_LAST}
    if not chosen:
        raise AuditUsageError(f"--select {select}: matches no rule")
    return chosen


def _write(
    args: argparse.Namespace, result: history.AuditResult, rules: Mapping[str, Rule], root: Path
) -> None:
    from kumolint import formatters

    name = args.format
    if name == "auto":
        name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if name == "text":
        text = render_text(result)
    else:
        output = Output(
            findings=[a.finding for a in result.findings],
            rules=rules,
            files_scanned=result.versions,
            skipped=[SkippedFile(s.path, s.reason) for s in result.skipped],
        )
        text = formatters.get(name)(output)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8", errors="backslashreplace")
    else:
        sys.stdout.write(text)
    if args.report is not None:
        if args.report.suffix.lower() == ".md":
            from kumolint.audit import report

            page = report.markdown(result, rules, root.name)
        else:
            from kumolint.audit import html_report

            page = html_report.render(result, rules, root.name)
        args.report.write_text(page, encoding="utf-8", errors="backslashreplace")


def render_text(result: history.AuditResult) -> str:
    lines = []
    for item in result.findings:
        f = item.finding
        where = "still in HEAD" if item.at_head else "only in history"
        lines.append(
            f"{f.span.path}:{f.span.line}:{f.span.column}: {f.rule_id} [{f.severity.value}] "
            f"{f.message} (introduced in {item.introduced.commit[:12]} "
            f"{_day(item.introduced.date)}; {where})\n"
        )
    return "".join(lines)


def _summary(result: history.AuditResult, elapsed: float) -> str:
    total = len(result.findings)
    at_head = sum(1 for a in result.findings if a.at_head)
    scope = f"{result.commits} commits" if result.history else "HEAD"
    return (
        f"kumolint: {total} finding{'s' if total != 1 else ''} ({at_head} still in HEAD) in "
        f"{result.versions} file versions of {scope}; {len(result.skipped)} skipped; "
        f"{elapsed:.2f}s"
    )


def _day(stamp: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(stamp))

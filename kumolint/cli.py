"""The `kumolint` command line. Exit codes: 0 clean, 1 findings, 2 usage/config, 3 internal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from kumolint import __version__, baseline
from kumolint.config import Config, ConfigError, load_config
from kumolint.finding import Finding, Severity
from kumolint.formatters import Output
from kumolint.registry import Rule, load_rules

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A problem with how kumolint was called (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except (ConfigError, UsageError) as error:
        print(f"kumolint: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERNAL
    except Exception as error:
        from kumolint.scan import describe_internal_error

        print(f"kumolint: {describe_internal_error('kumolint', '-', error)}", file=sys.stderr)
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    rules = load_rules()
    if args.command == "rules":
        return _rules(rules, args.markdown)
    if args.command == "explain":
        return _explain(rules, args.rule_id.upper())
    if args.command == "audit":
        from kumolint.audit import command

        try:
            return command.run(rules, args)
        except command.AuditUsageError as error:
            raise UsageError(str(error)) from None
    return _check(rules, args)


def _parser() -> argparse.ArgumentParser:
    from kumolint import formatters

    parser = argparse.ArgumentParser(
        prog="kumolint",
        description="Lint KumoMTA / KumoProxy / Nginx deployment repositories.",
    )
    parser.add_argument("--version", action="version", version=f"kumolint {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="lint a repository (whole-repo model)")
    check.add_argument(
        "paths", nargs="*", type=Path, help="report only findings in these files or directories"
    )
    check.add_argument("--root", type=Path, help="repository root (default: found from PATH)")
    check.add_argument(
        "--format",
        action="append",
        choices=[*formatters.available(), "auto"],
        help="output format; repeat with --output for several (default: auto)",
    )
    check.add_argument(
        "--output", action="append", type=Path, help="write the matching --format here"
    )
    check.add_argument(
        "--config",
        type=Path,
        help="config file (default: .kumolint.toml, else [tool.kumolint] in pyproject.toml)",
    )
    check.add_argument("--select", type=_codes, help="rule codes or prefixes, comma separated")
    check.add_argument("--extend-select", type=_codes, help="add to the selection")
    check.add_argument("--ignore", type=_codes, help="rule codes or prefixes to skip")
    check.add_argument("--fail-on", choices=[s.value for s in Severity])
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument(
        "--show-suppressed", action="store_true", help="also list suppressed findings"
    )
    check.add_argument("--quiet", action="store_true", help="no summary on stderr")
    check.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="do not read or write the per-file fact cache in .kumolint_cache/",
    )
    check.add_argument(
        "--jobs",
        type=_positive,
        help="parse with this many processes (default: one per core for large repos)",
    )
    check.add_argument(
        "--staged",
        action="store_true",
        help="lint the index (staged) version of the staged files, not the working tree",
    )
    check.add_argument(
        "--baseline", type=Path, metavar="FILE", help="do not report findings accepted in FILE"
    )
    check.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="accept every current finding: write them to FILE (reasons already there are kept)",
    )
    check.add_argument(
        "--report-stale-baseline",
        action="store_true",
        help="list baseline entries that match nothing any more, and fail when there are some",
    )

    listing = commands.add_parser("rules", help="list every rule")
    listing.add_argument("--markdown", type=Path, metavar="DIR", help="write the rule catalogue")

    explain = commands.add_parser("explain", help="show one rule's documentation")
    explain.add_argument("rule_id")

    audit = commands.add_parser(
        "audit", help="find secrets in a repository, and with --history in all of git history"
    )
    _audit_arguments(audit, formatters.available())
    return parser


def _audit_arguments(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    # declared here, not in kumolint.audit: building the parser must not import the audit
    parser.add_argument("repo", nargs="?", type=Path, default=Path(), help="repository to audit")
    parser.add_argument(
        "--history", action="store_true", help="every version in git history, not only HEAD"
    )
    parser.add_argument("--since", metavar="REV", help="only commits not reachable from REV")
    parser.add_argument("--format", choices=[*formats, "auto"], default="auto")
    parser.add_argument("--output", type=Path, help="write the --format output here")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write a report: FILE.md (Markdown) or .html"
    )
    parser.add_argument("--config", type=Path, help="config file (default: found in REPO)")
    parser.add_argument(
        "--select", help="rule codes or prefixes (default: the per-file secret rules)"
    )
    parser.add_argument("--fail-on", choices=[s.value for s in Severity])
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in text.split(",") if c.strip())
    for code in codes:
        if not (code.startswith("KL") and (code[2:] == "" or code[2:].isdigit())):
            raise argparse.ArgumentTypeError(f"{code!r} is not a rule code or prefix")
    return codes


def _check(rules: Mapping[str, Rule], args: argparse.Namespace) -> int:
    from kumolint import engine, formatters
    from kumolint.discover import find_root, repo_files
    from kumolint.scan import build_model

    paths: list[Path] = args.paths or [args.root or Path()]
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
    root = (args.root or find_root(paths[0])).resolve()
    config = load_config(root, args.config)
    overrides = {
        key: getattr(args, key)
        for key in ("select", "extend_select", "ignore")
        if getattr(args, key) is not None
    }
    if args.fail_on:
        overrides["fail_on"] = Severity(args.fail_on)
    config = config.with_overrides(**overrides)
    scope = _scope(root, paths)
    pairs = _outputs(args.format or ["auto"], args.output or [])
    if args.report_stale_baseline and args.baseline is None:
        raise UsageError("--report-stale-baseline needs --baseline FILE")
    entries = _load_baseline(args.baseline) if args.baseline is not None else []
    if args.staged:
        from kumolint import staged

        try:
            snapshot = staged.snapshot(root, config.max_file_size + 1)
        except staged.StagedError as error:
            raise UsageError(str(error)) from None
        scope = {p for p in snapshot.staged if scope is None or _under(p, scope)}
        try:
            scan = build_model(
                root, snapshot.files, config, reader=snapshot.reader, jobs=args.jobs
            )
        finally:
            snapshot.close()
    else:
        files, skipped = repo_files(root)
        scan = build_model(root, files, config, skipped=skipped, cache=args.cache, jobs=args.jobs)
    result = engine.run(scan.model, rules, config, scope=scope)
    errors = scan.internal_errors + result.internal_errors
    for problem in errors:
        print(f"kumolint: {problem}", file=sys.stderr)
    if args.write_baseline is not None:
        keep = _outside(scope, config)
        return _write_baseline(args.write_baseline, result.findings, keep, args.quiet, errors)
    findings, suppressed = result.findings, list(result.suppressed)
    stale: list[baseline.Entry] = []
    if args.baseline is not None:
        applied = baseline.apply(entries, findings)
        findings = applied.reported
        suppressed = sorted([*suppressed, *applied.suppressed])
        stale = [
            e
            for e in applied.stale
            if config.is_enabled(e.rule) and (scope is None or _under(e.path, scope))
        ]
    output = Output(
        findings=findings,
        rules=rules,
        files_scanned=len(scan.model.parsed),
        skipped=[s for s in scan.model.skipped if scope is None or _under(s.path, scope)],
        suppressed=suppressed if args.show_suppressed else (),
    )
    for name, target in pairs:
        shown = output
        if name == "sarif" and not args.show_suppressed:
            shown = replace(output, suppressed=suppressed)  # code scanning shows them dismissed
        text = formatters.get(name)(shown)
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8", errors="backslashreplace")
    if any(name == "github" for name, _ in pairs):
        _append_step_summary(output)
    if args.report_stale_baseline:
        for entry in stale:
            print(
                f"kumolint: stale baseline entry: {entry.rule} {_printable(entry.path)} "
                f"{entry.fingerprint} matches no finding",
                file=sys.stderr,
            )
    if not args.quiet:
        print(_summary(output), file=sys.stderr)
    if errors:
        return EXIT_INTERNAL
    failing = [f for f in findings if f.severity.rank >= config.fail_on.rank]
    if args.report_stale_baseline and stale and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_CLEAN


def _load_baseline(path: Path) -> list[baseline.Entry]:
    try:
        return baseline.load(path)
    except baseline.BaselineError as error:
        raise UsageError(str(error)) from None


def _outside(scope: Collection[str] | None, config: Config) -> Callable[[baseline.Entry], bool]:
    """Entries this run cannot judge (other paths, rules not selected): rewriting keeps them."""

    def keep(entry: baseline.Entry) -> bool:
        in_scope = scope is None or _under(entry.path, scope)
        return not (in_scope and config.is_enabled(entry.rule))

    return keep


def _write_baseline(
    path: Path,
    findings: Sequence[Finding],
    keep: Callable[[baseline.Entry], bool],
    quiet: bool,
    errors: Sequence[str],
) -> int:
    previous = _load_baseline(path) if path.exists() else []
    kept = [entry for entry in previous if keep(entry)]
    entries = sorted([*baseline.from_findings(findings, previous), *kept])
    path.write_text(baseline.dumps(entries), encoding="utf-8")
    if not quiet:
        print(
            f"kumolint: wrote {len(entries)} baseline entries ({len(findings)} findings) "
            f"to {path}",
            file=sys.stderr,
        )
    return EXIT_INTERNAL if errors else EXIT_CLEAN


def _append_step_summary(output: Output) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from kumolint.formatters import github

    try:
        with open(target, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(github.summary(output))
    except OSError as error:
        print(f"kumolint: cannot write the job summary ({error.strerror})", file=sys.stderr)


def _under(path: str, scope: Collection[str]) -> bool:
    return path in scope or any(path.startswith(f"{s.rstrip('/')}/") for s in scope if s)


def _printable(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _scope(root: Path, paths: Sequence[Path]) -> set[str] | None:
    scope: set[str] = set()
    for path in paths:
        full = Path(os.path.abspath(path))
        try:
            relative = full.relative_to(root)
        except ValueError:
            raise UsageError(f"{path}: outside the repository root {root}") from None
        if relative == Path():
            return None
        scope.add(relative.as_posix())
    return scope


def _outputs(names: Sequence[str], targets: Sequence[Path]) -> list[tuple[str, Path | None]]:
    if len(targets) > len(names):
        raise UsageError("more --output than --format options")
    if len(names) - len(targets) > 1:
        raise UsageError("only one --format may go to stdout; give the others an --output")
    pairs: list[tuple[str, Path | None]] = []
    for index, name in enumerate(names):
        if name == "auto":
            name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
            if name == "github" and "github" not in _available():
                name = "text"
        pairs.append((name, targets[index] if index < len(targets) else None))
    return pairs


def _available() -> list[str]:
    from kumolint import formatters

    return formatters.available()


def _summary(output: Output) -> str:
    counts = dict.fromkeys(("error", "warning", "note"), 0)
    for finding in output.findings:
        counts[finding.severity.value] += 1
    total = len(output.findings)
    parts = ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in counts.items() if n)
    found = f"{total} finding{'s' if total != 1 else ''}" + (f" ({parts})" if parts else "")
    skipped = f"; {len(output.skipped)} skipped" if output.skipped else ""
    return f"kumolint: {found} in {output.files_scanned} files scanned{skipped}"


def _rules(rules: Mapping[str, Rule], markdown: Path | None) -> int:
    from kumolint import docs

    if markdown is not None:
        markdown.mkdir(parents=True, exist_ok=True)
        for stale in markdown.glob("KL*.md"):
            if stale.stem not in rules:
                stale.unlink()
        for rule in rules.values():
            (markdown / f"{rule.id}.md").write_text(docs.to_markdown(rule), encoding="utf-8")
        (markdown / "README.md").write_text(docs.index_markdown(rules), encoding="utf-8")
        return EXIT_CLEAN
    width = max((len(r.name) for r in rules.values()), default=4)
    for rule in rules.values():
        print(f"{rule.id}  {rule.name:<{width}}  {rule.severity.value:<7}  {rule.summary}")
    return EXIT_CLEAN


def _explain(rules: Mapping[str, Rule], rule_id: str) -> int:
    from kumolint import docs

    if rule_id not in rules:
        raise UsageError(f"unknown rule {rule_id!r}; see `kumolint rules`")
    sys.stdout.write(docs.to_markdown(rules[rule_id]))
    return EXIT_CLEAN

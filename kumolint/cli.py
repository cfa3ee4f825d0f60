"""The `kumolint` command line. Exit codes: 0 clean, 1 findings, 2 usage/config, 3 internal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kumolint import __version__
from kumolint.config import ConfigError, load_config
from kumolint.finding import Severity
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

    listing = commands.add_parser("rules", help="list every rule")
    listing.add_argument("--markdown", type=Path, metavar="DIR", help="write the rule catalogue")

    explain = commands.add_parser("explain", help="show one rule's documentation")
    explain.add_argument("rule_id")
    return parser


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

    paths: list[Path] = args.paths or [Path()]
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
    files, skipped = repo_files(root)
    scan = build_model(root, files, config, skipped=skipped)
    result = engine.run(scan.model, rules, config, scope=scope)
    output = Output(
        findings=result.findings,
        rules=rules,
        files_scanned=len(scan.model.parsed),
        skipped=[s for s in scan.model.skipped if scope is None or s.path in scope],
        suppressed=result.suppressed if args.show_suppressed else (),
    )
    for name, target in _outputs(args.format or ["auto"], args.output or []):
        text = formatters.get(name)(output)
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8", errors="backslashreplace")
    errors = scan.internal_errors + result.internal_errors
    for error in errors:
        print(f"kumolint: {error}", file=sys.stderr)
    if not args.quiet:
        print(_summary(output), file=sys.stderr)
    if errors:
        return EXIT_INTERNAL
    failing = [f for f in result.findings if f.severity.rank >= config.fail_on.rank]
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_CLEAN


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

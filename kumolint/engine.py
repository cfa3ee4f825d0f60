"""Run the enabled rules over a RepoModel and return sorted, stamped findings."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from kumolint.config import Config, ConfigError, rule_options
from kumolint.facts.run import RunState
from kumolint.finding import Finding, Severity, Span, Suppression
from kumolint.model import InlineIgnore, RepoModel
from kumolint.registry import REGISTRY, Report, Rule, Yield
from kumolint.scan import describe_internal_error

# Rules that judge the run itself (unused suppressions): they run after all the others and
# see a RunState fact describing what those did.
RUNS_LAST = frozenset({"KL002"})


@dataclass
class RunResult:
    findings: list[Finding]  # reported: enabled, in scope, not suppressed
    suppressed: list[Finding] = field(default_factory=list)
    used_ignores: set[InlineIgnore] = field(default_factory=set)
    internal_errors: list[str] = field(default_factory=list)


def run(
    model: RepoModel,
    rules: Mapping[str, Rule],
    config: Config,
    *,
    scope: Collection[str] | None = None,
) -> RunResult:
    """Findings of every enabled rule; with `scope`, only those located in (or related to) it."""
    ignores = _ignores_by_place(model.of(InlineIgnore))
    result = RunResult([])
    completed: set[str] = set()
    for rule in sorted(rules.values(), key=lambda r: r.id in RUNS_LAST):
        if not config.is_enabled(rule.id):
            continue
        settings = config.rules.get(rule.id)
        options = (
            rule_options(rule.options, settings, rule.id, config.source)
            if settings
            else rule.options()
        )
        default_severity = (settings.severity if settings else None) or rule.severity
        view = _with_run_state(model, result, completed, rules) if rule.id in RUNS_LAST else model
        try:
            reports = [_normalise(item) for item in rule.check(view, options)]
        except ConfigError:
            raise
        except Exception as error:
            result.internal_errors.append(
                describe_internal_error(rule.id, "the repository", error)
            )
            continue
        completed.add(rule.id)
        for report in reports:
            finding = _stamp(rule, report, default_severity)
            if scope is not None and not _in_scope(finding, scope):
                continue
            if config.ignored_in(finding.span.path, rule.id):
                continue
            ignore = _matching_ignore(ignores, finding)
            if ignore is not None:
                result.used_ignores.add(ignore)
                result.suppressed.append(
                    replace(finding, suppression=Suppression("in-source", ignore.reason))
                )
                continue
            result.findings.append(finding)
    result.findings.sort()
    result.suppressed.sort()
    return result


def _with_run_state(
    model: RepoModel, result: RunResult, completed: Collection[str], rules: Mapping[str, Rule]
) -> RepoModel:
    """The model plus one RunState fact: what the rules that already ran have done."""
    silenced = frozenset(
        (f.span.path, f.span.line, f.rule_id)
        for f in result.suppressed
        if f.suppression is not None and f.suppression.kind == "in-source"
    )
    state = RunState(silenced, frozenset(completed), frozenset(REGISTRY) | frozenset(rules))
    return replace(model, facts={**model.facts, RunState: (state,)})


def fingerprint(rule_id: str, path: str, key: str) -> str:
    """A stable content key: no line number, so it survives edits elsewhere in the file."""
    digest = hashlib.sha256(
        f"kumolint-v1\0{rule_id}\0{path}\0{key}".encode("utf-8", "surrogatepass")
    )
    return digest.hexdigest()[:20]


def _normalise(item: Yield) -> Report:
    if isinstance(item, Report):
        return item
    span, message = item
    return Report(span, message)


def _stamp(rule: Rule, report: Report, default: Severity) -> Finding:
    severity = report.severity or default
    if report.severity is not None and default is not rule.severity:
        severity = default  # a configured severity overrides the rule's own grading
    return Finding(
        span=report.span,
        rule_id=rule.id,
        message=report.message,
        severity=severity,
        name=rule.name,
        fingerprint=fingerprint(rule.id, report.span.path, report.key or report.message),
        related=report.related,
    )


def _in_scope(finding: Finding, scope: Collection[str]) -> bool:
    paths: Iterable[str] = (finding.span.path, *(r.span.path for r in finding.related))
    return any(_under(path, scope) for path in paths)


def _under(path: str, scope: Collection[str]) -> bool:
    return path in scope or any(path.startswith(f"{s.rstrip('/')}/") for s in scope if s)


def _ignores_by_place(
    ignores: Iterable[InlineIgnore],
) -> dict[tuple[str, int], list[InlineIgnore]]:
    places: dict[tuple[str, int], list[InlineIgnore]] = {}
    for ignore in ignores:
        places.setdefault((ignore.span.path, ignore.line), []).append(ignore)
    return places


def _matching_ignore(
    places: Mapping[tuple[str, int], list[InlineIgnore]], finding: Finding
) -> InlineIgnore | None:
    span: Span = finding.span
    for ignore in places.get((span.path, span.line), ()):
        if finding.rule_id in ignore.rule_ids:
            return ignore
    return None

"""A `kumolint: ignore[...]` comment suppresses nothing, or names a rule that does not exist.

## Why is this bad?
A suppression that matches no finding is noise at best. At worst it is a trap: it was written
for a problem that has since moved to another line, so the real finding is reported again
(or, if the comment is moved back, a different, new problem on that line is silenced without
anyone looking at it). A misspelt rule id silences nothing while looking like it does. Delete
the comment, or fix the rule id. Only rules that ran in this run are judged: a suppression for
a rule that is not selected is left alone.

## Example
```yaml path=deploy/vars.yml
kumomta_user: kumod  # kumolint: ignore[KL106] -- no key here, the comment is stale
kumomta_group: kumod  # kumolint: ignore[KL1O6] -- a letter O, not a zero
```

## Use instead
```yaml path=deploy/vars.yml
kumomta_user: kumod
kumomta_group: kumod
```
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.run import RunState
from kumolint.finding import Severity
from kumolint.model import InlineIgnore, RepoModel
from kumolint.registry import ID_PATTERN as _RULE_ID
from kumolint.registry import NoOptions, Report, rule

_SELF = "KL002"


@rule(id=_SELF, name="unused-suppression", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    states = model.of(RunState)
    if not states:  # not run by the engine (no run to judge)
        return
    state = states[0]
    for ignore in model.of(InlineIgnore):
        for code in ignore.rule_ids:
            yield from _judge(model, state, ignore, code)


def _judge(model: RepoModel, state: RunState, ignore: InlineIgnore, code: str) -> Iterator[Report]:
    shown = _short(code)
    if not _RULE_ID.fullmatch(code):
        yield Report(
            ignore.span, f"`kumolint: ignore[{shown}]` names no rule id", key=f"malformed:{code}"
        )
    elif code not in state.known:
        yield Report(ignore.span, f"`kumolint: ignore[{code}]` names an unknown rule", key=code)
    elif code == _SELF or code not in state.completed:
        return  # this rule cannot judge itself, nor rules that did not run
    elif model.config.ignored_in(ignore.span.path, code):
        return  # per-file-ignores already drop the rule here; the comment is redundant, not wrong
    elif (ignore.span.path, ignore.line, code) not in state.silenced:
        yield Report(
            ignore.span,
            f"`kumolint: ignore[{code}]` suppressed nothing on the line it applies to",
            key=f"unused:{code}",
        )


def _short(code: str) -> str:
    flat = " ".join(code.split())
    return flat if len(flat) <= 30 else f"{flat[:27]}..."

"""A file could not be read completely, so some of it was not linted.

## Why is this bad?
kumolint only checks what it can parse. A file with bad encoding or syntax the parser cannot
recover from may hide a committed secret or a broken setting; the deployment tool that reads
the file will likely reject it too. The rest of the repository is still linted.

## Example
```yaml path=deploy/vars.yml
kumomta:
  listen: [127.0.0.1
```

## Use instead
```yaml path=deploy/vars.yml
kumomta:
  listen: [127.0.0.1]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.finding import Severity
from kumolint.model import ParseError, RepoModel
from kumolint.registry import NoOptions, Report, rule
from kumolint.rules._spf import include_errors


@rule(id="KL001", name="parse-error", severity=Severity.WARNING)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for error in (*model.of(ParseError), *include_errors(model)):
        yield Report(error.span, error.message)

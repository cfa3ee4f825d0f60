"""Rule docstrings are documentation and tests at once.

The files of a "## Example" section, written to an empty repo, must trigger their rule and no
other; the files of a "## Use instead" section must trigger no rule at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kumolint import docs
from kumolint.registry import Rule
from tests.conftest import RULES, lint, write_tree

CASES = [
    pytest.param(rule, example, id=f"{rule.id}-{'fires' if example.should_fire else 'clean'}")
    for rule in RULES.values()
    for example in docs.examples(rule)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_doc_example(rule: Rule, example: docs.Example, tmp_path: Path) -> None:
    assert example.blocks, "a runnable section needs at least one code block"
    write_tree(tmp_path, {block.path: block.text for block in example.blocks})
    fired = {f.rule_id for f in lint(tmp_path)}
    assert fired == ({rule.id} if example.should_fire else set())

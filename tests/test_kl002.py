"""KL002 judges suppressions against what the other rules of the same run did."""

from __future__ import annotations

from pathlib import Path

from kumolint.config import Config
from tests.conftest import RULES, lint, write_tree

BODY = "Zq9XkV3tLw8RpN2mYc7HsD4fGj6KaB1eUo5iTx0WnQvPzS"
KEY_USED = (
    "# kumolint: ignore[KL106] -- test fixture key, never deployed\n"
    f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"
)
STALE = "kumomta_user: kumod  # kumolint: ignore[KL106] -- stale\n"


def _fired(root: Path, config: Config | None = None, only: tuple[str, ...] = ()) -> list[str]:
    rules = {k: v for k, v in RULES.items() if not only or k in only}
    return [
        f"{f.span.path}:{f.span.line} {f.rule_id} {f.message}" for f in lint(root, rules, config)
    ]


def test_a_used_suppression_is_fine(tmp_path: Path) -> None:
    write_tree(tmp_path, {"keys/test.key": KEY_USED})
    assert _fired(tmp_path) == []


def test_an_unused_suppression_fires(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/vars.yml": STALE})
    assert _fired(tmp_path) == [
        "deploy/vars.yml:1 KL002 `kumolint: ignore[KL106]` suppressed nothing on the line it "
        "applies to"
    ]


def test_a_suppression_that_moved_away_from_its_finding_fires(tmp_path: Path) -> None:
    moved = KEY_USED.replace("ignore[KL106] -- test", "ignore[KL106] -- test\n")
    write_tree(tmp_path, {"keys/test.key": moved})
    fired = _fired(tmp_path)
    assert [line.split(" ", 2)[1] for line in fired] == ["KL002", "KL106"]


def test_only_the_unused_code_of_a_list_fires(tmp_path: Path) -> None:
    write_tree(tmp_path, {"keys/test.key": KEY_USED.replace("[KL106]", "[KL106,KL001]")})
    fired = _fired(tmp_path)
    assert len(fired) == 1
    assert "`kumolint: ignore[KL001]` suppressed nothing" in fired[0]


def test_rules_not_in_the_run_are_not_judged(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/vars.yml": STALE})
    assert _fired(tmp_path, Config(ignore=("KL106",))) == []
    assert _fired(tmp_path, only=("KL002",)) == []
    per_file = Config(per_file_ignores={"deploy/*": ("KL106",)})
    assert _fired(tmp_path, per_file) == []


def test_nothing_happens_when_kl002_is_not_selected(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/vars.yml": STALE.replace("KL106", "KL999")})
    assert _fired(tmp_path, Config(ignore=("KL002",))) == []
    assert "names an unknown rule" in _fired(tmp_path)[0]


def test_kl002_can_itself_be_suppressed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/vars.yml": STALE.replace("[KL106]", "[KL106,KL002]")})
    assert _fired(tmp_path) == []

from __future__ import annotations

from pathlib import Path

from kumolint import engine
from kumolint.config import Config
from kumolint.discover import repo_files
from kumolint.finding import Finding
from kumolint.registry import Rule, load_rules
from kumolint.scan import build_model

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
DATA = ROOT / "tests" / "data"
RULES = load_rules()


def lint(
    root: Path, rules: dict[str, Rule] | None = None, config: Config | None = None
) -> list[Finding]:
    """Every finding of `rules` (default: all) over the tree at `root`, whole-repo context."""
    config = config or Config()
    files, skipped = repo_files(root)
    scan = build_model(root, files, config, skipped=skipped, cache=False)  # parse for real
    assert scan.internal_errors == []
    result = engine.run(scan.model, rules if rules is not None else RULES, config)
    assert result.internal_errors == []
    return result.findings


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create `files` (repo-relative path -> content) under `root`."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root

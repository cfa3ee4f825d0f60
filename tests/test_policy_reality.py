"""Check against reality: policies in the shapes real KumoMTA deployments use.

Each policy under tests/policies/ marks the lines that must give a KL2xx finding with
`expect: KLnnn` comments; the KL2xx findings must be exactly those. `clean/` is the idiomatic
policy and must give no finding from any rule.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT, lint

POLICIES = ROOT / "tests" / "policies"
MARKER = re.compile(r"expect:((?:\s+KL[0-9]{3})+)")
SHAPES = sorted(p.name for p in POLICIES.iterdir() if p.is_dir() and p.name != "clean")


def expected(root: Path) -> Counter[tuple[str, int, str]]:
    wanted: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = MARKER.search(line)
            if found:
                wanted.update((relative, number, code) for code in found[1].split())
    return wanted


def test_every_shape_is_there() -> None:
    assert SHAPES == [
        "custom-token-header",
        "fallback-defaults",
        "helper-toml-proxy",
        "new-json-hook",
        "vault-keysource",
    ]


@pytest.mark.parametrize("shape", SHAPES)
def test_policy_shape_gives_exactly_the_marked_findings(shape: str) -> None:
    root = POLICIES / shape
    wanted = expected(root)
    assert wanted, f"{shape} marks no expected finding"
    got = Counter(
        (f.span.path, f.span.line, f.rule_id) for f in lint(root) if f.rule_id.startswith("KL2")
    )
    assert got == wanted


def test_clean_idiomatic_policy_gives_no_finding_from_any_rule() -> None:
    root = POLICIES / "clean"
    assert expected(root) == Counter()
    assert lint(root) == []


def test_clean_policy_exposes_the_facts_other_rules_need() -> None:
    from kumolint.config import Config
    from kumolint.discover import repo_files
    from kumolint.facts.lua import EgressSource, HttpAuth
    from kumolint.scan import build_model

    root = POLICIES / "clean"
    files, skipped = repo_files(root)
    model = build_model(root, files, Config(), skipped=skipped, cache=False).model
    (auth,) = model.of(HttpAuth)
    assert (auth.scheme, auth.token.kind, auth.token.env_name) == (
        "bearer",
        "env",
        "PING8_WEBHOOK_TOKEN",
    )
    assert auth.url is not None
    assert (auth.url.kind, auth.url.env_name) == ("env", "PING8_WEBHOOK_URL")
    data_source, lua_source = sorted(model.of(EgressSource), key=lambda s: s.origin)
    assert lua_source.socks5_proxy_source_address is not None
    assert lua_source.socks5_proxy_source_address.env_name == "KUMOPROXY_PUBLIC_IP"
    assert data_source.origin == "helper-data"
    assert data_source.name == "proxy-1"

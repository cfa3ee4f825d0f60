"""Which Nginx locations reach KumoMTA, what protects them, and what an include brings in."""

from __future__ import annotations

from pathlib import Path

import pytest

from kumolint.config import Config, RuleSettings
from kumolint.rules._nginx import included, reaches_kumomta
from tests.conftest import RULES, lint, write_tree

PORTS = frozenset({8000})


@pytest.mark.parametrize(
    ("target", "reaches"),
    (
        ("http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8000/api/inject/v1", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000/", True),
        ("http://127.0.0.2:8000", True),  # all of 127/8 is loopback
        ("http://kumod:8000", True),  # a compose / k8s service named for kumod
        ("http://kumomta", True),
        ("http://upstream_kumo_pool", True),
        ("http://127.0.0.1", False),  # port 80
        ("http://127.0.0.1:3000", False),
        ("http://10.0.0.5:8000", False),  # not configured
        ("http://$backend", False),
        ("http://app", False),
        ("http://pool", True),  # an upstream with a loopback :8000 server
    ),
)
def test_reaches_kumomta(target: str, reaches: bool) -> None:
    upstreams = {"pool": ["127.0.0.1:8000"], "app": ["127.0.0.1:3000"]}
    assert reaches_kumomta(target, upstreams, PORTS, ()) is reaches


def test_configured_addresses() -> None:
    assert reaches_kumomta("http://10.0.0.5:8000", {}, PORTS, ("10.0.0.0/24",))
    assert reaches_kumomta("http://10.0.0.9:8025", {}, PORTS, (), ("10.0.0.9:8025",))
    assert not reaches_kumomta("http://10.0.0.5:8025", {}, PORTS, ("10.0.0.0/24",))


@pytest.mark.parametrize(
    ("include", "path", "matches"),
    (
        ("/etc/nginx/snippets/kumo-auth.conf", "deploy/nginx/snippets/kumo-auth.conf", True),
        ("snippets/kumo-auth.conf", "nginx/snippets/kumo-auth.conf", True),
        ("kumo-auth.conf", "nginx/kumo-auth.conf", True),
        ("/etc/nginx/conf.d/*.conf", "nginx/conf.d/auth.conf", True),
        ("/etc/nginx/snippets/kumo-auth.conf", "nginx/other/kumo-auth.conf", False),
        ("snippets/kumo-auth.conf", "nginx/snippets/kumo-auth.conf.bak", False),
        ("", "nginx/x.conf", False),
    ),
)
def test_included(include: str, path: str, matches: bool) -> None:
    assert included(include, path) is matches


def test_map_in_one_file_guards_a_location_in_another(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "nginx/conf.d/00-auth.conf": (
                "map $http_authorization $bearer { default ''; "
                '"~^Bearer (.+)$" $1; }\n'
                'map $bearer $auth_ok { default 0; "${PING8_INJECTION_TOKEN}" 1; }\n'
            ),
            "nginx/sites-enabled/kumomta": (
                "server {\n    location / {\n        if ($auth_ok = 0) { return 401; }\n"
                '        proxy_set_header Authorization "";\n'
                "        proxy_pass http://127.0.0.1:8000;\n    }\n}\n"
            ),
        },
    )
    assert lint(tmp_path, {"KL304": RULES["KL304"]}) == []
    (tmp_path / "nginx/conf.d/00-auth.conf").unlink()
    (finding,) = lint(tmp_path, {"KL304": RULES["KL304"]})
    assert (finding.span.path, finding.span.line) == ("nginx/sites-enabled/kumomta", 2)


def test_listener_options(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"nginx/conf.d/k.conf": "server { location / { proxy_pass http://10.1.2.3:9000; } }\n"},
    )
    assert lint(tmp_path, {"KL304": RULES["KL304"]}) == []
    config = Config().with_overrides(
        rules={"KL304": RuleSettings(None, {"kumomta-listeners": ["10.1.2.3:9000"]})}
    )
    assert [f.rule_id for f in lint(tmp_path, {"KL304": RULES["KL304"]}, config)] == ["KL304"]


def test_broken_file_reports_kl001_and_the_rest_is_linted(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "nginx/conf.d/broken.conf": "server {\n    location / {\n        listen 80\n",
            "nginx/conf.d/ok.conf": (
                "server { location / { proxy_pass http://127.0.0.1:8000; } }\n"
            ),
        },
    )
    found = {(f.rule_id, f.span.path) for f in lint(tmp_path)}
    assert ("KL001", "nginx/conf.d/broken.conf") in found
    assert ("KL304", "nginx/conf.d/ok.conf") in found
    assert ("KL304", "nginx/conf.d/broken.conf") not in found

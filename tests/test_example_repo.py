"""The README's first command: the shipped example repo shows its deliberate mistakes."""

from __future__ import annotations

import json

import pytest

from kumolint.cli import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "ping8-deploy"
TOKEN = "Zq4vN8rT2wYk6pLs0dHf3jXc9mBa7uEe"  # the example's made-up token


def test_example_repo_shows_each_deliberate_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE), "--format", "json", "--no-cache"]) == 1
    out, err = capsys.readouterr()
    found = {(f["rule"], f["path"]) for f in json.loads(out)["findings"]}
    assert found == {
        ("KL101", "etc/default/kumomta"),  # populated env file committed
        ("KL105", "etc/default/kumomta"),  # injection token in the KumoMTA env file
        ("KL301", "etc/default/kumomta"),  # ... and it is the webhook token too
        ("KL301", "policy/init.lua"),
        ("KL202", "policy/init.lua"),  # os.getenv(...) or '<secret>'
        ("KL302", "nginx/conf.d/kumomta.conf"),  # literal bearer token in Nginx
        ("KL401", "ansible/roles/kumomta/tasks/main.yml"),  # env file installed 0644
        ("KL501", "dns/ping8.example.zone"),  # SPF lists the MTA host ...
        ("KL502", "dns/ping8.example.zone"),  # ... and not the proxy egress IP
    }
    assert TOKEN not in out + err

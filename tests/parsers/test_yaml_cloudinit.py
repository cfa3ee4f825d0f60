from __future__ import annotations

from typing import Any

import pytest

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.facts.systemd import EnvironmentFileRef
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.yaml_cloudinit import parse
from kumolint.parsers.yaml_documents import parse as parse_yaml

PATH = "cloud/user-data"


def entry(permissions: str | None) -> str:
    line = f"    permissions: {permissions}\n" if permissions is not None else ""
    return "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n" + line


def installed(text: str, path: str = PATH) -> list[InstalledFile]:
    return [f for f in parse(path, text) if isinstance(f, InstalledFile)]


@pytest.mark.parametrize(
    ("permissions", "expected", "source"),
    (
        (None, 0o644, "default"),  # cloud-init's DEFAULT_PERMS
        ("'0600'", 0o600, "explicit"),  # a string: int(str, 8)
        ("0600", 0o600, "explicit"),  # YAML 1.1 int 384, used as-is
        ("0o640", 0o640, "explicit"),  # PyYAML string '0o640'; int('0o640', 8)
        ("600", 0o1130, "explicit"),  # decimal 600 used as-is
        ("u=rw", 0o644, "default"),  # undecodable: a warning, then 0644
        ("'0999'", 0o644, "default"),
        ("${perm}", None, "unknown"),  # a Terraform template variable
    ),
)
def test_permissions(permissions: str | None, expected: int | None, source: str) -> None:
    (fact,) = installed(entry(permissions))
    assert (fact.mode, fact.mode_source) == (expected, source)
    assert fact.tool == "cloud-init write_files"
    assert fact.dest == "/etc/default/kumomta"


def test_positions_owner_and_reasons() -> None:
    (missing,) = installed(entry(None))
    assert missing.span == Span(PATH, 3, 11, 3, 31)
    assert "0644" in missing.default_reason
    assert (missing.owner, missing.group) == ("root", "root")
    (explicit,) = installed(entry("'0600'") + "    owner: root:kumod\n")
    assert explicit.span == Span(PATH, 4, 18, 4, 24)
    assert (explicit.owner, explicit.group) == ("root", "kumod")
    (bad,) = installed(entry("u=rw"))
    assert "cannot read" in bad.default_reason


def test_extensionless_files_need_the_header() -> None:
    assert installed("#!/bin/sh\necho hi > /etc/default/kumomta\n") == []
    assert list(parse(PATH, "#cloud-config\nwrite_files: [\n"))  # a KL001 for plain YAML
    templated = "#cloud-config\nwrite_files:\n%{ for f in files ~}\n  - path: ${f}\n%{ endfor }\n"
    assert [f for f in parse("cloud-config.yml.tpl", templated) if isinstance(f, ParseError)] == []


def test_routing_covers_user_data_and_templates() -> None:
    parsers = load_parsers()
    for path in ("user-data", "infra/cloud-config.yml.tpl", "etc/cloud/cloud.cfg.d/99.cfg"):
        assert "cloud-init" in [p.name for p in parsers_for(path, parsers)]
    assert "cloud-init" not in [p.name for p in parsers_for("deploy/site.yml", parsers)]


def test_yaml_files_reach_the_extractor_too() -> None:
    found = [
        f for f in parse_yaml("cloud-init.yaml", entry("'0640'")) if isinstance(f, InstalledFile)
    ]
    assert [f.mode for f in found] == [0o640]


def test_unit_text_is_read_as_a_unit() -> None:
    text = (
        "#cloud-config\nwrite_files:\n"
        "  - path: /etc/systemd/system/kumomta.service.d/env.conf\n"
        "    content: |\n      [Service]\n      EnvironmentFile=/etc/default/kumomta\n"
    )
    found: list[Any] = list(parse(PATH, text))
    (ref,) = [f for f in found if isinstance(f, EnvironmentFileRef)]
    assert ref.span == Span(PATH, 6, 23, 6, 43)
    b64 = (
        "#cloud-config\nwrite_files:\n  - path: /etc/systemd/system/kumomta.service\n"
        "    encoding: b64\n"
        "    content: W1NlcnZpY2VdCkVudmlyb25tZW50RmlsZT0vZXRjL2RlZmF1bHQva3Vtb210YQo=\n"
    )
    (decoded,) = [f for f in parse(PATH, b64) if isinstance(f, EnvironmentFileRef)]
    assert decoded.path == "/etc/default/kumomta"
    assert decoded.span.line == 5


@pytest.mark.parametrize(
    "text",
    (
        "",
        "#cloud-config\n",
        "#cloud-config\r\nwrite_files:\r\n  - path: /x\r\n",
        "#cloud-config\nwrite_files:\n\t- path: /x\n",
        "#cloud-config\nwrite_files: [{path: /x, path: /y}]\n",
        "#cloud-config\nwrite_files: [{path: \x00}]\n",
        "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: [1]\n    content: {a: b}\n",
        "#cloud-config\nwrite_files:\n  - path: /x.service\n    encoding: b64\n    content: '!'\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    for fact in parse(PATH, text):
        assert isinstance(fact, (InstalledFile, ParseError))


def test_runcmd_strings_go_through_the_shell_model_as_one_script() -> None:
    text = (
        "#cloud-config\nruncmd:\n  - umask 077\n  - [systemctl, restart, kumomta]\n"
        "  - |\n    cat > /opt/kumomta/etc/kumod.env <<EOF\n    A=1\n    EOF\n"
        "    chmod 644 /etc/default/kumomta\n    systemctl restart kumomta\n"
    )
    found: list[Any] = list(parse(PATH, text))
    files = {f.dest: f for f in found if isinstance(f, InstalledFile)}
    kumod = files["/opt/kumomta/etc/kumod.env"]
    assert (kumod.mode, kumod.mode_source) == (0o600, "default")  # umask 077 from entry 1
    assert kumod.span.line == 6
    chmod = files["/etc/default/kumomta"]
    assert (chmod.mode, chmod.tool) == (0o644, "cloud-init runcmd chmod")
    assert chmod.span == Span(PATH, 9, 5, 9, 35)
    (restart,) = [f for f in found if isinstance(f, ServiceRestart)]
    assert (restart.unit, restart.span.line) == ("kumomta", 10)

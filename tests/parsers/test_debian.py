from __future__ import annotations

from typing import Any

import pytest

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers.debian import parse


def files(path: str, text: str) -> dict[str, InstalledFile]:
    return {f.dest: f for f in parse(path, text) if isinstance(f, InstalledFile)}


def rules(*lines: str) -> str:
    return "#!/usr/bin/make -f\n" + "\n".join(lines) + "\n"


def test_dh_fixperms_resets_an_earlier_install() -> None:
    text = rules(
        "%:",
        "\tdh $@",
        "override_dh_auto_install:",
        "\tinstall -D -m 0600 k debian/kumomta/opt/kumomta/etc/dkim/a.key",
    )
    fact = files("debian/rules", text)["/opt/kumomta/etc/dkim/a.key"]
    assert (fact.mode, fact.mode_source, fact.tool) == (0o644, "default", "dh_fixperms")
    assert fact.default_reason == (
        "dh_fixperms resets every packaged file to go=rX,u+rw (it was installed 0600)"
    )
    assert fact.span == Span("debian/rules", 5, 2, 5, 65)


def test_chmod_after_dh_fixperms_survives() -> None:
    text = rules(
        "%:",
        "\tdh $@",
        "override_dh_auto_install:",
        "\tinstall -D -m 0600 a $(CURDIR)/debian/kumomta/etc/default/kumomta",
        "\tinstall -D -m 0600 b debian/kumomta/opt/kumomta/etc/b.env",
        "\tinstall -D -m 0600 c debian/kumomta/opt/kumomta/etc/c.env",
        "override_dh_fixperms:",
        "\tdh_fixperms -Xc.env",
        "\tchmod 0640 debian/kumomta/etc/default/kumomta",
    )
    found = files("debian/rules", text)
    assert {d: (f.mode, f.mode_source) for d, f in found.items()} == {
        "/etc/default/kumomta": (0o640, "explicit"),
        "/opt/kumomta/etc/b.env": (0o644, "default"),
        "/opt/kumomta/etc/c.env": (0o600, "explicit"),  # excluded with -X
    }


def test_override_without_dh_fixperms_disables_the_reset() -> None:
    text = rules(
        "%:",
        "\tdh $@",
        "override_dh_install:",
        "\tinstall -D -m 0600 a debian/kumomta/etc/default/kumomta",
        "override_dh_fixperms:",
        "\t@echo skipped",
    )
    assert files("debian/rules", text)["/etc/default/kumomta"].mode == 0o600


def test_execute_after_dh_fixperms_and_order_of_targets() -> None:
    text = rules(
        "execute_after_dh_fixperms:",
        "\tchmod o-rwx debian/kumomta/opt/kumomta/etc/*.env",
        "%:",
        "\tdh $@",
        "override_dh_auto_install:",
        "\tinstall -D -m 0644 a debian/kumomta/opt/kumomta/etc/*.env",
    )
    fact = files("debian/rules", text)["/opt/kumomta/etc/*.env"]
    assert (fact.mode, fact.mode_source) == (0o640, "explicit")


def test_rules_without_dh_have_no_reset() -> None:
    text = rules("install:", "\tinstall -D -m 0600 a debian/kumomta/etc/default/kumomta")
    assert files("debian/rules", text)["/etc/default/kumomta"].mode == 0o600


def test_default_file_installs_etc_default_0644() -> None:
    fact = files("pkg/debian/kumomta.default", "A=1\n")["/etc/default/kumomta"]
    assert (fact.mode, fact.mode_source, fact.tool, fact.source) == (
        0o644,
        "default",
        "dh_installinit",
        "kumomta.default",
    )
    assert fact.default_reason == (
        "dh_installinit installs kumomta.default as /etc/default/kumomta with mode 0644"
    )
    named = files("debian/kumomta.kumoproxy.default", "")
    assert list(named) == ["/etc/default/kumoproxy"]


def test_install_file_keeps_git_mode() -> None:
    found = files(
        "debian/kumomta.install", "# comment\ndeploy/kumod.env opt/kumomta/etc\nREADME\n"
    )
    fact = found["/opt/kumomta/etc/kumod.env"]
    assert (fact.mode, fact.span.line, fact.source) == (0o644, 2, "deploy/kumod.env")
    assert len(found) == 1


def test_routing() -> None:
    parsers = load_parsers()
    for path in ("debian/rules", "debian/kumomta.default", "x/debian/kumomta.install"):
        assert "debian" in [p.name for p in parsers_for(path, parsers)], path
    assert "shell" in [p.name for p in parsers_for("debian/kumomta.postinst", parsers)]


@pytest.mark.parametrize(
    "text",
    (
        "",
        "override_dh_fixperms:\n\tdh_fixperms -X\n",
        "%:\n\tdh $@ \\\n",
        "\tchmod\n:\n::\n",
        "x:\n\tcat <<EOF\n",
        "all:\n" + "\tchmod 600 debian/k/etc/x\n" * 10_000,
    ),
    ids=("empty", "bare-X", "continuation", "junk", "heredoc", "long"),
)
def test_bad_input_never_raises(text: str) -> None:
    result: list[Any] = list(parse("debian/rules", text))
    assert all(isinstance(f, InstalledFile | ParseError) for f in result)

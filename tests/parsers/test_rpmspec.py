from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers.rpmspec import expand_macros, parse

# Stacked %defattr like copr-frontend, %config before and after %attr, spaces for commas.
SPEC = """\
Name: kumomta-config
%global confdir /opt/kumomta/etc
%description
text
%install
install -D -m 0600 kumomta.env %{buildroot}%{_sysconfdir}/default/kumomta
cp dkim.key %{buildroot}%{confdir}/dkim/example.com.key
install -D tool $RPM_BUILD_ROOT%{_bindir}/kumo-tool
%files
%defattr(-, root, root, -)
%{_sysconfdir}/default/kumomta
%config(noreplace) %attr(0640 root kumod) %{confdir}/dkim/example.com.key
%{_bindir}/kumo-tool
%defattr(644, kumod, kumod, 755)
%attr(0600,-,-) %config(noreplace) %{confdir}/a.env
%{confdir}/b.env
%dir %{confdir}
%doc README.md
%defattr(-,root,root,-)
%{confdir}/c.env
%post
chmod 0600 %{confdir}/c.env
%systemd_postun_with_restart kumomta.service
"""


def facts(text: str, path: str = "packaging/kumomta.spec") -> list[Any]:
    return list(parse(path, text))


def files(text: str) -> dict[str, InstalledFile]:
    return {f.dest: f for f in facts(text) if isinstance(f, InstalledFile)}


def test_files_modes_owners_and_positions() -> None:
    found = files(SPEC)
    summary = {
        dest: (f.mode, f.mode_source, f.owner, f.group, f.span.line) for dest, f in found.items()
    }
    assert summary == {
        "/etc/default/kumomta": (0o600, "explicit", "root", "root", 6),  # from %install
        "/opt/kumomta/etc/dkim/example.com.key": (0o640, "explicit", "root", "kumod", 12),
        "/usr/bin/kumo-tool": (0o755, "default", "root", "root", 8),
        "/opt/kumomta/etc/a.env": (0o600, "explicit", "kumod", "kumod", 15),
        "/opt/kumomta/etc/b.env": (0o644, "explicit", "kumod", "kumod", 16),
        "/opt/kumomta/etc/c.env": (0o600, "explicit", "root", "root", 22),  # %post chmod
    }
    assert found["/opt/kumomta/etc/dkim/example.com.key"].source == "dkim.key"
    assert found["/usr/bin/kumo-tool"].default_reason == (
        "install without -m creates 0755 and rpm keeps the build-root mode"
    )


def test_restart_macro() -> None:
    restarts = [f for f in facts(SPEC) if isinstance(f, ServiceRestart)]
    assert restarts == [
        ServiceRestart(
            "kumomta.service", "try-restart", Span("packaging/kumomta.spec", 23, 1, 23, 45)
        )
    ]


def test_file_not_made_in_install_defaults_to_0644() -> None:
    fact = files("%files\n/etc/default/kumomta\n")["/etc/default/kumomta"]
    assert (fact.mode, fact.mode_source, fact.span.line) == (0o644, "default", 2)
    assert "0644 under %install's umask 022" in fact.default_reason


def test_macros_expand_without_executing() -> None:
    macros = {"name": "kumomta", "_sysconfdir": "/etc"}
    assert expand_macros("%{_sysconfdir}/default/%{name}", macros) == "/etc/default/kumomta"
    assert expand_macros("%{?dist}x%{!?dist:-none}", macros) == "x-none"
    assert expand_macros("%(touch /tmp/pwned)", macros) == "%(touch /tmp/pwned)"
    assert expand_macros("%%name", macros) == "%name"


def test_self_referencing_macro_is_bounded() -> None:
    started = time.perf_counter()
    result = expand_macros("%{a}", {"a": "%{a}%{a}"})
    assert len(result) < 100_000
    assert time.perf_counter() - started < 1


def test_unbalanced_if_is_reported_and_both_branches_are_read() -> None:
    text = "%files\n%if 0%{?fedora}\n%attr(0644,root,root) /etc/default/kumomta\n%else\n"
    result = facts(text)
    errors = [(f.message, f.span.line) for f in result if isinstance(f, ParseError)]
    assert errors == [("RPM spec: %if without %endif", 2)]
    assert files(text)["/etc/default/kumomta"].mode == 0o644
    stray = [f.message for f in facts("%endif\n%endif\n") if isinstance(f, ParseError)]
    assert stray == ["RPM spec: %endif without %if"] * 2


def test_files_list_from_a_file_is_skipped() -> None:
    assert files("%files -f files.list\n/etc/default/kumomta\n") == {}


@pytest.mark.parametrize(
    "text",
    (
        "",
        "%files\n%attr(\n",
        "%files\n%attr(0644\n/etc/x\n",
        "%install\ncat > %{buildroot}/etc/x <<EOF\nunterminated\n",
        "%if\n" * 5000,
        "%files\n" + "%defattr(-,root,root)\n" * 5000,
        "\x00garbage\n",
    ),
    ids=("empty", "attr-open", "attr-unclosed", "heredoc", "many-if", "many-defattr", "nul"),
)
def test_bad_input_never_raises(text: str) -> None:
    started = time.perf_counter()
    result = facts(text)
    assert all(isinstance(f, InstalledFile | ServiceRestart | ParseError) for f in result)
    assert time.perf_counter() - started < 5


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \n%{}()?!:,-attrdefifelsendfilesinstalpo0123467/", max_size=300))
def test_fuzzed_spec_never_raises(text: str) -> None:
    result = facts(text)
    assert all(isinstance(f, InstalledFile | ServiceRestart | ParseError) for f in result)


def test_install_macros_in_command_names() -> None:
    text = (
        "%install\n"
        "%{__mkdir_p} %{buildroot}%{_sysconfdir}/default\n"
        "%{__install} -p -m 0640 kumomta.env %{buildroot}%{_sysconfdir}/default/kumomta\n"
        "%{__cp} dkim.key %{buildroot}/opt/kumomta/etc/dkim/a.key\n"
        "%files\n"
        "%{_sysconfdir}/default/kumomta\n"
        "/opt/kumomta/etc/dkim/a.key\n"
    )
    found = files(text)
    assert {d: (f.mode, f.span.line) for d, f in found.items()} == {
        "/etc/default/kumomta": (0o640, 3),
        "/opt/kumomta/etc/dkim/a.key": (0o644, 4),
    }

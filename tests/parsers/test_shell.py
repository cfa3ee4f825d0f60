from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers, parsers_for
from kumolint.parsers._shell import Mode, ShellModel, lex, normalize_path, parse_mode
from kumolint.parsers._text import LineIndex
from kumolint.parsers.shell import parse
from kumolint.scan import parse_bytes


def run(text: str, path: str = "scripts/deploy.sh") -> list[Any]:
    return list(parse(path, text))


def files(text: str, path: str = "scripts/deploy.sh") -> dict[str, InstalledFile]:
    return {f.dest: f for f in run(text, path) if isinstance(f, InstalledFile)}


def modes(text: str) -> dict[str, int | None]:
    return {dest: fact.mode for dest, fact in files(text).items()}


# ----- modes


@pytest.mark.parametrize(
    ("text", "base", "umask", "expected"),
    (
        ("644", Mode(0o600), 0, Mode(0o644)),
        ("0600", Mode(0, 0), 0, Mode(0o600)),
        ("u=rw,g=r,o=", Mode(0, 0), 0, Mode(0o640, 0o7777 & ~0o7000 | 0o7000 & 0)),
        ("o+r", Mode(0o600), 0, Mode(0o604)),
        ("o+r", Mode(0, 0), 0, Mode(0o004, 0o004)),
        ("go-rwx", Mode(0o664), 0, Mode(0o600)),
        ("a+r", Mode(0o600), 0, Mode(0o644)),
        ("+r", Mode(0o600), 0o027, Mode(0o640)),  # no who: masked by the umask
        ("u+x,g=u", Mode(0o600), 0, Mode(0o770)),
    ),
)
def test_parse_mode(text: str, base: Mode, umask: int, expected: Mode) -> None:
    result = parse_mode(text, base, umask)
    assert result is not None
    assert result.value & result.known == expected.value & expected.known
    assert result.known & 0o777 == expected.known & 0o777


@pytest.mark.parametrize("text", ("", "rw", "9", "u=rw;o=r", "preserve", "{{ mode }}"))
def test_parse_mode_rejects_non_modes(text: str) -> None:
    assert parse_mode(text) is None


def test_normalize_path_strips_build_roots() -> None:
    assert normalize_path("$(DESTDIR)/etc/default/kumomta") == "/etc/default/kumomta"
    assert normalize_path("%{buildroot}//etc/x") == "/etc/x"
    assert normalize_path("debian/kumomta/etc/default/kumomta") == "/etc/default/kumomta"
    assert normalize_path("$RPM_BUILD_ROOT/opt/a.key") == "/opt/a.key"
    assert normalize_path("./keys/a.key") == "keys/a.key"


# ----- tokenizer


def test_lex_words_quotes_and_offsets() -> None:
    text = "install -m '0600' \"$A/b c\" x\\ y; chmod 644 f && echo $(cat a|b) > out\n"
    commands = lex(text).commands
    assert [[w.text for w in c.words] for c in commands] == [
        ["install", "-m", "0600", "$A/b c", "x y"],
        ["chmod", "644", "f"],
        ["echo", "$(cat a|b)"],
    ]
    third = commands[2]
    assert third.redirects[0].op == ">"
    assert third.redirects[0].target is not None
    assert text[third.redirects[0].target.start : third.redirects[0].target.end] == "out"


def test_lex_heredoc_body_is_not_commands() -> None:
    text = "cat > /etc/x <<'EOF'\nchmod 777 /etc/x\nEOF\nchmod 600 /etc/x\n"
    commands = lex(text).commands
    assert [c.words[0].text for c in commands] == ["cat", "chmod"]
    body = commands[0].redirects[1].body
    assert body is not None
    assert text[body[0] : body[1]] == "chmod 777 /etc/x\n"


def test_lex_tab_stripped_heredoc() -> None:
    text = "cat > f <<-END\n\tbody\n\tEND\necho after\n"
    assert [c.words[0].text for c in lex(text).commands] == ["cat", "echo"]


# ----- the model


def test_final_mode_wins_and_position_points_at_it() -> None:
    text = "#!/bin/sh\ninstall -m 0644 a /etc/default/kumomta\nchmod 0600 /etc/default/kumomta\n"
    fact = files(text)["/etc/default/kumomta"]
    assert (fact.mode, fact.mode_source, fact.tool, fact.raw_mode) == (
        0o600,
        "explicit",
        "chmod",
        "0600",
    )
    assert fact.span == Span("scripts/deploy.sh", 3, 1, 3, 32)


def test_install_defaults_and_options() -> None:
    text = (
        "install a /usr/bin/a\n"
        "install -Dm640 -o root -g kumod k.key /opt/kumomta/etc/dkim/k.key\n"
        "install --mode=u=rw,go= e /etc/e\n"
        "install -m 0600 -t /opt/kumomta/etc x.env y.env\n"
        "install -d -m 0755 /opt/kumomta/etc/dkim\n"
    )
    found = files(text)
    assert found["/usr/bin/a"].mode == 0o755
    assert found["/usr/bin/a"].default_reason == "install without -m creates 0755"
    key = found["/opt/kumomta/etc/dkim/k.key"]
    assert (key.mode, key.owner, key.group, key.source) == (0o640, "root", "kumod", "k.key")
    assert found["/etc/e"].mode == 0o600
    assert found["/opt/kumomta/etc/x.env"].mode == found["/opt/kumomta/etc/y.env"].mode == 0o600
    assert "/opt/kumomta/etc/dkim" not in found  # directories are not files


def test_umask_scopes() -> None:
    text = "( umask 077; echo a > /a )\necho b > /b\numask 0027\ncat x > /c\ntouch /d\n"
    assert modes(text) == {"/a": 0o600, "/b": 0o644, "/c": 0o640, "/d": 0o640}


def test_existing_file_keeps_its_mode_when_written() -> None:
    text = (
        "install -m 0600 /dev/null /etc/default/kumomta\n"
        "cat > /etc/default/kumomta <<EOF\nA=1\nEOF\n"
    )
    fact = files(text)["/etc/default/kumomta"]
    assert (fact.mode, fact.writes, fact.source) == (0o600, True, None)


def test_relative_chmod_on_unknown_file_knows_only_named_bits() -> None:
    fact = files("chmod o+r /opt/kumomta/etc/dkim/a.key\n")["/opt/kumomta/etc/dkim/a.key"]
    assert (fact.mode, fact.known_bits, fact.mode_source, fact.writes) == (
        0o004,
        0o004,
        "explicit",
        False,
    )


def test_relative_chmod_that_does_not_touch_other_keeps_the_default_reason() -> None:
    fact = files("cp a /etc/default/kumomta\nchmod u+x /etc/default/kumomta\n")[
        "/etc/default/kumomta"
    ]
    assert (fact.mode, fact.mode_source) == (0o744, "default")


def test_variables_wrappers_and_tee() -> None:
    text = (
        'ETC="/opt/kumomta/etc"\n'
        'printf "%s" "$X" | sudo -u root tee "${ETC}/kumod.env" >/dev/null\n'
        "sudo chown kumod:kumod ${ETC}/kumod.env\n"
        "sudo systemctl restart kumomta.service\n"
    )
    facts = run(text)
    env = next(f for f in facts if isinstance(f, InstalledFile))
    assert (env.dest, env.mode, env.owner, env.group, env.tool) == (
        "/opt/kumomta/etc/kumod.env",
        0o644,
        "kumod",
        "kumod",
        "tee",
    )
    assert env.owner_span == Span("scripts/deploy.sh", 3, 1, 3, 40)
    restarts = [f for f in facts if isinstance(f, ServiceRestart)]
    assert restarts == [
        ServiceRestart("kumomta.service", "restart", Span("scripts/deploy.sh", 4, 1, 4, 38))
    ]


def test_cp_modes() -> None:
    text = "cp a.key /k/a.key\ncp -p b.key /k/\ncp -a c.key /k/c.key\n"
    found = files(text)
    assert {d: f.mode for d, f in found.items()} == {
        "/k/a.key": 0o644,
        "/k/b.key": 0o644,
        "/k/c.key": 0o644,
    }
    assert found["/k/b.key"].source == "b.key"


def test_dpkg_statoverride_and_service_forms() -> None:
    text = (
        "dpkg-statoverride --update --add root kumod 0640 /etc/default/kumomta\n"
        "service kumomta reload\ninvoke-rc.d kumomta restart\nsystemctl daemon-reload\n"
    )
    facts = run(text, "debian/kumomta.postinst")
    fact = next(f for f in facts if isinstance(f, InstalledFile))
    assert (fact.mode, fact.owner, fact.group, fact.tool) == (
        0o640,
        "root",
        "kumod",
        "dpkg-statoverride",
    )
    assert [(r.unit, r.action) for r in facts if isinstance(r, ServiceRestart)] == [
        ("kumomta", "reload"),
        ("kumomta", "restart"),
    ]


def test_chmod_recursive_covers_files_below() -> None:
    text = "install -m 0600 k /opt/kumomta/etc/dkim/a.key\nchmod -R 755 /opt/kumomta/etc/dkim\n"
    found = files(text)
    assert found["/opt/kumomta/etc/dkim/a.key"].mode == 0o755
    assert found["/opt/kumomta/etc/dkim/**"].mode == 0o755


# ----- routing and Makefiles


def test_routing() -> None:
    parsers = load_parsers()

    def names(path: str) -> list[str]:
        return [p.name for p in parsers_for(path, parsers) if not p.piggyback]

    for path in ("deploy.sh", "a/b/Makefile", "mk/install.mk", "debian/kumomta.postinst"):
        assert "shell" in names(path), path
    assert "shell" in names("scripts/rotate")
    assert "shell" not in names("src/rotate")


def test_extensionless_script_needs_a_shell_shebang() -> None:
    assert files("#!/bin/bash\necho a > /etc/default/kumomta\n", "bin/setup")
    assert files("#!/usr/bin/env sh\necho a > /x\n", "bin/setup")
    assert not files("#!/usr/bin/env python3\nprint(1) > 2\n", "bin/setup")


def test_makefile_recipes_prefixes_and_variables() -> None:
    text = (
        "DESTDIR ?=\nINSTALL := install\nETC = /etc\n\n"
        "install:\n"
        "\t@$(INSTALL) -m 644 kumomta.env $(DESTDIR)$(ETC)/default/kumomta\n"
        "\t-umask 077\n"
        "\techo x > $(DESTDIR)/opt/kumomta/etc/kumod.env\n"
    )
    found = files(text, "Makefile")
    fact = found["/etc/default/kumomta"]
    assert (fact.mode, fact.span.line, fact.span.column) == (0o644, 6, 3)
    assert found["/opt/kumomta/etc/kumod.env"].mode == 0o644  # every recipe line is a new shell


def test_ten_thousand_line_makefile_is_fast() -> None:
    lines = ["all:"] + [f"\tinstall -m 0644 f{i} $(DESTDIR)/opt/x/f{i}" for i in range(10_000)]
    started = time.perf_counter()
    found = files("\n".join(lines) + "\n", "Makefile")
    assert len(found) == 10_000
    assert time.perf_counter() - started < 10


def test_spec_in_a_heredoc_is_read_as_a_spec() -> None:
    text = (
        "#!/bin/bash\n"
        "cat > $spec <<EOF\n"
        "Name: kumomta\n"
        "%files\n"
        "%attr(0644,root,root) /etc/default/kumomta\n"
        "EOF\n"
    ).replace("$spec", "kumomta.spec")
    fact = files(text, "assets/build-rpm.sh")["/etc/default/kumomta"]
    assert (fact.mode, fact.tool, fact.span.line) == (0o644, "rpm %attr", 5)


# ----- bad input


@pytest.mark.parametrize(
    "text",
    (
        "",
        "cat > /etc/x <<EOF\nnever closed\n",
        'echo "unterminated > /etc/x\n',
        "echo 'single\n",
        "echo $(unclosed > /x\n",
        "(((((\n))))) ) )\n",
        "\\",
        "<<",
        "> \n",
        "x" * 200_000,
        "chmod\nchmod 644\ninstall -m\ninstall\ncp\ndpkg-statoverride --add\n",
    ),
    ids=lambda text: repr(text[:20]),
)
def test_bad_input_never_raises(text: str) -> None:
    facts = run(text)
    assert all(isinstance(f, InstalledFile | ServiceRestart | ParseError) for f in facts)


def test_unterminated_heredoc_is_a_parse_error_with_a_position() -> None:
    errors = [f for f in run("echo a\ncat > /etc/x <<EOF\nbody\n") if isinstance(f, ParseError)]
    assert [(e.message, e.span.line, e.span.column) for e in errors] == [
        ("shell: unterminated heredoc <<EOF", 2, 14)
    ]


@pytest.mark.parametrize(
    "data",
    (
        b"\xef\xbb\xbfchmod 644 /etc/default/kumomta\n",
        b"chmod 644 /etc/default/kumomta\r\n",
        b"chmod 644 /etc/default/kumomta \xff\xfe\n",
        b"chmod 644 /etc/default/kumomta\n\x00\x00",
        b"install -m 0600 a /b\n" * 100_000,  # about 2 MB
    ),
    ids=("bom", "crlf", "invalid-utf8", "nul", "large"),
)
def test_bytes_through_the_scanner(data: bytes) -> None:
    parsers = load_parsers()
    started = time.perf_counter()
    result = parse_bytes("scripts/deploy.sh", data, [parsers["shell"]], 10 * 1024 * 1024)
    assert result.internal_errors == []
    assert time.perf_counter() - started < 30
    if not result.skipped and len(data) < 1000:
        fact = next(f for f in result.facts if isinstance(f, InstalledFile))
        assert (fact.dest, fact.mode, fact.span.line, fact.span.column) == (
            "/etc/default/kumomta",
            0o644,
            1,
            1,
        )


def test_model_reused_across_runs_keeps_files_but_not_umask() -> None:
    text = "umask 077\n" + "echo a > /a\n"
    model = ShellModel("m", text, LineIndex(text))
    model.run(0, 10)
    model.run(10)
    assert model.files["/a"].mode == Mode(0o644)


# ----- CI run steps (the YAML extractor)


def ci_facts(path: str, text: str) -> list[Any]:
    from kumolint.parsers._yaml import compose
    from kumolint.parsers.yaml_ci_run import extract

    documents, errors = compose(path, text)
    assert errors == []
    return list(extract(path, documents))


def test_github_run_steps_keep_their_lines() -> None:
    text = (
        "jobs:\n"
        "  deploy:\n"
        "    steps:\n"
        "      - run: chmod 644 /etc/default/kumomta\n"
        "      - name: write\n"
        "        run: |\n"
        "          umask 077\n"
        '          echo "$T" > /opt/kumomta/etc/kumod.env\n'
        "          sudo systemctl restart kumomta\n"
    )
    result = ci_facts(".github/workflows/deploy.yml", text)
    found = {f.dest: f for f in result if isinstance(f, InstalledFile)}
    first = found["/etc/default/kumomta"]
    assert (first.mode, first.tool, first.span.line, first.span.column) == (
        0o644,
        "CI run chmod",
        4,
        14,
    )
    second = found["/opt/kumomta/etc/kumod.env"]
    assert (second.mode, second.span.line, second.span.column) == (0o600, 8, 21)
    assert [(r.unit, r.span.line) for r in result if isinstance(r, ServiceRestart)] == [
        ("kumomta", 9)
    ]


def test_gitlab_script_lists() -> None:
    text = "deploy:\n  script:\n    - cp kumomta.env /etc/default/kumomta\n    - echo ok\n"
    result = ci_facts(".gitlab-ci.yml", text)
    assert [(f.dest, f.mode, f.span.line) for f in result if isinstance(f, InstalledFile)] == [
        ("/etc/default/kumomta", 0o644, 3)
    ]


def test_other_yaml_is_not_ci() -> None:
    assert ci_facts("deploy/tasks/main.yml", "- run: chmod 644 /etc/default/kumomta\n") == []


def test_postinst_in_a_heredoc_is_read_as_a_script() -> None:
    text = (
        "#!/bin/bash\n"
        "cat > pkg/DEBIAN/postinst <<EOF\n"
        "#!/bin/sh\n"
        "chmod 0644 /etc/default/kumomta\n"
        "EOF\n"
        "chmod 0775 pkg/DEBIAN/postinst\n"
    )
    found = files(text, "assets/build-deb.sh")
    fact = found["/etc/default/kumomta"]
    assert (fact.mode, fact.tool, fact.span.line) == (0o644, "postinst chmod", 4)
    assert found["pkg/DEBIAN/postinst"].mode == 0o775


def test_recursive_chown_and_one_item_loops() -> None:
    text = (
        "install -m 0600 a /opt/kumomta/etc/kumod.env\n"
        "install -m 0600 b /etc/other.env\n"
        "chown -R kumod:kumod /opt/kumomta/etc\n"
        'for k in /opt/kumomta/etc/dkim/*.key; do chmod 644 "$k"; done\n'
    )
    found = files(text)
    assert (found["/opt/kumomta/etc/kumod.env"].owner, found["/etc/other.env"].owner) == (
        "kumod",
        None,
    )
    assert found["/opt/kumomta/etc/kumod.env"].owner_span == Span("scripts/deploy.sh", 3, 1, 3, 38)
    assert found["/opt/kumomta/etc/dkim/*.key"].mode == 0o644


def test_ssh_action_script_and_ssh_remote_command() -> None:
    text = (
        "jobs:\n"
        "  deploy:\n"
        "    steps:\n"
        "      - uses: appleboy/ssh-action@v1\n"
        "        with:\n"
        "          host: example.com\n"
        "          script: |\n"
        '            echo "$T" | sudo tee /etc/default/kumomta\n'
        "      - run: ssh host 'sudo chmod 0600 /etc/default/kumomta'\n"
    )
    result = [f for f in ci_facts(".github/workflows/d.yml", text) if isinstance(f, InstalledFile)]
    assert sorted((f.dest, f.mode, f.span.line, f.span.column) for f in result) == [
        ("/etc/default/kumomta", 0o600, 9, 24),
        ("/etc/default/kumomta", 0o644, 8, 25),
    ]


def test_declarations_assign_variables() -> None:
    text = (
        "export ENV_FILE=${ENV_FILE:-/etc/default/kumomta}\n"
        "readonly MODE=0640\n"
        'install -m "$MODE" a "$ENV_FILE"\n'
    )
    fact = files(text)["/etc/default/kumomta"]
    assert (fact.mode, fact.raw_mode) == (0o640, "0640")


_SHELL_ALPHABET = " \t\n\\'\"$`(){};&|<>#=-+/*0123456789abcEOFimnstallchmod"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_SHELL_ALPHABET, max_size=300))
def test_fuzzed_shell_never_raises(text: str) -> None:
    facts = run(text)
    assert all(isinstance(f, InstalledFile | ServiceRestart | ParseError) for f in facts)
    for fact in facts:
        assert 1 <= fact.span.line <= text.count("\n") + 1


def test_directories_are_not_reported() -> None:
    text = (
        "install -d -m 2770 /opt/kumomta/etc/dkim\n"
        "chmod 755 /opt/kumomta/etc/dkim/\n"
        "mkdir -p /srv/app\n"
        "chmod 755 /srv/app\n"
        "install -m 0600 k /opt/kumomta/etc/dkim/\n"
    )
    assert modes(text) == {"/opt/kumomta/etc/dkim/k": 0o600}


def test_write_span_is_the_last_write_not_the_last_chmod() -> None:
    text = "cp a /etc/default/kumomta\nchmod 600 /etc/default/kumomta\nsed -i s/a/b/ /x\n"
    found = files(text)
    fact = found["/etc/default/kumomta"]
    assert (fact.span.line, fact.write_span) == (2, Span("scripts/deploy.sh", 1, 1, 1, 26))
    assert found["/x"].write_span == Span("scripts/deploy.sh", 3, 1, 3, 17)
    touched = files("touch /etc/t\nchmod 600 /etc/t\n")["/etc/t"]
    assert (touched.writes, touched.write_span) == (False, None)

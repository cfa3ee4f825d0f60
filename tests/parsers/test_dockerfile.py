from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.modes import InstalledFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import load_parsers
from kumolint.parsers.dockerfile import parse
from kumolint.scan import parse_bytes

DOCKERFILE = """\
FROM debian AS build
RUN echo build > /etc/default/kumomta
FROM ghcr.io/kumocorp/kumomta:latest
WORKDIR /opt/kumomta/etc
COPY --chmod=644 --chown=kumod:kumod kumod.env ./
COPY deploy/kumomta.env /etc/default/kumomta
COPY dkim/ /opt/kumomta/etc/dkim/
RUN <<EOF
chmod 600 /etc/default/kumomta
EOF
COPY <<EOT /opt/kumomta/etc/x.env
A=b
EOT
RUN cat > /etc/y.key <<EOT && \\
  chmod o+r /etc/y.key
a
EOT
ADD https://example.com/k /etc/z.key
COPY ["a b", "/c/"]
COPY --from=build /etc/default/kumomta /etc/build.env
"""


def facts(text: str) -> list[Any]:
    return list(parse("docker/Dockerfile", text))


def files(text: str) -> dict[str, InstalledFile]:
    return {f.dest: f for f in facts(text) if isinstance(f, InstalledFile)}


def test_modes_of_every_form() -> None:
    found = files(DOCKERFILE)
    summary = {
        dest: (f.mode, f.mode_source, f.tool, f.owner, f.group, f.span.line, f.span.column)
        for dest, f in found.items()
        if f.span.line > 2
    }
    assert summary == {
        "/opt/kumomta/etc/kumod.env": (
            0o644,
            "explicit",
            "Dockerfile COPY --chmod",
            "kumod",
            "kumod",
            5,
            1,
        ),
        "/etc/default/kumomta": (0o600, "explicit", "Dockerfile RUN chmod", None, None, 9, 1),
        "/opt/kumomta/etc/dkim/**": (0o644, "default", "Dockerfile COPY", None, None, 7, 1),
        "/opt/kumomta/etc/x.env": (0o644, "default", "Dockerfile COPY", None, None, 11, 1),
        "/etc/y.key": (0o644, "explicit", "Dockerfile RUN chmod", None, None, 15, 3),
        "/etc/z.key": (0o600, "default", "Dockerfile ADD", None, None, 18, 1),
        "/c/a b": (0o644, "default", "Dockerfile COPY", None, None, 19, 1),
        "/etc/build.env": (None, "unknown", "Dockerfile COPY", None, None, 20, 1),
    }
    assert found["/opt/kumomta/etc/kumod.env"].source == "kumod.env"
    assert found["/opt/kumomta/etc/x.env"].source is None  # a heredoc


def test_stages_are_separate() -> None:
    stage_one = [f for f in facts(DOCKERFILE) if isinstance(f, InstalledFile) and f.span.line == 2]
    assert [(f.dest, f.mode) for f in stage_one] == [("/etc/default/kumomta", 0o644)]


def test_copy_without_chmod_names_the_git_default() -> None:
    fact = files("FROM x\nCOPY a.env /opt/kumomta/etc/a.env\n")["/opt/kumomta/etc/a.env"]
    assert fact.default_reason == (
        "COPY without --chmod keeps the mode from the build context"
        " (0644 from git, 0755 if executable)"
    )
    assert fact.span == Span("docker/Dockerfile", 2, 1, 2, 34)


def test_symbolic_chmod_flag() -> None:
    fact = files("FROM x\nCOPY --chmod=u=rw,g=r,o= k /k.key\n")["/k.key"]
    assert (fact.mode, fact.raw_mode) == (0o640, "u=rw,g=r,o=")


@pytest.mark.parametrize(
    "text",
    (
        "",
        "FROM x\nRUN <<EOF\nchmod 600 /a\n",
        'FROM x\nCOPY ["a", \n',
        "FROM x\nCOPY 'unbalanced /a\n",
        "RUN \\\n",
        "\x00\x01 garbage\n" * 100,
        "FROM x\nRUN " + "echo a && " * 20_000 + "true\n",
    ),
    ids=("empty", "heredoc", "json", "quote", "continuation", "garbage", "long-line"),
)
def test_bad_input_never_raises(text: str) -> None:
    result = facts(text)
    assert all(isinstance(f, InstalledFile | ParseError) for f in result)


def test_unterminated_heredoc_is_reported() -> None:
    errors = [f for f in facts("FROM x\nRUN <<EOF\nchmod 600 /a\n") if isinstance(f, ParseError)]
    assert [(e.message, e.span.line) for e in errors] == [
        ("Dockerfile: unterminated heredoc <<EOF", 2)
    ]


def test_bytes_through_the_scanner() -> None:
    parsers = load_parsers()
    for data in (
        b"\xef\xbb\xbfFROM x\r\nCOPY a /etc/default/kumomta\r\n",
        b"FROM x \xff\nCOPY a /etc/default/kumomta\n",
    ):
        result = parse_bytes("Dockerfile", data, [parsers["dockerfile"]], 10_000)
        assert result.internal_errors == []
        fact = next(f for f in result.facts if isinstance(f, InstalledFile))
        assert (fact.dest, fact.span.line) == ("/etc/default/kumomta", 2)


def test_secret_mounts() -> None:
    text = (
        "FROM x\n"
        "RUN --mount=type=secret,id=hf_token,mode=0444 cat /run/secrets/hf_token\n"
        "RUN --mount=type=secret,id=tok,target=/tok true\n"
        "RUN --mount=type=cache,target=/root/.cache true\n"
    )
    found = files(text)
    loose = found["/run/secrets/hf_token"]
    assert (loose.mode, loose.mode_source, loose.secret_hint, loose.span.line) == (
        0o444,
        "explicit",
        "a BuildKit secret mount",
        2,
    )
    assert (found["/tok"].mode, found["/tok"].mode_source) == (0o400, "default")
    assert "/root/.cache" not in found


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \n\\\"'[]<>=-,FROMRUNCOPYADDchmod--chown0644/EOF", max_size=300))
def test_fuzzed_dockerfile_never_raises(text: str) -> None:
    result = facts(text)
    assert all(isinstance(f, InstalledFile | ParseError) for f in result)

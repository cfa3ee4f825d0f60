"""The fact cache: private, ignored by git, signed, never trusted when damaged or foreign,
never used for other versions of the files (staged scans), and equal to parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kumolint.scan
from kumolint import engine
from kumolint.cache import CACHE_DIR, FactCache, code_version
from kumolint.config import Config
from kumolint.discover import repo_files
from kumolint.parsers import load_parsers, parsers_for
from kumolint.scan import Router, ScanResult, build_model
from tests.conftest import FIXTURES, RULES, write_tree

KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
ENV = "PING8_WEBHOOK_TOKEN=<PING8_WEBHOOK_TOKEN>\nKUMOPROXY_PORT=5000\n"


@pytest.fixture(autouse=True)
def private_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_tree(
        tmp_path / "repo",
        {".kumolint.toml": "", "keys/dkim.key": KEY, "deploy/kumomta.env": ENV},
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def _scan(root: Path, **options: object) -> ScanResult:
    files, skipped = repo_files(root)
    return build_model(root, files, Config(), skipped=skipped, **options)  # type: ignore[arg-type]


def _rule_ids(scan: ScanResult) -> list[str]:
    """KL106's findings (the private key); the env file only gives the cache more to hold."""
    only = {"KL106": RULES["KL106"]}
    return [f.rule_id for f in engine.run(scan.model, only, Config()).findings]


def _pack(root: Path) -> Path:
    (pack,) = (root / CACHE_DIR).glob("facts-*.json")
    return pack


def test_cache_directory_is_private_and_ignored_by_git(repo: Path) -> None:
    _scan(repo)
    directory = repo / CACHE_DIR
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert (directory / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    for entry in directory.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600, entry
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert CACHE_DIR not in status
    assert "keys/dkim.key" in status  # the listing itself works


def test_a_warm_run_imports_no_parser(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _scan(repo)

    def no_parsers() -> None:
        raise AssertionError("a warm run must not load the parsers")

    monkeypatch.setattr(kumolint.scan, "load_parsers", no_parsers)
    warm = _scan(repo)
    assert warm.model.facts == cold.model.facts
    assert _rule_ids(warm) == _rule_ids(cold) == ["KL106"]


def test_an_edited_file_is_parsed_again(repo: Path) -> None:
    _scan(repo)
    (repo / "keys/dkim.key").write_text("not a key any more\n", encoding="utf-8")
    assert "KL106" not in _rule_ids(_scan(repo))
    (repo / "deploy/other.key").parent.mkdir(exist_ok=True)
    (repo / "deploy/other.key").write_text(KEY, encoding="utf-8")  # a new path: new routing
    assert _rule_ids(_scan(repo)) == ["KL106"]


@pytest.mark.parametrize(
    "damage",
    (
        b"",
        b"garbage",
        b"0" * 64 + b"\n{",
        b"\xff\xfe\x00\x01",
    ),
)
def test_a_damaged_pack_is_a_miss(repo: Path, damage: bytes) -> None:
    reference = _scan(repo, cache=False)
    _scan(repo)
    _pack(repo).write_bytes(damage)
    again = _scan(repo)
    assert again.model.facts == reference.model.facts
    assert again.internal_errors == []


def test_a_truncated_pack_is_a_miss(repo: Path) -> None:
    reference = _scan(repo, cache=False)
    _scan(repo)
    pack = _pack(repo)
    pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])
    assert _scan(repo).model.facts == reference.model.facts


def _forge(root: Path, signing_key: bytes, entries: dict[str, object]) -> None:
    """Replace every entry of the pack by `entries`' value, signed with `signing_key`."""
    pack = _pack(root)
    document = json.loads(pack.read_bytes().partition(b"\n")[2])
    document["entries"] = dict.fromkeys(document["entries"], entries["any"])
    body = json.dumps(document).encode("ascii")
    signature = hmac.new(signing_key, body, hashlib.sha256).hexdigest().encode("ascii")
    pack.write_bytes(signature + b"\n" + body)


def test_a_pack_signed_by_someone_else_cannot_hide_a_finding(repo: Path) -> None:
    """A cache committed to the repository, or planted in a CI workspace, is not trusted."""
    _scan(repo)
    _forge(repo, b"k" * 32, {"any": []})  # "this file has no facts"
    assert _rule_ids(_scan(repo)) == ["KL106"]


def test_entries_name_only_kumolint_classes(repo: Path, private_cache_key: Path) -> None:
    _scan(repo)
    own_key = (private_cache_key / "kumolint" / "cache-key").read_bytes()
    hostile = [{"c": "os:system", "f": {}}, {"c": "subprocess:Popen", "f": {}}]
    _forge(repo, own_key, {"any": hostile})
    scan = _scan(repo)
    assert scan.internal_errors == []
    assert _rule_ids(scan) == ["KL106"]  # the entries were misses, the files parsed again


def test_a_correctly_signed_pack_is_used(repo: Path, private_cache_key: Path) -> None:
    """The control for the two tests above: with our own key, a forged entry is believed."""
    _scan(repo)
    own_key = (private_cache_key / "kumolint" / "cache-key").read_bytes()
    _forge(repo, own_key, {"any": []})
    assert _rule_ids(_scan(repo)) == []


def test_never_used_with_a_custom_reader(repo: Path) -> None:
    files, _ = repo_files(repo)
    scan = build_model(repo, files, Config(), reader=lambda path: (repo / path).read_bytes())
    assert not (repo / CACHE_DIR).exists()
    assert _rule_ids(scan) == ["KL106"]


def test_no_cache_option_writes_nothing(repo: Path) -> None:
    _scan(repo, cache=False)
    assert not (repo / CACHE_DIR).exists()


def test_unusable_places_only_disable_the_cache(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / CACHE_DIR).write_text("a file where the directory should be", encoding="utf-8")
    assert _rule_ids(_scan(repo)) == ["KL106"]
    (repo / CACHE_DIR).unlink()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _rule_ids(_scan(repo)) == ["KL106"]
    assert not FactCache(repo).enabled


def test_the_code_version_covers_the_parsers() -> None:
    assert code_version() == code_version()
    assert len(code_version()) == 32


def test_router_agrees_with_parsers_for() -> None:
    parsers = load_parsers()
    router = Router.of(parsers)
    paths = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file())
    paths += [
        "README.md",
        "a/b/c.png",
        ".env",
        "deploy/.env.production",
        "etc/default/kumomta",
        "policy/init.lua",
        "nginx/conf.d/x.conf",
        "x/Dockerfile",
        "dns/a.zone",
        "DEPLOY/KUMOMTA.ENV",
    ]
    routed = 0
    for path in paths:
        for prefix in ("", "sub/dir/"):
            expected = tuple(p.name for p in parsers_for(prefix + path, parsers))
            assert router.names_for(prefix + path) == expected, prefix + path
            routed += bool(expected)
    assert routed > 20


_PARTIAL = """
import hashlib, json, sys
from kumolint.scan import Route, parse_bytes, parsers_named
name, routes, samples = json.loads(sys.stdin.read())
parsers = parsers_named({name}, [Route(*route) for route in routes])
facts = [repr(parse_bytes(p, t.encode(), [parsers[name]], 10**7).facts) for p, t in samples]
print(hashlib.sha256(repr(facts).encode()).hexdigest())
"""


def test_importing_only_the_needed_parser_modules_gives_the_same_facts() -> None:
    """The hook path imports just the modules of the parsers it needs: each parser, alone in
    a fresh interpreter, must extract exactly what it extracts with every module loaded (a
    parser that depends on registrations made by other modules would differ here)."""
    import hashlib
    import os
    import sys

    from kumolint.scan import parse_bytes
    from tests.conftest import ROOT

    parsers = load_parsers()
    routes = Router.of(parsers).routes
    table = [[r.name, list(r.patterns), r.flags, r.piggyback, r.module] for r in routes]
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
    compared = 0
    for name, parser in parsers.items():
        samples: list[tuple[str, str]] = []
        for file in files:
            inner = file.relative_to(FIXTURES).as_posix().split("/", 2)[-1]
            if parser.wants(inner) and len(samples) < 6:
                samples.append((inner, file.read_bytes().decode("utf-8", "replace")))
        if not samples:
            continue
        full = [repr(parse_bytes(p, t.encode(), [parser], 10**7).facts) for p, t in samples]
        expected = hashlib.sha256(repr(full).encode()).hexdigest()
        alone = subprocess.run(
            [sys.executable, "-c", _PARTIAL],
            input=json.dumps([name, table, samples]),
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=True,
        )
        assert alone.stdout.strip() == expected, name
        compared += 1
    assert compared >= 8


def test_a_symlinked_cache_directory_is_never_written_through(repo: Path, tmp_path: Path) -> None:
    """A repository may commit `.kumolint_cache` as a link to a world-readable place: the
    secrets in the facts must not be written there (and its mode must not change)."""
    elsewhere = tmp_path / "world-readable"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    (repo / CACHE_DIR).symlink_to(elsewhere)
    assert _rule_ids(_scan(repo)) == ["KL106"]
    assert list(elsewhere.iterdir()) == []
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


def test_a_committed_cache_directory_is_made_to_ignore_itself(repo: Path) -> None:
    (repo / CACHE_DIR).mkdir()
    (repo / CACHE_DIR / ".gitignore").write_text("!facts-*.json\n", encoding="utf-8")
    _scan(repo)
    assert "*" in (repo / CACHE_DIR / ".gitignore").read_text(encoding="utf-8").split()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert CACHE_DIR not in status


_PARSERS = load_parsers()
_ROUTER = Router.of(_PARSERS)
_PATH_PIECES = st.sampled_from(
    [
        "a",
        "deploy",
        "etc",
        "default",
        "kumomta",
        ".env",
        ".ENV",
        "x.lua",
        "nginx",
        ".conf",
        "Dockerfile",
        "inventory",
        "hosts",
        "debian",
        "rules",
        ".yml",
        ".zone",
        "db.",
        ".key",
        "\n",
        "ß",
        "\u017f",  # long s: case-insensitive matching folds it to "s"
        "é",
        "..",
        "",
        " ",
    ]
)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    path=st.one_of(
        st.lists(_PATH_PIECES, min_size=1, max_size=6).map("/".join),
        st.lists(_PATH_PIECES, min_size=1, max_size=6).map("".join),
        st.one_of(
            *(st.from_regex(p, fullmatch=True) for x in _PARSERS.values() for p in x.patterns)
        ),
    )
)
def test_router_agrees_with_parsers_for_on_any_path(path: str) -> None:
    expected = tuple(p.name for p in parsers_for(path, _PARSERS))
    assert _ROUTER.names_for(path) == expected


_ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None))


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(path=_ANY_TEXT, text=_ANY_TEXT, line=st.integers(1, 10**9), column=st.integers(1, 10**6))
def test_the_entry_format_round_trips_any_text(
    path: str, text: str, line: int, column: int
) -> None:
    """Paths decoded with surrogateescape and raw values with any code point survive."""
    from kumolint.cache import decode, encode
    from kumolint.finding import Related, Severity, Span
    from kumolint.model import InlineIgnore, ParseError, Value

    facts = [
        ParseError(text, Span(path, line, column, line + 1, None)),
        InlineIgnore((text, "KL101"), text, line, Span(path)),
        Related(Span(path, line), text),
        {"value": Value(text), "severity": Severity.ERROR, "set": frozenset({text})},
    ]
    stored = json.dumps(encode(facts)).encode("ascii")
    assert decode(json.loads(stored)) == facts

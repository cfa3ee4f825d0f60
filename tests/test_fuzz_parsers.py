"""Property tests for every registered parser and the SPF evaluator.

Whatever the bytes, a parser never lets an exception escape (`parse_bytes` would report it
as an internal error), every position it reports lies inside the file, and it finishes. Two
kinds of input per parser: arbitrary bytes, and "grammar-shaped" text made by cutting,
repeating and splicing the lines of the repository's own fixtures for that file kind, mixed
with the punctuation of config languages. The parsers are found with `load_parsers()`, and
their sample files by their own routing, so a new parser is fuzzed without editing this file.

    python3 -m pytest -q tests/test_fuzz_parsers.py                          # quick, seeded
    KUMOLINT_FUZZ=long python3 -m pytest -q -p no:cacheprovider tests/test_fuzz_parsers.py
    (KUMOLINT_FUZZ_EXAMPLES=N sets the examples per test of the long run; default 3000)
"""

from __future__ import annotations

import dataclasses
import importlib
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kumolint.finding import Span
from kumolint.parsers import Parser, load_parsers
from kumolint.scan import decode, parse_bytes
from tests.conftest import FIXTURES, ROOT

LONG = os.environ.get("KUMOLINT_FUZZ") == "long"
LONG_EXAMPLES = int(os.environ.get("KUMOLINT_FUZZ_EXAMPLES", "3000"))
FUZZ = settings(
    max_examples=LONG_EXAMPLES if LONG else 12,
    deadline=None,  # timing is checked below as a hang guard, not per example
    database=None,
    derandomize=not LONG,  # the quick run is the same on every machine; the long one explores
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
HANG_GUARD_SECONDS = 30.0
MAX_SIZE = 10 * 1024 * 1024
PARSERS = load_parsers()
SAMPLE_ROOTS = (FIXTURES, ROOT / "examples", ROOT / "tests" / "data")
PUNCTUATION = (
    *"{}[]()<>\"'`=:;,#-$@\\%&*|!?~^/.+",
    "${",
    "}}",
    "{{",
    "--",
    "[[",
    "]]",
    "--[[",
    "\n",
    "\t",
    "    ",
    "\r\n",
    "\ufeff",
    "\u00e9",
    "\U0001f600",
    "\\\n",
    '"""',
    "<<EOF\n",
    "EOF\n",
    "0644",
    "0o600",
    "v=spf1",
    "include:",
    "&a",
    "*a",
    "!!binary",
)


def _sample_files() -> dict[str, list[tuple[str, str]]]:
    """Parser name -> (repo-relative path, text) of the sample files it would read."""
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in PARSERS}
    for base in SAMPLE_ROOTS:
        for file in sorted(base.rglob("*")) if base.is_dir() else ():
            if not file.is_file() or file.stat().st_size > 200_000:
                continue
            relative = file.relative_to(base).as_posix()
            # fixture trees are small repos: route by the path inside the fixture
            inner = (
                relative.split("/", 2)[2]
                if base == FIXTURES and relative.count("/") >= 2
                else relative
            )
            for name, parser in PARSERS.items():
                if parser.wants(inner):
                    text = file.read_bytes().decode("utf-8", "replace")
                    found[name].append((inner, text))
    return found


SAMPLES = _sample_files()


def paths_for(parser: Parser) -> st.SearchStrategy[str]:
    """The parser's sample paths; without samples, paths generated from its own patterns."""
    paths = sorted({path for path, _ in SAMPLES[parser.name]})[:20]
    if paths:
        return st.sampled_from(paths)
    generated = [
        st.from_regex(pattern, fullmatch=True).filter(lambda p: "\0" not in p and p.strip())
        for pattern in parser.patterns
    ]
    return st.one_of(*generated).filter(parser.wants)


def _lines(parser: Parser) -> list[str]:
    lines = sorted({line for _, text in SAMPLES[parser.name] for line in text.splitlines()})
    return lines[:600] or ["key = value", "# comment", "[section]", "name: value"]


def shaped_text(parser: Parser) -> st.SearchStrategy[str]:
    """Text that looks like the parser's file kind, cut and spliced in odd places."""
    lines = st.sampled_from(_lines(parser))
    piece = st.one_of(
        lines,
        lines.map(lambda line: line[: len(line) // 2]),  # truncated syntax
        st.tuples(lines, st.integers(2, 60)).map(lambda pair: pair[0] * pair[1]),
        st.tuples(
            st.sampled_from(("{", "[", "(", "- ", "  ", "${", "{{")), st.integers(1, 300)
        ).map(
            lambda pair: pair[0] * pair[1]  # nesting and indentation depth
        ),
        st.lists(st.sampled_from(PUNCTUATION), max_size=12).map("".join),
        st.text(max_size=24),
    )
    return st.lists(piece, max_size=40).map("\n".join)


def _spans(value: Any, depth: int = 0) -> Iterator[Span]:
    if depth > 50:
        return
    if isinstance(value, Span):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _spans(getattr(value, field.name), depth + 1)
    elif isinstance(value, (list, tuple, frozenset, set)):
        for item in value:
            yield from _spans(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _spans(item, depth + 1)


def check_parse(parser: Parser, path: str, data: bytes) -> None:
    started = time.monotonic()
    result = parse_bytes(path, data, [parser], MAX_SIZE)
    elapsed = time.monotonic() - started
    assert elapsed < HANG_GUARD_SECONDS, f"{parser.name} took {elapsed:.1f} s"
    assert result.internal_errors == [], result.internal_errors
    if result.skipped:
        return
    text, _ = decode(path, data)
    last_line = text.count("\n") + 1
    for fact in result.facts:
        for span in _spans(fact):
            where = f"{parser.name}: {type(fact).__name__} at {span}"
            assert span.path == path, where
            assert 1 <= span.line <= last_line + 1, where
            assert span.column >= 1, where
            if span.end_line is not None:
                assert span.line <= span.end_line <= last_line + 1, where
            if span.end_column is not None:
                assert span.end_column >= 1, where


PARSER_NAMES = sorted(PARSERS)


@pytest.mark.parametrize("name", PARSER_NAMES)
@FUZZ
@given(data=st.data())
def test_arbitrary_bytes(name: str, data: st.DataObject) -> None:
    parser = PARSERS[name]
    path = data.draw(paths_for(parser), label="path")
    raw = data.draw(
        st.one_of(
            st.binary(max_size=3000),
            st.binary(max_size=3000).map(lambda b: b.replace(b"\0", b"")),  # reaches the parser
            st.binary(max_size=300).map(lambda b: b"\xef\xbb\xbf" + b.replace(b"\0", b"\x01")),
        ),
        label="bytes",
    )
    check_parse(parser, path, raw)


@pytest.mark.parametrize("name", PARSER_NAMES)
@FUZZ
@given(data=st.data())
def test_grammar_shaped_text(name: str, data: st.DataObject) -> None:
    parser = PARSERS[name]
    path = data.draw(paths_for(parser), label="path")
    text = data.draw(shaped_text(parser), label="text")
    newline = data.draw(st.sampled_from(("\n", "\r\n")), label="newline")
    tail = data.draw(st.sampled_from((b"", b"\xff\xfe", b"\x00")), label="tail")
    check_parse(parser, path, text.replace("\n", newline).encode("utf-8", "surrogatepass") + tail)


def test_the_parsers_are_found_with_their_samples() -> None:
    """The registry is walked (a new parser is picked up) and most kinds have real samples."""
    assert {"envfile", "lua", "nginx", "yaml", "zonefile"} <= set(PARSER_NAMES)
    with_samples = [name for name in PARSER_NAMES if SAMPLES[name]]
    assert len(with_samples) >= len(PARSER_NAMES) // 2, with_samples


def _spf_module() -> Any:
    try:
        return importlib.import_module("kumolint.rules._spf")
    except ImportError:
        pytest.skip("kumolint/rules/_spf.py (the SPF evaluator) does not exist yet")


SPF_TERMS = (
    "v=spf1",
    "-all",
    "~all",
    "?all",
    "+all",
    "all",
    "a",
    "mx",
    "ptr",
    "a:mail.example.com",
    "mx:example.com/24",
    "a/24//64",
    "ip4:192.0.2.1",
    "ip4:192.0.2.0/24",
    "ip4:300.1.1.1",
    "ip4:192.0.2.1/33",
    "ip6:2001:db8::/32",
    "ip6:2001:db8::1/129",
    "include:a.example",
    "include:b.example",
    "include:",
    "redirect=a.example",
    "redirect=b.example",
    "exp=explain.%{d}",
    "exists:%{i}.%{l1r-}.example",
    "%{",
    "%%",
    "foo=bar",
    "=",
    ":",
    "/",
    " ",
    "  ",
)


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(SPF_TERMS), max_size=25).map(" ".join),
        st.lists(st.sampled_from(SPF_TERMS), max_size=25).map(lambda t: "v=spf1 " + " ".join(t)),
    )
)
def test_spf_parse_never_raises_and_offsets_fit(text: str) -> None:
    spf = _spf_module()
    record = spf.parse_spf(text)
    for term in record.terms:
        assert 0 <= term.offset <= len(text)
        assert text[term.offset :].startswith(term.text)
    for problem in record.problems:
        assert 0 <= problem.offset <= len(text)


RESULTS = {"pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"}


@FUZZ
@given(
    records=st.dictionaries(
        st.sampled_from(("a.example.", "b.example.", "example.com.")),
        st.lists(st.sampled_from(SPF_TERMS), max_size=12).map(lambda t: "v=spf1 " + " ".join(t)),
        max_size=3,
    ),
    address=st.sampled_from(("192.0.2.1", "198.51.100.7", "2001:db8::1")),
)
def test_spf_evaluation_terminates_with_a_result(records: dict[str, str], address: str) -> None:
    """Include and redirect loops between the repo's own records end, with an RFC result."""
    spf = _spf_module()
    from kumolint.facts.dns import DnsRecord

    view = spf.DnsView.of(
        DnsRecord(owner, "TXT", f'"{text}"', Span("dns/a.zone", 1), txt=text, strings=(text,))
        for owner, text in records.items()
    )
    for domain in ("a.example", "b.example", "example.com"):
        started = time.monotonic()
        outcome = spf.evaluate(ipaddress.ip_address(address), domain, view)
        assert time.monotonic() - started < HANG_GUARD_SECONDS
        assert outcome.result in RESULTS | {"indeterminate"}
        spf.count_lookups(records.get(f"{domain}.", "v=spf1"), view)


BIG = 10 * 1024 * 1024 if LONG else 256 * 1024  # the issue's 10 MB case: in the long profile
GUESSES = (
    "main.tf",
    "user-data",
    "dnsconfig.js",
    "salt/top.sls",
    "deploy/.env",
    "etc/default/kumomta",
    "x.yml",
    "Dockerfile",
    "a.service",
    "a.sh",
    "a.spec",
    "a.toml",
    "inventory/hosts",
    "debian/rules",
    "dns/a.zone",
    "nginx/nginx.conf",
    "policy/init.lua",
    "keys/a.key",
)


def _bad_inputs(sample: str) -> dict[str, bytes]:
    text = sample or "key = value\n"
    data = text.encode("utf-8", "surrogatepass")
    repeated = (data + b"\n") * (BIG // (len(data) + 1) + 1)
    return {
        "empty": b"",
        "invalid UTF-8": b"\xff\xfe\xfa" + data + b"\xc3",
        "BOM": b"\xef\xbb\xbf" + data,
        "CRLF": data.replace(b"\n", b"\r\n"),
        "NUL byte": data[: len(data) // 2] + b"\0" + data[len(data) // 2 :],
        "NUL after the sniff window": data + b"\n" + b" " * 9000 + b"\0\n",
        "truncated": data[: max(1, len(data) * 2 // 3)],
        "very long line": b"x" * (BIG // 4) + b"=" + b"y" * (BIG // 4) + b"\n",
        "big file": repeated[:BIG],
    }


@pytest.mark.parametrize("name", PARSER_NAMES)
def test_the_issue_bad_input_set(name: str) -> None:
    """Empty, invalid UTF-8, BOM, CRLF, NUL, a big file, a very long line, truncated syntax:
    each gives facts or ParseErrors with positions in the file, never an exception or a hang."""
    parser = PARSERS[name]
    samples = SAMPLES[name]
    path = samples[0][0] if samples else next((g for g in GUESSES if parser.wants(g)), None)
    if path is None:
        pytest.skip(f"no sample and no guessed path for {name}: add one to GUESSES")
    sample = max((text for _, text in samples), key=len, default="")[:20_000]
    for case, data in _bad_inputs(sample).items():
        try:
            check_parse(parser, path, data)
        except AssertionError as problem:
            raise AssertionError(f"{name}, {case}: {problem}") from None

from __future__ import annotations

import re

from kumolint.formatters import Output, github
from tests.conftest import RULES
from tests.formatters._sample import sample_output

_COMMAND = re.compile(r"^::(?P<kind>\w+) (?P<props>[^:]*)::(?P<data>.*)$")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match["props"].split(","))
    return match["kind"], props, match["data"]


def unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def test_one_annotation_per_reported_finding() -> None:
    output = sample_output()
    lines = github.render(output).splitlines()
    assert len(lines) == len(output.findings)  # suppressed findings are not annotated
    kind, props, _ = parse(next(line for line in lines if "keys" in line))
    assert kind == "error"
    assert props == {
        "file": "keys/dkim.key",
        "line": "1",
        "col": "1",
        "endLine": "3",
        "title": "KL106 private-key-committed",
    }


def test_properties_and_data_are_escaped() -> None:
    lines = github.render(sample_output()).splitlines()
    kind, props, data = parse(next(line for line in lines if "KL001" in line))
    assert kind == "warning"
    assert "," not in props["file"]
    assert ":" not in props["file"]
    assert unescape(props["file"]) == "deploy/caf\udce9, 50%:x.env"
    assert props["title"] == "KL001 parse-error"
    assert "\n" not in data
    assert unescape(data).startswith("not valid UTF-8; read with replacement characters\nsecond")
    assert "(also at policy/init.lua:9: read here)" in unescape(data)


def test_clean_run_prints_nothing_and_summarises() -> None:
    output = Output([], RULES, files_scanned=3)
    assert github.render(output) == ""
    assert "No findings in 3 files scanned." in github.summary(output)


def test_summary_table() -> None:
    text = github.summary(sample_output())
    assert text.startswith("## kumolint\n")
    assert "**3 findings** (1 error, 2 warnings) in 7 files scanned." in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| severity | rule | location | message |"
    assert rows[1].startswith("| error | KL106 private-key-committed | `keys/dkim.key:1` |")
    assert "2 findings are suppressed." in text
    assert "1 files were not linted" in text

"""A small, varied set of findings shared by the formatter tests."""

from __future__ import annotations

from kumolint.finding import Finding, Related, Severity, Span, Suppression
from kumolint.formatters import Output
from kumolint.model import SkippedFile
from tests.conftest import RULES

ODD_PATH = "deploy/caf\udce9, 50%:x.env"  # a non-UTF-8 byte, a comma, a percent and a colon


def sample_output(*, suppressed: bool = True) -> Output:
    findings = [
        Finding(
            Span("keys/dkim.key", 1, 1, 3, 26),
            "KL106",
            "PRIVATE KEY block committed",
            Severity.ERROR,
            name="private-key-committed",
            fingerprint="a" * 20,
        ),
        Finding(
            Span(ODD_PATH, 4, 7),
            "KL001",
            "not valid UTF-8; read with replacement characters\nsecond line",
            Severity.WARNING,
            name="parse-error",
            fingerprint="b" * 20,
            related=(Related(Span("policy/init.lua", 9, 3), "read here"),),
        ),
        Finding(
            Span(ODD_PATH, 40, 7),
            "KL001",
            "not valid UTF-8; read with replacement characters\nsecond line",
            Severity.WARNING,
            name="parse-error",
            fingerprint="b" * 20,
        ),
    ]
    hidden = [
        Finding(
            Span("keys/old.key", 1, 1),
            "KL106",
            "PRIVATE KEY block committed",
            Severity.ERROR,
            name="private-key-committed",
            fingerprint="c" * 20,
            suppression=Suppression("in-source", "test key, never deployed"),
        ),
        Finding(
            Span("keys/legacy.key", 1, 1),
            "KL106",
            "PRIVATE KEY block committed",
            Severity.ERROR,
            name="private-key-committed",
            fingerprint="d" * 20,
            suppression=Suppression("external"),
        ),
    ]
    return Output(
        findings=sorted(findings),
        rules=RULES,
        files_scanned=7,
        skipped=[SkippedFile("big.env", "larger than max-file-size (5 bytes)")],
        suppressed=sorted(hidden) if suppressed else (),
    )

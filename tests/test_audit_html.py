"""The HTML audit report, rendered by a real browser (headless Chromium) and read back."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kumolint.cli import main
from tests.test_audit import BODY, KEY, RSA, commit, git

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
        if (found := shutil.which(name))
    ),
    None,
)


def render_dom(page: Path, profile: Path) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return done.stdout.decode("utf-8")


def _text(dom: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


@pytest.fixture
def report(tmp_path: Path) -> Path:
    repo = tmp_path / "legacy"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"keys/dkim.key": KEY, "keys/tls/<b>x</b>.key": RSA}, "keys", 1_577_836_800)
    (repo / "keys/dkim.key").unlink()
    commit(repo, {"vars.yml": "a: 1\n"}, "remove dkim key", 1_609_459_200)
    page = tmp_path / "audit.html"
    assert main(["audit", str(repo), "--history", "--quiet", "--report", str(page)]) == 1
    return page


def test_page_is_self_contained_and_leaks_nothing(report: Path) -> None:
    html = report.read_text()
    assert BODY[:8] not in html
    assert BODY[::-1][:8] not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.IGNORECASE)
    assert "<script" not in html
    assert "<b>x</b>" not in html  # repository text is escaped, never markup
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)")
def test_rendered_page_text(report: Path, tmp_path: Path) -> None:
    dom = render_dom(report, tmp_path / "profile")
    text = _text(dom)
    assert "kumolint audit: legacy" in text
    assert "Rotation checklist" in text
    assert "keys/dkim.key : PRIVATE KEY block committed" in text
    assert "only in history: rotate it, history keeps it" in text
    assert "still in HEAD: remove it from the repository and rotate it" in text
    assert "keys/tls/<b>x</b>.key" in dom.replace("&lt;", "<").replace("&gt;", ">")
    # the charts are drawn: their labels are in the rendered DOM
    assert dom.count("<svg") == 2
    assert "KL1xx" in text
    assert "2020-01-01" in text  # the timeline axis starts at the first key
    assert "2021-01-01" in text  # and ends at the newest commit
    assert "2 findings: 2 errors" in text

"""The audit as one self-contained HTML page: no script, no external asset, charts in SVG.

Every text from the repository (paths, messages) goes through `html.escape`; the page's
Content-Security-Policy forbids loading anything, so it is safe to open from a CI artifact.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from kumolint.audit.history import AuditFinding, AuditResult
from kumolint.audit.report import action, day, is_secret, status, summary_lines
from kumolint.finding import Severity
from kumolint.registry import Rule

_COLOURS = {Severity.ERROR: "#c62828", Severity.WARNING: "#ef8f00", Severity.NOTE: "#1e6fbf"}
_HEAD_COLOUR, _GONE_COLOUR = "#c62828", "#8e8e8e"
TIMELINE_ROWS = 150
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;
color:#1d1d1d}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font-size:.9em;overflow-wrap:anywhere}
.error{color:#c62828}.warning{color:#9a5b00}.note{color:#1e6fbf}
ul.checklist{list-style:none;padding-left:0}ul.checklist li{margin:.35rem 0}
svg text{font:12px system-ui,sans-serif;fill:#1d1d1d}
"""


def render(result: AuditResult, rules: Mapping[str, Rule], name: str) -> str:
    title = f"kumolint audit: {name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        *(f"<p>{_e(line)}</p>" for line in summary_lines(result)),
        "<h2>Rotation checklist</h2>",
        _checklist([a for a in result.findings if is_secret(a, rules)]),
        "<h2>Findings per rule family and severity</h2>",
        family_chart(result.findings),
        "<h2>When each secret entered and left history</h2>",
        timeline_chart(result),
        "<h2>Findings by severity</h2>",
        _findings_table(result.findings, rules),
    ]
    if result.skipped:
        rows = "".join(
            f"<tr><td><code>{_e(s.path)}</code></td><td><code>{_e(s.blob[:12])}</code></td>"
            f"<td>{_e(s.reason)}</td></tr>"
            for s in result.skipped
        )
        parts += [
            "<h2>Not linted</h2>",
            f"<table><tr><th>path</th><th>blob</th><th>reason</th></tr>{rows}</table>",
        ]
    if result.notes or result.problems:
        items = "".join(f"<li>{_e(n)}</li>" for n in (*result.notes, *result.problems))
        parts += ["<h2>Notes</h2>", f"<ul>{items}</ul>"]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _checklist(items: Sequence[AuditFinding]) -> str:
    if not items:
        return "<p>No secret ever reached the audited history.</p>"
    rows = "".join(
        f"<li>&#9744; <strong>{_e(a.finding.rule_id)}</strong> "
        f"<code>{_e(a.finding.span.path)}</code>: {_e(a.finding.message)} "
        f"(introduced <code>{_e(a.introduced.commit[:12])}</code>, {day(a.introduced.date)}) "
        f"<strong>{_e(action(a))}</strong></li>"
        for a in items
    )
    return (
        "<p>Removing a secret from the tree does not remove it from clones, forks, CI caches "
        f'or the history itself: rotate every one of these.</p><ul class="checklist">{rows}</ul>'
    )


def _findings_table(items: Sequence[AuditFinding], rules: Mapping[str, Rule]) -> str:
    if not items:
        return "<p>No findings.</p>"
    rows = []
    for a in items:
        f = a.finding
        rule = rules.get(f.rule_id)
        name = f"{f.rule_id} {rule.name}" if rule else f.rule_id
        rows.append(
            f'<tr><td class="{f.severity.value}">{f.severity.value}</td><td>{_e(name)}</td>'
            f"<td><code>{_e(f.span.path)}:{f.span.line}</code></td><td>{_e(f.message)}</td>"
            f"<td><code>{_e(a.introduced.commit[:12])}</code> {day(a.introduced.date)}</td>"
            f"<td>{_e(status(a))}</td></tr>"
        )
    header = (
        "<tr><th>severity</th><th>rule</th><th>location</th><th>message</th>"
        "<th>introduced</th><th>status</th></tr>"
    )
    return f"<table>{header}{''.join(rows)}</table>"


def family_chart(items: Sequence[AuditFinding]) -> str:
    """Horizontal stacked bars: one per rule family (KL1xx ...), one segment per severity."""
    families: dict[str, dict[Severity, int]] = {}
    for a in items:
        family = f"{a.finding.rule_id[:3]}xx"
        counts = families.setdefault(family, dict.fromkeys(Severity, 0))
        counts[a.finding.severity] += 1
    if not families:
        return "<p>No findings to chart.</p>"
    label_w, bar_w, row_h = 80, 520, 26
    most = max(sum(c.values()) for c in families.values())
    height = row_h * len(families) + 40
    shapes = []
    for row, (family, counts) in enumerate(sorted(families.items())):
        y = 10 + row * row_h
        shapes.append(f'<text x="0" y="{y + 15}">{_e(family)}</text>')
        x = float(label_w)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE):
            if not counts[severity]:
                continue
            width = bar_w * counts[severity] / most
            shapes.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{row_h - 8}" '
                f'fill="{_COLOURS[severity]}"><title>{family}: {counts[severity]} '
                f"{severity.value}</title></rect>"
            )
            x += width
        shapes.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{sum(counts.values())}</text>')
    legend_y = height - 12
    for n, severity in enumerate((Severity.ERROR, Severity.WARNING, Severity.NOTE)):
        lx = label_w + n * 110
        shapes.append(
            f'<rect x="{lx}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{_COLOURS[severity]}"/><text x="{lx + 16}" y="{legend_y}">'
            f"{severity.value}</text>"
        )
    return _svg(label_w + bar_w + 60, height, "Findings per rule family and severity", shapes)


def timeline_chart(result: AuditResult) -> str:
    """One row per finding: a bar from the commit that added it to the one that removed it
    (or to the newest commit, in red, when HEAD still has it)."""
    items = sorted(result.findings, key=lambda a: (a.introduced.date, a.finding))[:TIMELINE_ROWS]
    if not items:
        return "<p>No secret entered the audited history.</p>"
    start = min(a.introduced.date for a in items)
    end = max(result.last_date, *(a.left.date for a in items if a.left), start + 1)
    label_w, plot_w, row_h = 300, 460, 20
    height = row_h * len(items) + 50

    def x_of(stamp: int) -> float:
        return label_w + plot_w * (stamp - start) / (end - start)

    shapes = []
    for row, a in enumerate(items):
        y = 8 + row * row_h
        label = f"{a.finding.rule_id} {_short(a.finding.span.path, 36)}"
        shapes.append(f'<text x="0" y="{y + 12}">{_e(label)}</text>')
        until = end if a.at_head else (a.left.date if a.left else a.introduced.date)
        x0, x1 = x_of(a.introduced.date), x_of(until)
        colour = _HEAD_COLOUR if a.at_head else _GONE_COLOUR
        shapes.append(
            f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 3):.1f}" height="{row_h - 6}" '
            f'fill="{colour}"><title>{_e(label)}: {day(a.introduced.date)} to '
            f"{'HEAD' if a.at_head else day(until)}</title></rect>"
        )
    axis_y = 8 + len(items) * row_h + 6
    shapes.append(
        f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" stroke="#444"/>'
    )
    labelled: set[str] = set()
    for n in range(5):
        stamp = start + (end - start) * n // 4
        if day(stamp) in labelled:
            continue  # a short history: fewer ticks rather than overprinted dates
        labelled.add(day(stamp))
        x = x_of(stamp)
        anchor = "start" if n == 0 else "end" if n == 4 else "middle"
        shapes.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="#444"/>'
            f'<text x="{x:.1f}" y="{axis_y + 20}" text-anchor="{anchor}">{day(stamp)}</text>'
        )
    more = len(result.findings) - len(items)
    note = f"<p>{more} more findings are listed below but not drawn.</p>" if more > 0 else ""
    legend = (
        f'<p><span style="color:{_HEAD_COLOUR}">&#9632;</span> still in HEAD &nbsp; '
        f'<span style="color:{_GONE_COLOUR}">&#9632;</span> removed from the tree '
        "(still in history)</p>"
    )
    title = "When each secret entered and left history"
    return legend + _svg(label_w + plot_w + 20, height, title, shapes) + note


def _svg(width: int, height: int, title: str, shapes: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>{''.join(shapes)}</svg>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"...{text[-(limit - 3) :]}"


def _e(text: str) -> str:
    printable = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return html.escape(printable, quote=True)

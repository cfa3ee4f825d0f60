"""YAML templates (Helm, Jinja) are read with their markup blanked, not reported as broken."""

from __future__ import annotations

from pathlib import Path

from kumolint.parsers._yaml import blank_templates, restore_templates
from tests.conftest import lint, write_tree

HELM_SECRET = """\
{{- if .Values.webhook.enabled }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "kumo.fullname" . }}-env
stringData:
  PING8_WEBHOOK_TOKEN: {{ .Values.webhook.token | quote }}
  PING8_API_TOKEN: 7Hq2xLw9Vb4nRt6Yk1Zp3Mc8
{{- end }}
"""


def test_blanking_keeps_every_position() -> None:
    blanked = blank_templates(HELM_SECRET)
    assert len(blanked) == len(HELM_SECRET)
    assert [len(line) for line in blanked.split("\n")] == [
        len(line) for line in HELM_SECRET.split("\n")
    ]
    assert blanked.splitlines()[0].strip() == ""  # a line holding only an action is blank
    assert "7Hq2xLw9Vb4nRt6Yk1Zp3Mc8" in blanked
    assert restore_templates(blanked.splitlines()[4]) == "  name: {{ … }}-env"


def test_unclosed_action_stops_blanking() -> None:
    assert blank_templates("a: {{ b\nc: 1\n") == "a: {{ b\nc: 1\n"


def test_helm_template_is_linted_without_parse_errors(tmp_path: Path) -> None:
    write_tree(tmp_path, {"chart/templates/secret.yaml": HELM_SECRET})
    findings = lint(tmp_path)
    assert [(f.rule_id, f.span.line, f.span.column) for f in findings] == [("KL101", 8, 20)]
    assert "PING8_API_TOKEN" in findings[0].message


def test_plain_broken_yaml_is_still_kl001(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/vars.yml": "a: [1\n"})
    assert [f.rule_id for f in lint(tmp_path)] == ["KL001"]

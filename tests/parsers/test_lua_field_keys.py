"""Table fields are skipped early when their key cannot name a secret or an auth header: keys
spelled with escapes or non-ASCII letters that fold to such a name must still be read."""

from __future__ import annotations

from kumolint.facts.lua import HttpAuth, SecretLiteral
from kumolint.parsers.lua import parse

POLICY = """\
local cfg = {
  ["\\x41uthorization"] = "Bearer s3cr3tvalue1",
  ["pa\u017fsword"] = "hunter2hunter2",
  ["\\u{17F}ecret_token"] = "tok3ntok3ntok3n",
  [ [[api_key]] ] = "abc123abc123",
  plain = "not interesting",
  nested = { client_secret = "c1i3ntc1i3nt", timeout = "30s" },
  headers = { ["X-Api-Key"] = os.getenv("KEY"), Accept = "application/json" },
}
"""


def test_escaped_and_folded_keys_are_still_read() -> None:
    facts = list(parse("policy/init.lua", POLICY))
    secrets = {(f.name, f.value.text, f.span.line) for f in facts if isinstance(f, SecretLiteral)}
    assert secrets == {
        ("pa\u017fsword", "hunter2hunter2", 3),
        ("\u017fecret_token", "tok3ntok3ntok3n", 4),
        ("api_key", "abc123abc123", 5),
        ("client_secret", "c1i3ntc1i3nt", 7),
    }
    auth = sorted((f.header, f.scheme, f.span.line) for f in facts if isinstance(f, HttpAuth))
    assert auth == [("Authorization", "bearer", 2), ("X-Api-Key", "header", 8)]

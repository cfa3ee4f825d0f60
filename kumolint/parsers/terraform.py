"""Terraform DNS resources -> DnsRecord facts, with positions from python-hcl2's Lark tree.

Each provider quotes TXT data its own way:
- `aws_route53_record` `records = [...]`: one element is one RR; `\"\"` inside splits it
  into several strings.
- `cloudflare_record` (`value`/`content`) and `cloudflare_dns_record` (`content`): raw text,
  or presentation format when it starts with a quote.
- `google_dns_record_set` `rrdatas = [...]`: presentation format; unquoted text is split on
  spaces into separate strings (and they join without spaces).
- `azurerm_dns_txt_record`: one `record { value = ... }` block per RR, raw text.
HCL escapes are undone first (`%%{` -> `%{`, `$${` -> `${`, `\"`). A value with an
interpolation or a reference (`var.x`) is kept with `exact=False`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kumolint.facts.dns import DnsRecord, TerraformValue
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers import parser

RESOURCE_TYPES = frozenset(
    {
        "aws_route53_record",
        "cloudflare_record",
        "cloudflare_dns_record",
        "google_dns_record_set",
        "azurerm_dns_txt_record",
        "azurerm_dns_a_record",
        "azurerm_dns_aaaa_record",
        "azurerm_dns_mx_record",
    }
)
_HCL_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))|%%\{|\$\$\{", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_PRESENTATION = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)', re.DOTALL)
_DNS_ESCAPE = re.compile(r"\\(?:([0-9]{3})|(.))", re.DOTALL)
_HINT = re.compile("|".join(sorted(RESOURCE_TYPES)))
UNKNOWN_PART = "\0?\0"


@dataclass(frozen=True)
class _Value:
    """A string (or list element) as Terraform would see it."""

    text: str
    exact: bool
    span: Span
    template: str | None = None  # set when not exact: references as "\0var.x\0"


@parser("terraform", globs=("*.tf",))
def parse(path: str, text: str) -> Iterator[Any]:
    yield from _module_values(path, text)
    if not _HINT.search(text):
        return  # no DNS resources: skip the grammar (and its one-off build cost)
    try:
        import hcl2
        from lark.exceptions import LarkError, UnexpectedInput
    except ImportError:  # pragma: no cover - python-hcl2 is a dependency
        return
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as error:
        line = max(1, int(getattr(error, "line", 1) or 1))
        column = max(1, int(getattr(error, "column", 1) or 1))
        yield ParseError("Terraform: syntax error", Span(path, line, column))
        return
    except (LarkError, RecursionError, ValueError) as error:
        yield ParseError(f"Terraform: cannot parse ({type(error).__name__})", Span(path))
        return
    zones = _zone_names(tree)
    for kind, attributes, blocks, span in _resources(tree, path):
        if kind in RESOURCE_TYPES:
            yield from _records(kind, attributes, blocks, span, zones, path)


def _resources(
    tree: Any, path: str
) -> Iterator[tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]], Span]]:
    body = _child(tree, "body")
    if body is None:
        return
    for block in _children(body, "block"):
        labels = [c for c in block.children if _is(c, "string")]
        if _identifier(block) != "resource" or len(labels) < 2:
            continue
        kind = _literal(labels[0])
        inner = _child(block, "body")
        if kind is None or inner is None:
            continue
        nested = [
            (_identifier(b) or "", _attributes(_child(b, "body")))
            for b in _children(inner, "block")
        ]
        yield kind, _attributes(inner), nested, _span(path, block)


_BLOCK_START = re.compile(r'^[ \t]*(?:variable[ \t]+"([^"\n]+)"|(locals))[ \t]*\{', re.MULTILINE)
_ASSIGN = re.compile(
    r'^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=[ \t]*("(?:[^"\\\n]|\\.)*"|\[[^\]]*\])', re.MULTILINE
)
_HCL_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _module_values(path: str, text: str) -> Iterator[TerraformValue]:
    """String defaults of `variable` blocks and string `locals`, found without the grammar
    (a module's variables.tf has no DNS resources and is not worth a full parse)."""
    from kumolint.parsers._text import LineIndex

    directory = path.rpartition("/")[0]
    lines: LineIndex | None = None
    for block in _BLOCK_START.finditer(text):
        end = _block_end(text, block.end())
        depth, scanned = 0, block.end()
        for assign in _ASSIGN.finditer(text, block.end(), end):
            depth += _depth(text, scanned, assign.start())
            scanned = assign.end()
            if depth != 0:
                continue
            key, raw = assign[1], assign[2]
            depth += raw.count("[") - raw.count("]") if raw.startswith("[") else 0
            if block[1] is not None and key != "default":
                continue
            reference = f"var.{block[1]}" if block[1] is not None else f"local.{key}"
            strings = [_hcl_unescape(m[1]) for m in _HCL_STRING.finditer(raw)]
            if raw.startswith('"') and len(strings) != 1:
                continue
            if "${" in raw.replace("$${", ""):
                continue
            lines = lines or LineIndex(text)
            span = lines.span(path, assign.start(2), assign.end(2))
            yield TerraformValue(directory, reference, tuple(strings), raw.startswith("["), span)


def _block_end(text: str, start: int) -> int:
    depth, position, quoted = 1, start, False
    while position < len(text) and depth:
        char = text[position]
        if quoted:
            if char == "\\":
                position += 1
            elif char == '"' or char == "\n":
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        position += 1
    return position


def _depth(text: str, start: int, end: int) -> int:
    """Brace depth at `end` relative to `start`, ignoring braces in strings (roughly)."""
    stripped = _HCL_STRING.sub("", text[start:end])
    return stripped.count("{") + stripped.count("[") - stripped.count("}") - stripped.count("]")


def _records(
    kind: str,
    attributes: dict[str, Any],
    blocks: list[tuple[str, dict[str, Any]]],
    span: Span,
    zones: list[str],
    path: str,
) -> Iterator[DnsRecord]:
    name_value = _values(attributes.get("name"), path)
    name = name_value[0] if name_value else None
    if kind.startswith("azurerm_dns_"):
        rtype = kind.removeprefix("azurerm_dns_").removesuffix("_record").upper()
        zone = _values(attributes.get("zone_name"), path)
        owner = _owner(name, zone[0].text if zone and zone[0].exact else None)
        values = _values(attributes.get("records"), path)
        for label, body in blocks:
            if label == "record":
                values += _values(body.get("value") or body.get("exchange"), path)
        for value in values:
            yield _record(owner, rtype, value, "raw")
        return
    type_value = _values(attributes.get("type"), path)
    if not type_value or not type_value[0].exact:
        return
    rtype = type_value[0].text.upper()
    if kind == "aws_route53_record":
        owner = _owner(name, None)
        for value in _values(attributes.get("records"), path):
            yield _record(owner, rtype, value, "route53")
    elif kind == "google_dns_record_set":
        owner = _owner(name, None)
        for value in _values(attributes.get("rrdatas"), path):
            yield _record(owner, rtype, value, "presentation")
    else:  # cloudflare
        owner = _owner(name, zones[0] if len(zones) == 1 else None)
        content = attributes.get("content") or attributes.get("value")
        for value in _values(content, path):
            yield _record(owner, rtype, value, "cloudflare")


@dataclass(frozen=True)
class _Owner:
    fqdn: str
    template: str | None  # None when exact


def _owner(name: _Value | None, zone: str | None) -> _Owner:
    """The owner FQDN: names are taken as absolute, or relative to a known zone."""
    if name is None:
        if zone is None:
            return _Owner("@.", UNKNOWN_PART)
        return _Owner(zone.rstrip(".").lower() + ".", None)
    text = name.text.strip().lower().rstrip(".")
    template = name.template
    if zone is not None:
        zone = zone.strip().lower().rstrip(".")
        if text in ("@", "", zone):
            text = zone
        elif not text.endswith("." + zone):
            text = f"{text}.{zone}"
            template = f"{template}.{zone}" if template is not None else None
    if text == "@":
        template = UNKNOWN_PART
    return _Owner(text + ".", template)


def _record(owner: _Owner, rtype: str, value: _Value, style: str) -> DnsRecord:
    exact = value.exact and owner.template is None
    record = DnsRecord(
        owner.fqdn,
        rtype,
        value.text.strip(),
        value.span,
        "terraform",
        exact=exact,
        template=value.template,
        owner_template=owner.template,
        quoting=style,
    )
    return with_txt(record, value.text) if rtype in ("TXT", "SPF") else record


def with_txt(record: DnsRecord, text: str) -> DnsRecord:
    """`record` with its TXT data taken from the provider value `text`."""
    strings = txt_strings(text, record.quoting)
    return dataclasses.replace(
        record,
        rdata_text=" ".join(f'"{s}"' for s in strings),
        txt="".join(strings),
        strings=strings,
    )


def txt_strings(text: str, style: str) -> tuple[str, ...]:
    """The TXT character-strings of a provider's value (`style` is DnsRecord.quoting)."""
    if style == "route53":
        return tuple(text.split('""'))
    if style == "presentation" or (style == "cloudflare" and text.startswith('"')):
        return tuple(
            _dns_unescape(m[1]) if m[1] is not None else m[2] for m in _PRESENTATION.finditer(text)
        )
    return (text,)


def _dns_unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return chr(min(int(match[1]), 255)) if match[1] is not None else match[2]

    return _DNS_ESCAPE.sub(replace, text)


def _zone_names(tree: Any) -> list[str]:
    """Literal names of `cloudflare_zone` resources and data sources in this file."""
    names = []
    body = _child(tree, "body")
    for block in _children(body, "block") if body is not None else ():
        labels = [_literal(c) for c in block.children if _is(c, "string")]
        inner = _child(block, "body")
        if not labels or labels[0] != "cloudflare_zone" or inner is None:
            continue
        attributes = _attributes(inner)
        for key in ("zone", "name"):
            found = _values(attributes.get(key), "")
            if found and found[0].exact:
                names.append(found[0].text)
                break
    return names


# --- Lark tree helpers -------------------------------------------------------------------


def _is(node: Any, data: str) -> bool:
    return getattr(node, "data", None) == data


def _child(node: Any, data: str) -> Any:
    return next((c for c in getattr(node, "children", ()) if _is(c, data)), None)


def _children(node: Any, data: str) -> list[Any]:
    return [c for c in getattr(node, "children", ()) if _is(c, data)]


def _identifier(node: Any) -> str | None:
    ident = _child(node, "identifier")
    return str(ident.children[0]) if ident is not None and ident.children else None


def _attributes(body: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for attribute in _children(body, "attribute"):
        name = _identifier(attribute)
        value = _child(attribute, "expr_term")
        if name is not None and value is not None:
            attributes[name] = value
    return attributes


def _span(path: str, node: Any) -> Span:
    meta = getattr(node, "meta", None)
    if meta is None or meta.empty:
        return Span(path)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


def _literal(node: Any) -> str | None:
    value = _string(node, "")
    return value.text if value is not None and value.exact else None


def _values(expression: Any, path: str) -> list[_Value]:
    """A string, or the strings of a tuple; a reference becomes an inexact empty value."""
    if expression is None:
        return []
    node = expression.children[0] if _is(expression, "expr_term") else expression
    if _is(node, "tuple"):
        return [v for item in _children(node, "expr_term") for v in _values(item, path)]
    value = _string(node, path)
    if value is not None:
        return [value]
    reference = _reference(node)
    template = f"\0{reference}\0" if reference else UNKNOWN_PART
    return [_Value("", False, _span(path, node), template)]


def _reference(node: Any) -> str | None:
    """`var.name` or `local.name` for a plain reference expression, else None."""
    if _is(node, "expr_term") and node.children:
        node = node.children[0]
    if not _is(node, "get_attr_expr_term") or len(node.children) != 2:
        return None
    base, attribute = node.children
    root = _identifier(base) if _is(base, "expr_term") else None
    name = _identifier(attribute) if _is(attribute, "get_attr") else None
    if root in ("var", "local") and name:
        return f"{root}.{name}"
    return None


def _string(node: Any, path: str) -> _Value | None:
    if _is(node, "expr_term") and node.children:
        node = node.children[0]
    if _is(node, "string"):
        text, template, exact = [], [], True
        for part in _children(node, "string_part"):
            for piece in part.children:
                if getattr(piece, "type", None) is not None:
                    text.append(_hcl_unescape(str(piece)))
                    template.append(text[-1])
                else:
                    text.append("${...}")
                    inner = _child(piece, "expr_term") if _is(piece, "interpolation") else None
                    reference = _reference(inner) if inner is not None else None
                    template.append(f"\0{reference}\0" if reference else UNKNOWN_PART)
                    exact = False
        joined = None if exact else "".join(template)
        return _Value("".join(text), exact, _span(path, node), joined)
    if _is(node, "heredoc_template") or _is(node, "heredoc_template_trim"):
        raw = str(node.children[0])
        lines = raw.split("\n")[1:]
        while lines and not lines[-1].strip():
            lines.pop()
        lines = lines[:-1]  # the closing marker
        if _is(node, "heredoc_template_trim"):
            indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
            cut = min(indents, default=0)
            lines = [line[cut:] for line in lines]
        body = "\n".join(lines)
        exact = "${" not in body.replace("$${", "")
        unescaped = _hcl_unescape(body, quoted=False).rstrip("\n")
        return _Value(unescaped, exact, _span(path, node), None if exact else UNKNOWN_PART)
    return None


def _hcl_unescape(text: str, *, quoted: bool = True) -> str:
    def replace(match: re.Match[str]) -> str:
        whole = match.group()
        if whole == "%%{":
            return "%{"
        if whole == "$${":
            return "${"
        if not quoted:
            return whole
        if match[1] or match[2]:
            return chr(int(match[1] or match[2], 16))
        return _SIMPLE_ESCAPES.get(match[3], whole)

    return _HCL_ESCAPE.sub(replace, text)

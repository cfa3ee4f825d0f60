"""Judging values: placeholder or real, secret-looking names, documentation IPs and names.

Shared by every rule family so "is this a real secret?" has one answer everywhere. Nothing
here returns or formats the value itself.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW(OR)?D|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH_?KEY"
    r"|ACCESS_?KEY|CLIENT_?KEY|SIGNING_?KEY|KEY_?DATA",
    re.IGNORECASE,
)
# Names that say "secret" but hold a reference, a size or a switch, not the secret itself.
NOT_A_SECRET_NAME = re.compile(
    r"(_|^)(FILE|PATH|DIR|URL_?PATH|LENGTH|LEN|TTL|TIMEOUT|EXPIRY|EXPIRES|TYPE|NAME|HEADER"
    r"|ENABLED|REQUIRED|ID|COUNT|SIZE|VERSION|MOUNT|ENDPOINT|LOCATION|URL|URI|HOST|PORT"
    r"|ALGORITHM|ISSUER|AUDIENCE|PREFIX|LIFETIME)$",
    re.IGNORECASE,
)
_PLACEHOLDER_WORDS = re.compile(
    r"""^(?:
        change[-_ ]?me[\w-]* | changeit | replace[-_ ]?me[\w-]* | replace[-_ ]this[\w-]*
      | to[-_ ]?do | tbd | fixme | x{3,} | \*{3,} | \.{3}|…
      | (?:your|my|the)[-_ ]?\w[\w-]* | example[\w-]* | sample[\w-]* | dummy[\w-]*
      | fake[\w-]* | test | placeholder[\w-]* | redacted | secret | password | token
      | none | null | nil | undefined
      | set[-_ ]?me | insert[-_ ].* | put[-_ ].*[-_ ]here | .*[-_]here | n/?a
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_TEMPLATE = re.compile(
    r"^<[^<>]+>$|<[A-Za-z][A-Za-z0-9_. -]*>|\$\{[^}]*\}|^\$[A-Za-z_][A-Za-z0-9_]*$"
    r"|\{\{.*\}\}|\{%.*%\}|%\([^)]+\)[sd]"
    r"|^@[A-Za-z_]+@$|^__[A-Z0-9_]+__$|^\(\(.*\)\)$|^vault:|^secret:|^ENC\[|^!vault"
    r"|^\$ANSIBLE_VAULT|^arn:aws:secretsmanager:|^projects/[^/]+/secrets/|^op://|^sops:"
    # kumolint.parsers._yaml.TEMPLATE_FILLER: a blanked {{ ... }} of a Helm/Jinja template
    r"|\u2422"
)
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_EXAMPLE_HOST = re.compile(
    r"(^|\.)(example|yourdomain|your-domain|mydomain|domain)\.[a-z.]+$"
    r"|\.(example|test|invalid|localhost|local|internal)$|^localhost$|^example$",
    re.IGNORECASE,
)


def is_secret_name(name: str, extra: Iterable[str] = ()) -> bool:
    """Does the variable/key name say it holds a secret (or play a configured secret role)?"""
    if extra and name in set(extra):
        return True
    return bool(SECRET_NAME.search(name)) and not NOT_A_SECRET_NAME.search(name)


def is_placeholder(text: str) -> bool:
    """Empty, a template reference, or a word that stands for "fill this in"."""
    stripped = text.strip().strip("'\"")
    if not stripped:
        return True
    if _TEMPLATE.search(stripped):
        return True
    return bool(_PLACEHOLDER_WORDS.match(stripped))


def is_trivial(text: str) -> bool:
    """Too short or too plain to be a secret: a small number, a boolean, one repeated char."""
    stripped = text.strip()
    if stripped.lower() in {"true", "false", "yes", "no", "on", "off"}:
        return True
    if stripped.isdigit() and len(stripped) < 8:
        return True
    return len(set(stripped)) <= 2


def secret_kind(text: str) -> str:
    """How a non-placeholder value looks: a known format's name, "high-entropy", or "literal"."""
    known = known_format(text)
    if known:
        return known
    return "high-entropy" if is_high_entropy(text) else "literal"


# Something every detect-secrets pattern that `known_format` uses needs to match (one
# alternative per plugin pattern, same case rules): text with none of these cannot match any,
# so the import of detect-secrets (a third of a second) and its scan are skipped. Checked
# against the installed plugins by tests/test_values_known_format.py.
_VENDOR_SHAPE = re.compile(
    r"A3T|ABIA|ACCA|AKIA|ASIA"  # AWS access key id
    r"|AKC[a-zA-Z0-9]{10}|AP[\dA-F][a-zA-Z0-9]{8}"  # Artifactory
    r"|AccountKey="  # Azure storage
    r"|[\w-]\.[\w-]{6}\."  # Discord bot token
    r"|gh[pousr]_|gl[a-z]+-|GR1348941"  # GitHub, GitLab
    r"|eyJ|-us[0-9]|_authToken=|T3BlbkFJ|PRIVATE KEY|PuTTY-User-Key-File-2|pypi-AgE"
    r"|SG\.|sq0csp-|k_live_|\d:|AC[a-z0-9]{32}|SK[a-z0-9]{32}"
    r"|[0-9]\.[0-9]"  # public IPv4
    # keyword-anchored patterns (Cloudant, IBM, SoftLayer: a keyword, then `=`, `:` or a
    # space), AWS secret keys (need "aws") and Slack, any case; a bare random token has
    # no such separator, so it never pays for importing detect-secrets
    r"|(?i:aws|xox|slack|cloudant|softlayer"
    r"|(?:key|pwd?|pass(?:word)?|token)[\"'\]]{0,2}[ \t]*[=: \t])"
)


def known_format(text: str) -> str | None:
    """The name of the vendor format `text` matches, using detect-secrets' plugins (lazily)."""
    if text.startswith("-----BEGIN") and "PRIVATE KEY" in text:
        return "private key"
    if not _VENDOR_SHAPE.search(text):
        return None
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:  # pragma: no cover - detect-secrets is a dependency
        return None
    mapping: dict[str, Any] = get_mapping_from_secret_type_to_class()
    for secret_type, plugin_class in sorted(mapping.items()):
        if not issubclass(plugin_class, RegexBasedDetector):
            continue
        if secret_type in _WEAK_DETECT_SECRETS_TYPES:
            continue
        plugin = plugin_class()
        if any(pattern.search(text) for pattern in plugin.denylist):
            return str(secret_type)
    return None


_WEAK_DETECT_SECRETS_TYPES = frozenset({"Secret Keyword", "Basic Auth Credentials"})


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def is_high_entropy(text: str) -> bool:
    """Length-aware: a random token of n characters scores close to log2(min(n, alphabet))."""
    if len(text) < 16 or any(c.isspace() for c in text):
        return False
    alphabet = 16 if re.fullmatch(r"[0-9a-fA-F]+", text) else 64
    ceiling = math.log2(min(len(text), alphabet))
    return shannon_entropy(text) >= 0.8 * ceiling


def ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def is_documentation_ip(text: str) -> bool:
    address = ip_address(text)
    return address is not None and any(address in net for net in DOCUMENTATION_NETWORKS)


def is_public_ip(text: str) -> bool:
    """A global unicast address outside the documentation ranges."""
    address = ip_address(text)
    if address is None or is_documentation_ip(text):
        return False
    return address.is_global


def is_example_hostname(text: str) -> bool:
    host = text.strip().rstrip(".").lower()
    return bool(_EXAMPLE_HOST.search(host))


def hostname_of(text: str) -> str:
    """`https://user@host:443/x` -> `host`; a bare `host:5000` -> `host`."""
    rest = text.strip()
    if "://" in rest:
        rest = rest.split("://", 1)[1]
    rest = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    if rest.count(":") == 1:
        rest = rest.split(":", 1)[0]
    return rest


def is_real_deployment_value(text: str) -> bool:
    """A public IP or a real host name (not a placeholder, documentation IP or example name)."""
    if is_placeholder(text):
        return False
    host = hostname_of(text)
    if not host or is_placeholder(host):
        return False
    if ip_address(host) is not None:
        return is_public_ip(host)
    if "." not in host or is_example_hostname(host):
        return False
    return bool(re.fullmatch(r"[A-Za-z0-9.-]+", host))

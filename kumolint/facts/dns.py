"""Facts about DNS data declared in the repo: records, zone `$INCLUDE`s, and MTA hosts.

Every format (zone files, Terraform, DNSControl, octoDNS, Ansible) is normalised to
`DnsRecord`; the KL5xx rules never care which tool declared a record. Fields may be added
(with defaults); do not rename.
"""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span

# Variables that say where mail leaves from, or which name it says HELO with.
EGRESS_VARIABLES = frozenset(
    {"kumoproxy_public_ip", "proxy_public_ip", "egress_ip", "public_egress_ip"}
)
HELO_VARIABLES = frozenset({"kumoproxy_helo", "ehlo_domain", "helo_name"})


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """One resource record: `owner_fqdn` is lower case with the trailing dot.

    `rdata_text` is the presentation form of the data. For TXT and SPF records `txt` holds the
    character-strings joined with no separator (RFC 7208 section 3.3) and `strings` the
    strings themselves. `exact` is False when the data holds something kumolint cannot know
    (a Terraform variable, a Jinja expression): such a record exists, but its text is a guess.
    `relative_owner` is set when the owner was made absolute with an origin guessed from the
    file name, so a zone that `$INCLUDE`s this file can re-root it ("@" for the apex).
    """

    owner_fqdn: str
    type: str
    rdata_text: str
    span: Span
    source: str = "zone"  # "zone" | "terraform" | "dnscontrol" | "octodns" | "ansible"
    ttl: int | None = None
    txt: str | None = None
    strings: tuple[str, ...] = ()
    exact: bool = True
    relative_owner: str | None = None
    # Terraform: when not exact, the data / owner with NUL-delimited references
    # ("\0var.spf\0", "\0?\0" for anything else), and how the provider quotes TXT data.
    template: str | None = None
    owner_template: str | None = None
    quoting: str = ""


@dataclass(frozen=True, slots=True)
class ZoneInclude:
    """A `$INCLUDE file [origin]` line; the rules resolve `filename` against the repo files.

    `origin` is the origin the included records get: the directive's own, else the including
    file's origin at that line (None when that origin was only guessed).
    """

    filename: str
    origin: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class MtaHost:
    """A host of an inventory group named like kumomta/mta/proxy, with its `ansible_host`.

    `role` is "proxy" when the group or host name says proxy, else "mta".
    """

    name: str
    address: str
    group: str
    role: str
    span: Span


@dataclass(frozen=True, slots=True)
class InventoryValue:
    """A host or group variable of an inventory that names an egress IP or a HELO name.

    `variable` is the lower-case variable name (`kumoproxy_public_ip`, `kumoproxy_helo` ...);
    `host` is empty for a group variable.
    """

    variable: str
    value: str
    host: str
    group: str
    span: Span


@dataclass(frozen=True, slots=True)
class TerraformValue:
    """A literal a Terraform module defines: a variable's `default` or a `locals` entry.

    `reference` is how it is used (`var.spf_record`, `local.egress_ip`); `directory` is the
    module (the `.tf` file's directory). `values` holds one string, or the strings of a list.
    """

    directory: str
    reference: str
    values: tuple[str, ...]
    is_list: bool
    span: Span

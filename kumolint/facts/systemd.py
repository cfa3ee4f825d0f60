"""Facts from systemd unit files and drop-ins (and unit text embedded in other manifests)."""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span
from kumolint.model import Value


@dataclass(frozen=True, slots=True)
class UnitFile:
    """A unit file or drop-in. `unit` is the unit it configures ("" when the name is unknown)."""

    path: str
    unit: str  # "kumomta.service"; a drop-in names the unit of its `<unit>.d/` directory
    dropin: bool
    span: Span  # the first section header
    runs_kumod: bool = False  # an ExecStart= runs the kumod binary
    target: str = ""  # where the unit is installed, when it is embedded in another manifest


@dataclass(frozen=True, slots=True)
class UnitSetting:
    """One `Key=value` line of a unit, continuation lines joined. `span` points at the value."""

    unit: str
    section: str
    key: str
    value: Value  # may be a secret (Environment=, SetCredential=)
    span: Span
    key_span: Span


@dataclass(frozen=True, slots=True)
class EnvironmentFileRef:
    """`EnvironmentFile=[-]path`: systemd reads `path` as root before starting the service."""

    unit: str
    path: str  # without the `-` prefix
    optional: bool  # `-` prefix: a missing file is silently ignored
    span: Span

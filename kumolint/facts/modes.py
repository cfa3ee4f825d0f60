"""Facts about installed files and their effective modes, from packaging and deployment manifests.

Each manifest parser computes the mode a file will really have, with its tool's semantics and
defaults; the KL4xx rules judge it. Fields may be added (with defaults); do not rename.
"""

from __future__ import annotations

from dataclasses import dataclass

from kumolint.finding import Span


@dataclass(frozen=True, slots=True)
class InstalledFile:
    """A file a manifest installs (or changes the mode of) at `dest` on the target host."""

    dest: str  # absolute path on the target, e.g. "/etc/default/kumomta"
    mode: int | None  # effective permission bits, None when unknown
    mode_source: str  # "explicit" | "default" | "unknown"
    tool: str  # "install", "chmod", "ansible.builtin.copy", "rpm %files", "dh_fixperms" ...
    span: Span  # where the mode is set (or where the default applies)
    owner: str | None = None
    group: str | None = None
    default_reason: str = ""  # for "default": which default applied, said for the message
    raw_mode: str | None = None  # the mode as written, for messages ("644", "u=rw,o=r")
    source: str | None = None  # the repo file installed there, when known
    notifies: tuple[str, ...] = ()  # Ansible handlers notified by the task
    mode_note: str = ""  # a trap in how the mode is written ("unquoted 644 is decimal ...")
    secret_hint: str = ""  # the tool itself marks the content secret ("Kubernetes Secret")
    # Which bits of `mode` are known: a relative change (`chmod o+r`) of a file whose earlier
    # mode is unknown proves only the bits it names.
    known_bits: int = 0o7777
    owner_span: Span | None = None  # where owner/group were set, when not at `span`
    writes: bool = True  # the content is written here (False for chmod/chown-only facts)
    write_span: Span | None = None  # where the content is last written, when not at `span`


@dataclass(frozen=True, slots=True)
class ServiceRestart:
    """A place that restarts or reloads a service: a script line, a handler, a postinst."""

    unit: str  # "kumomta", "kumomta.service"
    action: str  # "restart" | "reload" | "try-restart" | "reload-or-restart" ...
    span: Span
    handler: str | None = None  # the Ansible handler name, when this is a handler

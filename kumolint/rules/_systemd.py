"""Which units are KumoMTA's: shared by the systemd rules."""

from __future__ import annotations

from kumolint.facts.systemd import UnitFile

KUMOMTA_UNIT_NAMES = frozenset({"kumomta", "kumod"})


def unit_base(unit: str) -> str:
    """`kumomta@a.service` -> `kumomta`; `kumod.service` -> `kumod`."""
    return unit.rpartition(".")[0].partition("@")[0] if "." in unit else unit


def is_kumomta_unit(unit: UnitFile) -> bool:
    """The unit (or drop-in) configures the KumoMTA daemon: by its name or its ExecStart=."""
    if unit.unit and not unit.unit.endswith(".service"):
        return False
    return unit_base(unit.unit) in KUMOMTA_UNIT_NAMES or unit.runs_kumod

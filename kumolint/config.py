"""Configuration: `[tool.kumolint]` in pyproject.toml or `.kumolint.toml` (same keys, no header).

Unknown keys and wrong types are errors that name the key and the file (exit 2).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kumolint.finding import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DEFAULT_ROLES: Mapping[str, tuple[str, ...]] = {
    "injection-token": ("PING8_INJECTION_TOKEN",),
    "webhook-token": ("PING8_WEBHOOK_TOKEN",),
    "webhook-url": ("PING8_WEBHOOK_URL",),
    "proxy-host": ("KUMOPROXY_HOST",),
    "proxy-port": ("KUMOPROXY_PORT",),
    "egress-ip": ("KUMOPROXY_PUBLIC_IP",),
    "helo": ("KUMOPROXY_HELO",),
}
DEFAULT_REQUIRED_ENV = (
    "PING8_WEBHOOK_TOKEN",
    "PING8_WEBHOOK_URL",
    "KUMOPROXY_HOST",
    "KUMOPROXY_PORT",
    "KUMOPROXY_PUBLIC_IP",
    "KUMOPROXY_HELO",
)
DEFAULT_SECRET_PATHS = (
    "/etc/default/kumomta",
    "/opt/kumomta/etc/*.env",
    "/opt/kumomta/etc/dkim/**",
    "*.key",
    "*.pem",
)
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
CONFIG_FILE = ".kumolint.toml"


class ConfigError(Exception):
    """A configuration problem; the message names the file and key, never a value's secret."""


@dataclass(frozen=True)
class RuleSettings:
    severity: Severity | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("KL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, RuleSettings] = field(default_factory=dict)
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    required_env: tuple[str, ...] = DEFAULT_REQUIRED_ENV
    secret_paths: tuple[str, ...] = DEFAULT_SECRET_PATHS
    mta_ips: tuple[str, ...] = ()
    egress_ips: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    source: str = "defaults"

    def is_enabled(self, rule_id: str) -> bool:
        """Longest matching prefix wins; on a tie, ignore wins."""
        selected = _longest_prefix(rule_id, (*self.select, *self.extend_select))
        ignored = _longest_prefix(rule_id, self.ignore)
        return selected > ignored

    def is_excluded(self, path: str) -> bool:
        return any(_glob_match(path, glob) for glob in self.exclude)

    def ignored_in(self, path: str, rule_id: str) -> bool:
        return any(
            _glob_match(path, glob) and any(rule_id.startswith(code) for code in codes)
            for glob, codes in self.per_file_ignores.items()
        )

    def role_names(self, role: str) -> tuple[str, ...]:
        return self.roles.get(role, ())

    def with_overrides(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The config for `root`: `explicit` if given, else `.kumolint.toml`, else pyproject.toml."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        table = _read(explicit)
        if explicit.name == "pyproject.toml":
            table = table.get("tool", {}).get("kumolint", {})
        return parse_config(table, str(explicit))
    local = root / CONFIG_FILE
    if local.is_file():
        return parse_config(_read(local), str(local))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read(pyproject).get("tool", {}).get("kumolint")
        if table is not None:
            return parse_config(table, f"{pyproject} [tool.kumolint]")
    return Config()


def parse_config(table: Mapping[str, Any], source: str) -> Config:
    reader = _Reader(table, source)
    config = Config(
        select=reader.codes("select", Config.select),
        ignore=reader.codes("ignore", ()),
        extend_select=reader.codes("extend-select", ()),
        fail_on=reader.severity("fail-on", Severity.WARNING),
        exclude=reader.strings("exclude", ()),
        per_file_ignores=reader.per_file_ignores(),
        rules=reader.rules(),
        roles=reader.roles(),
        required_env=reader.strings("required-env", DEFAULT_REQUIRED_ENV),
        secret_paths=reader.strings("secret-paths", DEFAULT_SECRET_PATHS),
        mta_ips=reader.ips("mta-ips"),
        egress_ips=reader.ips("egress-ips"),
        max_file_size=reader.positive_int("max-file-size", DEFAULT_MAX_FILE_SIZE),
        source=source,
    )
    reader.reject_unknown()
    return config


def rule_options(
    options_type: type[Any], settings: RuleSettings, rule_id: str, source: str = "config"
) -> Any:
    """Build a rule's Options dataclass from its config table, checking names and types."""
    hints = typing.get_type_hints(options_type)
    names = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(options_type)}
    values: dict[str, Any] = {}
    for key, value in settings.options.items():
        if key not in names:
            raise ConfigError(f"{source}: rules.{rule_id}: unknown option {key!r}")
        expected = hints[names[key]]
        values[names[key]] = _coerce(value, expected, f"{source}: rules.{rule_id}.{key}")
    return options_type(**values)


def _coerce(value: Any, expected: Any, where: str) -> Any:
    origin = typing.get_origin(expected)
    if origin is tuple:
        (item_type, *_) = typing.get_args(expected)
        if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
            raise ConfigError(f"{where}: expected a list of {item_type.__name__}")
        return tuple(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {expected.__name__}")
    return value


class _Reader:
    KNOWN = frozenset(
        {
            "select",
            "ignore",
            "extend-select",
            "fail-on",
            "exclude",
            "per-file-ignores",
            "rules",
            "roles",
            "required-env",
            "secret-paths",
            "mta-ips",
            "egress-ips",
            "max-file-size",
        }
    )

    def __init__(self, table: Mapping[str, Any], source: str) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: expected a table")
        self.table = table
        self.source = source

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}")

    def reject_unknown(self) -> None:
        for key in self.table:
            if key not in self.KNOWN:
                raise self.error(key, "unknown key")

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.table.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of strings")
        return tuple(value)

    def codes(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        codes = self.strings(key, default)
        for code in codes:
            if not _is_code_prefix(code):
                raise self.error(key, f"{code!r} is not a rule code or prefix like KL1 or KL101")
        return codes

    def severity(self, key: str, default: Severity) -> Severity:
        value = self.table.get(key, default.value)
        try:
            return Severity(value)
        except ValueError:
            raise self.error(key, "expected one of error, warning, note") from None

    def positive_int(self, key: str, default: int) -> int:
        value = self.table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.error(key, "expected a positive integer")
        return value

    def ips(self, key: str) -> tuple[str, ...]:
        import ipaddress

        values = self.strings(key, ())
        for number, value in enumerate(values, start=1):
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                # The value is not echoed: a config error must not print what was pasted there.
                raise self.error(key, f"entry {number} is not an IP address or network") from None
        return values

    def per_file_ignores(self) -> dict[str, tuple[str, ...]]:
        value = self.table.get("per-file-ignores", {})
        if not isinstance(value, Mapping):
            raise self.error("per-file-ignores", "expected a table of glob = [codes]")
        result: dict[str, tuple[str, ...]] = {}
        for glob, codes in value.items():
            if not isinstance(codes, list) or not all(
                isinstance(c, str) and _is_code_prefix(c) for c in codes
            ):
                raise self.error(f"per-file-ignores.{glob}", "expected a list of rule codes")
            result[glob] = tuple(codes)
        return result

    def roles(self) -> dict[str, tuple[str, ...]]:
        value = self.table.get("roles", {})
        if not isinstance(value, Mapping):
            raise self.error("roles", "expected a table of role = [variable names]")
        roles = dict(DEFAULT_ROLES)
        for role, names in value.items():
            if role not in DEFAULT_ROLES:
                known = ", ".join(DEFAULT_ROLES)
                raise self.error(f"roles.{role}", f"unknown role (known: {known})")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise self.error(f"roles.{role}", "expected a list of variable names")
            roles[role] = tuple(names)
        return roles

    def rules(self) -> dict[str, RuleSettings]:
        value = self.table.get("rules", {})
        if not isinstance(value, Mapping):
            raise self.error("rules", "expected a table of rule id = { ... }")
        result: dict[str, RuleSettings] = {}
        for rule_id, settings in value.items():
            if not _is_code_prefix(rule_id) or len(rule_id) != 5:
                raise self.error(f"rules.{rule_id}", "expected a rule id like KL101")
            if not isinstance(settings, Mapping):
                raise self.error(f"rules.{rule_id}", "expected a table")
            options = dict(settings)
            severity = None
            if "severity" in options:
                try:
                    severity = Severity(options.pop("severity"))
                except ValueError:
                    raise self.error(
                        f"rules.{rule_id}.severity", "expected one of error, warning, note"
                    ) from None
            result[rule_id] = RuleSettings(severity, options)
        return result


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            table: dict[str, Any] = tomllib.load(handle)
            return table
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None


def _is_code_prefix(code: str) -> bool:
    return code.startswith("KL") and (code[2:] == "" or code[2:].isdigit()) and len(code) <= 5


def _longest_prefix(rule_id: str, codes: tuple[str, ...]) -> int:
    return max((len(c) for c in codes if rule_id.startswith(c)), default=-1)


def _glob_match(path: str, glob: str) -> bool:
    if glob.endswith("/**"):
        return path.startswith(glob[:-2]) or fnmatch.fnmatch(path, glob)
    return fnmatch.fnmatch(path, glob) or (
        "/" not in glob and fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)
    )

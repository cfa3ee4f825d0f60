"""Nginx coverage across files: which locations reach KumoMTA, and what protects them.

A location "reaches the KumoMTA listener" when its `proxy_pass` goes (directly or through an
`upstream` block anywhere in the repo) to loopback or a configured MTA address on the
listener port (8000, or a port the policy's `start_http_listener` sets), or to a host whose
name says kumo (`kumod`, `kumomta` services). A location is authenticated when an `if` that
returns a 4xx status tests `$http_authorization` or a variable derived from it through `map`
or a flag `set` inside such an `if` (in any file: maps usually live in `conf.d`), or when
`auth_request` is on. `include` snippets found in the repo add their checks and headers.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from kumolint.facts.lua import HttpListener
from kumolint.facts.nginx import NginxFlag, NginxLocation, NginxMap, NginxUpstream
from kumolint.model import RepoModel

DEFAULT_LISTENER_PORT = 8000
_PORT = re.compile(r":(\d+)$")


@dataclass(frozen=True)
class Effective:
    """A location with its included snippets applied."""

    location: NginxLocation
    guards: frozenset[str]
    auth_request: bool
    auth_header: str | None


def kumomta_locations(model: RepoModel, extra: tuple[str, ...] = ()) -> Iterator[Effective]:
    """Every (non-snippet) location whose `proxy_pass` reaches the KumoMTA listener."""
    upstreams: dict[str, list[str]] = {}
    for upstream in model.of(NginxUpstream):
        upstreams.setdefault(upstream.name, []).extend(upstream.servers)
    ports = listener_ports(model)
    snippets: dict[str, list[NginxLocation]] = {}
    for snippet in model.of(NginxLocation):
        if snippet.snippet:
            snippets.setdefault(snippet.span.path.rpartition("/")[2], []).append(snippet)
    for location in model.of(NginxLocation):
        if location.snippet or not location.proxy_pass:
            continue
        if reaches_kumomta(location.proxy_pass, upstreams, ports, model.config.mta_ips, extra):
            yield effective(location, snippets)


def listener_ports(model: RepoModel) -> frozenset[int]:
    ports = {DEFAULT_LISTENER_PORT}
    for listener in model.of(HttpListener):
        source = listener.listen
        text = source.value.text if source is not None and source.value is not None else ""
        match = _PORT.search(text.strip())
        if match:
            ports.add(int(match[1]))
    return frozenset(ports)


def reaches_kumomta(
    target: str,
    upstreams: dict[str, list[str]],
    ports: frozenset[int],
    mta_ips: tuple[str, ...],
    extra: tuple[str, ...] = (),
) -> bool:
    address = re.sub(r"^[a-z]+://", "", target.strip(), flags=re.IGNORECASE).split("/", 1)[0]
    if address in upstreams:
        return any(_is_listener(s, ports, mta_ips, extra) for s in upstreams[address])
    return _is_listener(address, ports, mta_ips, extra)


def auth_variables(model: RepoModel) -> frozenset[str]:
    """`$http_authorization` and every variable derived from it (maps, flags), repo-wide."""
    derived_from: dict[str, list[str]] = {}
    for item in model.of(NginxMap):
        derived_from.setdefault(item.source, []).append(item.output)
    for flag in model.of(NginxFlag):
        for tested in flag.tested:
            derived_from.setdefault(tested, []).append(flag.variable)
    found = {"$http_authorization"}
    work = ["$http_authorization"]
    while work:
        for output in derived_from.get(work.pop(), ()):
            if output not in found:
                found.add(output)
                work.append(output)
    return frozenset(found)


def effective(location: NginxLocation, snippets: dict[str, list[NginxLocation]]) -> Effective:
    """`location` with the snippets its includes name (`snippets` is keyed by file name)."""
    guards = set(location.guards)
    auth_request = location.auth_request
    auth_header = location.auth_header
    for include in location.includes:
        name = include.rpartition("/")[2]
        if any(c in name for c in "*?["):
            candidates = [s for group in snippets.values() for s in group]
        else:
            candidates = snippets.get(name, [])
        for snippet in candidates:
            if included(include, snippet.span.path):
                guards.update(snippet.guards)
                auth_request = auth_request or snippet.auth_request
                auth_header = auth_header or snippet.auth_header
    return Effective(location, frozenset(guards), auth_request, auth_header)


def included(include: str, path: str) -> bool:
    """Does `include <arg>` (as written on the server) name this repo file?

    The arg is an absolute server path or relative to the nginx prefix; the repo keeps the
    file somewhere else, so the last two path components (or one, if that is all) decide.
    """
    parts = [p for p in include.split("/") if p]
    if not parts:
        return False
    tail = "/".join(parts[-2:])
    return fnmatch.fnmatch(f"/{path}", f"*/{tail}")


def _is_listener(
    address: str, ports: frozenset[int], mta_ips: tuple[str, ...], extra: tuple[str, ...]
) -> bool:
    if address in extra:
        return True
    host, port = _split(address)
    if "kumo" in host.lower():
        return True
    if port not in ports:
        return False
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or any(ip in ipaddress.ip_network(n, strict=False) for n in mta_ips if n)


def _split(address: str) -> tuple[str, int | None]:
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.lstrip(":")
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    else:
        host, port = address, ""
    return host, int(port) if port.isdigit() else None

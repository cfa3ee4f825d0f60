"""Policy analysis speed: Lua parse + KL2xx rules, in ms per 1,000 lines (one core, in process).

    python3 bench/lua_bench.py [--runs 7]

Two generated inputs: one 2,000-line policy, and 200 policy files (Lua plus helper TOML) of
mixed size. Each is timed as "parse" (every file through its parsers: Lua, helper data, and
the PEM piggyback, as the scanner does) and "rules" (KL201-KL207 over the model); the median
of `--runs` runs is reported. The process is pinned to one CPU when the OS allows it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kumolint.config import Config
from kumolint.model import RepoFile, RepoModel
from kumolint.parsers import load_parsers, parsers_for
from kumolint.registry import load_rules

NAMES = ("WEBHOOK", "PROXY", "EGRESS", "RELAY", "TRACKING", "ARCHIVE", "BOUNCE", "METRICS")


def policy_block(rng: random.Random, i: int) -> list[str]:
    """About 40 lines of the things a KumoMTA policy does, with some mistakes."""
    name = f"{rng.choice(NAMES)}_{i}"
    fallback = rng.choice(("", " or 'default-" + str(i) + "'", " or error('unset')"))
    return [
        f"local {name}_URL = assert(os.getenv('{name}_URL'), '{name}_URL must be set')",
        f"local {name}_TOKEN = os.getenv('{name}_TOKEN'){fallback}",
        f"local {name}_HOST = os.getenv '{name}_HOST' or '10.0.{i % 250}.1'",
        f"local {name}_SETTINGS = {{ retries = {i % 5}, timeout = '{i % 60}s', tag = 'b{i}' }}",
        "log_hooks:new {",
        f"  name = 'hook-{i}',",
        "  log_parameters = { headers = { 'Subject', 'X-Customer-ID' } },",
        "  constructor = function(domain, tenant, campaign)",
        "    local client = kumo.http.build_client { timeout = '30s' }",
        "    local sender = {}",
        "    function sender:send(message)",
        f"      local response = client:post({name}_URL)",
        "        :header('Content-Type', 'application/json')",
        f"        :header('Authorization', 'Bearer ' .. {name}_TOKEN)",
        "        :body(message:get_data())",
        "        :send()",
        "      if response:status_is_success() then",
        "        return response:status_reason()",
        "      end",
        "      kumo.reject(500, response:status_reason())",
        "    end",
        "    return sender",
        "  end,",
        "}",
        f"kumo.on('get_egress_source', function(source_name) -- block {i}",
        f"  if source_name ~= 'src-{i}' then return nil end",
        "  return kumo.make_egress_source {",
        "    name = source_name,",
        f"    socks5_proxy_server = {name}_HOST .. ':5000',",
        f"    socks5_proxy_source_address = '203.0.113.{i % 250}',",
        f"    ehlo_domain = 'mta{i}.example.com',",
        "  }",
        "end)",
        f"kumo.on('get_egress_path_config', function(domain, source, site) -- {i}",
        "  return kumo.make_egress_path {",
        f"    connection_limit = {1 + i % 20},",
        "    smtp_auth_plain_password = { vault_mount = 'secret', vault_path = 'relay' },",
        "  }",
        "end)",
        "",
    ]


def policy(rng: random.Random, lines: int, start: int = 0) -> str:
    out = [
        "local kumo = require 'kumo'",
        "local log_hooks = require 'policy-extras.log_hooks'",
        "kumo.on('init', function()",
        "  kumo.start_http_listener { listen = '127.0.0.1:8000', trusted_hosts = { '::1' } }",
        "end)",
    ]
    i = start
    while len(out) < lines:
        out.extend(policy_block(rng, i))
        i += 1
    return "\n".join(out[:lines]) + "\n"


def sources_toml(rng: random.Random, count: int) -> str:
    out = []
    for i in range(count):
        out += [
            f'[source."ip-{i}"]',
            'socks5_proxy_server = "127.0.0.1:5000"',
            f'socks5_proxy_source_address = "203.0.113.{rng.randrange(1, 250)}"',
            f'ehlo_domain = "mta{i}.example.com"',
            "",
        ]
    return "\n".join(out) + "\n"


def corpus(seed: int) -> tuple[dict[str, str], dict[str, str]]:
    rng = random.Random(seed)
    single = {"policy/init.lua": policy(rng, 2000)}
    many: dict[str, str] = {}
    for n in range(200):
        if n % 10 == 9:
            many[f"policy/site{n}/sources.toml"] = sources_toml(rng, rng.randrange(5, 40))
        else:
            size = rng.randrange(40, 400)
            many[f"policy/site{n}/init.lua"] = policy(rng, size, start=n * 100)
    return single, many


PARSERS = load_parsers()  # once per run, as the scanner does


def parse_all(files: dict[str, str]) -> list[Any]:
    parsers = PARSERS
    facts: list[Any] = []
    for path, text in files.items():
        for chosen in parsers_for(path, parsers):
            facts.extend(chosen.parse(path, text))
    return facts


def run_rules(facts: list[Any], files: dict[str, str]) -> int:
    rules = {k: v for k, v in load_rules().items() if k.startswith("KL2")}
    model = RepoModel.build(Config(), [RepoFile(p) for p in files], facts)
    count = 0
    for rule in rules.values():
        count += sum(1 for _ in rule.check(model, rule.options()))
    return count


def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median CPU time of this process (robust to other load on the machine), and wall time."""
    cpu, wall = [], []
    for _ in range(runs):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        action()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    single, many = corpus(args.seed)
    start = time.perf_counter()
    parse_all({"warmup.lua": "local x = 1\n"})  # imports tree-sitter and builds the parser
    print(f"first parse (imports + parser build): {(time.perf_counter() - start) * 1000:.1f} ms")
    print(f"median of {args.runs} runs, one core, in process; CPU = time.process_time()")
    for label, files in (("2,000-line policy", single), ("200 policy files", many)):
        lines = sum(text.count("\n") for text in files.values())
        facts = parse_all(files)
        findings = run_rules(facts, files)

        def parse_files(files: dict[str, str] = files) -> None:
            parse_all(files)

        def check(facts: list[Any] = facts, files: dict[str, str] = files) -> None:
            run_rules(facts, files)

        parse_cpu, parse_wall = median_ms(parse_files, args.runs)
        rules_cpu, rules_wall = median_ms(check, args.runs)
        per_k = (parse_cpu + rules_cpu) / lines * 1000
        print(
            f"{label}: {len(files)} files, {lines} lines, {len(facts)} facts, {findings} findings"
        )
        print(
            f"  CPU: parse {parse_cpu:.1f} ms + rules {rules_cpu:.1f} ms"
            f" = {per_k:.2f} ms per 1,000 lines (target <= 15)"
        )
        print(f"  wall: parse {parse_wall:.1f} ms + rules {rules_wall:.1f} ms")


if __name__ == "__main__":
    main()

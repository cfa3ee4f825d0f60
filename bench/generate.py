"""Generate a deterministic synthetic deployment repository for benchmarks.

    python3 bench/generate.py OUT_DIR [--files 300] [--seed 7] [--blob-kib 0]
                              [--relevant-every 3] [--blob-every 10]

One file in `--relevant-every` (default: a third) is relevant to kumolint (env files,
policies, Nginx, Ansible, zones, Dockerfiles, scripts); the rest are documentation, code
and (optionally) binary blobs that kumolint never opens. The result is committed to a fresh git
repository so discovery goes through `git ls-files`, as it does for users.
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
from collections.abc import Callable
from pathlib import Path


def _token(rng: random.Random, n: int = 32) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def env_file(rng: random.Random, i: int) -> tuple[str, str]:
    body = (
        f"PING8_WEBHOOK_TOKEN={'<PING8_WEBHOOK_TOKEN>' if i % 3 else _token(rng)}\n"
        "PING8_WEBHOOK_URL=https://app.yourdomain.com/api/kumo/events\n"
        "KUMOPROXY_HOST=proxy.yourdomain.com\nKUMOPROXY_PORT=5000\n"
        f"KUMOPROXY_PUBLIC_IP=203.0.113.{i % 250}\nKUMOPROXY_HELO=proxy.yourdomain.com\n"
    )
    return f"deploy/site{i}/kumomta.env", body


def policy(rng: random.Random, i: int) -> tuple[str, str]:
    lines = [
        "local kumo = require 'kumo'",
        "local TOKEN = assert(os.getenv('PING8_WEBHOOK_TOKEN'),",
        "  'PING8_WEBHOOK_TOKEN must be set')",
        "kumo.on('init', function()",
        "  kumo.start_http_listener {",
        "    listen = '127.0.0.1:8000', trusted_hosts = { '127.0.0.1' } }",
        "end)",
    ]
    for n in range(rng.randint(40, 120)):
        lines.append(f"kumo.on('get_queue_config_{n}', function(domain, tenant, campaign)")
        lines.append(f"  return kumo.make_queue_config {{ max_age = '{n + 1}h' }}")
        lines.append("end)")
    return f"policy/site{i}/init.lua", "\n".join(lines) + "\n"


def nginx(rng: random.Random, i: int) -> tuple[str, str]:
    return f"nginx/site{i}.conf", (
        "map $http_authorization $ok {\n    default 0;\n"
        '    "Bearer ${PING8_INJECTION_TOKEN}" 1;\n}\n'
        "server {\n    listen 443 ssl;\n    location = /api/inject/v1 {\n"
        '        if ($ok = 0) { return 401; }\n        proxy_set_header Authorization "";\n'
        "        proxy_pass http://127.0.0.1:8000;\n    }\n}\n"
    )


def ansible(rng: random.Random, i: int) -> tuple[str, str]:
    mode = rng.choice(['"0600"', '"0644"', "0600", '"u=rw,g=,o="'])
    return f"ansible/roles/site{i}/tasks/main.yml", (
        "- name: env file\n  ansible.builtin.template:\n    src: kumomta.env.j2\n"
        f"    dest: /etc/default/kumomta\n    owner: root\n    group: root\n    mode: {mode}\n"
        "  notify: restart kumomta\n"
    )


def zone(rng: random.Random, i: int) -> tuple[str, str]:
    return f"dns/site{i}.example.zone", (
        f"$ORIGIN site{i}.example.\n$TTL 3600\n"
        "@ IN SOA ns1 hostmaster ( 1 7200 900 1209600 3600 )\n  IN NS ns1\nns1 IN A 192.0.2.1\n"
        f'@ IN TXT "v=spf1 ip4:203.0.113.{i % 250} -all"\n'
    )


def dockerfile(rng: random.Random, i: int) -> tuple[str, str]:
    return f"docker/site{i}/Dockerfile", (
        "FROM debian:bookworm\nCOPY --chmod=0600 kumomta.env /etc/default/kumomta\n"
        "RUN install -m 0640 -o root -g kumod dkim.key /opt/kumomta/etc/dkim/example.key\n"
    )


def script(rng: random.Random, i: int) -> tuple[str, str]:
    return f"scripts/deploy{i}.sh", (
        "#!/bin/sh\nset -eu\ninstall -m 0600 kumomta.env /etc/default/kumomta\n"
        "systemctl restart kumomta\n"
    )


def markdown(rng: random.Random, i: int) -> tuple[str, str]:
    words = " ".join(rng.choice(["mail", "proxy", "queue", "token", "egress"]) for _ in range(400))
    return f"docs/page{i}.md", f"# Page {i}\n\n{words}\n"


def python(rng: random.Random, i: int) -> tuple[str, str]:
    body = "\n".join(f"def f{n}(x):\n    return x * {n}\n" for n in range(rng.randint(20, 80)))
    return f"tools/mod{i}.py", body


RELEVANT: tuple[Callable[[random.Random, int], tuple[str, str]], ...] = (
    env_file,
    policy,
    nginx,
    ansible,
    zone,
    dockerfile,
    script,
)
IRRELEVANT = (markdown, python)


def generate(
    out: Path,
    files: int,
    seed: int,
    blob_kib: int,
    *,
    relevant_every: int = 3,
    blob_every: int = 10,
) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        relevant = i % relevant_every == 0
        kind = i // relevant_every
        make = RELEVANT[kind % len(RELEVANT)] if relevant else IRRELEVANT[i % 2]
        path, text = make(rng, i)
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if blob_kib and i % blob_every == 1:
            (out / f"assets/blob{i}.bin").parent.mkdir(exist_ok=True)
            (out / f"assets/blob{i}.bin").write_bytes(rng.randbytes(blob_kib * 1024))
    git = ["git", "-c", "user.email=bench@example.invalid", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], cwd=out, check=True)
    subprocess.run([*git, "add", "."], cwd=out, check=True)
    subprocess.run([*git, "commit", "-qm", "generated"], cwd=out, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--blob-kib", type=int, default=0)
    parser.add_argument("--relevant-every", type=int, default=3, help="1 in N files is relevant")
    parser.add_argument("--blob-every", type=int, default=10, help="a blob beside 1 in N files")
    args = parser.parse_args()
    generate(
        args.out,
        args.files,
        args.seed,
        args.blob_kib,
        relevant_every=args.relevant_every,
        blob_every=args.blob_every,
    )


if __name__ == "__main__":
    main()

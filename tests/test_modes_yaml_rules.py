"""KL401/KL402/KL403/KL406 over the YAML-based manifests, end to end: tiny repos, one rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from kumolint.finding import Finding
from tests.conftest import RULES, lint, write_tree

TASKS = "roles/kumomta/tasks/main.yml"
HANDLERS = "roles/kumomta/handlers/main.yml"
RESTART_HANDLER = (
    "- name: restart kumomta\n  ansible.builtin.service:\n    name: kumomta\n"
    "    state: restarted\n"
)


def run(tmp_path: Path, rule_id: str, files: dict[str, str]) -> list[Finding]:
    write_tree(tmp_path, dict[str, str | bytes](files))
    return lint(tmp_path, {rule_id: RULES[rule_id]})


def ansible_env_task(mode_line: str, extra: str = "") -> str:
    return (
        "- name: install the env file\n  ansible.builtin.template:\n"
        "    src: kumomta.env.j2\n    dest: /etc/default/kumomta\n"
        f"    owner: root\n    group: root\n{mode_line}{extra}"
        "  notify: restart kumomta\n"
    )


# --- KL401: an explicit mode that lets others read a secret -------------------------------


@pytest.mark.parametrize(
    ("path", "text", "fires"),
    (
        (TASKS, ansible_env_task("    mode: 0644\n"), True),
        (TASKS, ansible_env_task("    mode: '0644'\n"), True),
        (TASKS, ansible_env_task("    mode: u=rw,g=r,o=r\n"), True),
        (TASKS, ansible_env_task("    mode: 644\n"), True),  # decimal: 0o1204, o+r
        (TASKS, ansible_env_task("    mode: 600\n"), False),  # decimal: 0o1130, no o+r
        (TASKS, ansible_env_task("    mode: '0600'\n"), False),
        (TASKS, ansible_env_task('    mode: "{{ env_mode }}"\n'), False),  # unknown
        (TASKS, ansible_env_task("    mode: o-rwx\n"), False),  # clears the other bits
        (TASKS, "- copy: src=kumomta.env dest=/etc/default/kumomta mode=0644\n", True),
        (
            "salt/kumomta/init.sls",
            "/etc/default/kumomta:\n  file.managed:\n    - mode: 644\n",
            True,
        ),
        (
            "salt/kumomta/init.sls",
            "/etc/default/kumomta:\n  file.managed:\n    - mode: 600\n",
            False,
        ),
        (
            "cloud/user-data",
            "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n"
            "    permissions: '0644'\n",
            True,
        ),
        (
            "packaging/nfpm.yaml",
            "name: kumo\ncontents:\n  - src: kumomta.env\n    dst: /etc/default/kumomta\n"
            "    file_info:\n      mode: 0644\n",
            True,
        ),
        (
            "packaging/nfpm.yaml",
            "name: kumo\ncontents:\n  - src: kumomta.env\n    dst: /etc/default/kumomta\n"
            "    file_info:\n      mode: 0600\n",
            False,
        ),
        (
            "docker-compose.yml",
            "services:\n  kumod:\n    secrets:\n      - source: token\n        mode: 0444\n"
            "secrets:\n  token:\n    environment: TOKEN\n",
            True,
        ),
        (
            "k8s/kumod.yaml",
            "spec:\n  containers:\n    - volumeMounts:\n"
            "        - {name: keys, mountPath: /opt/kumomta/etc/dkim}\n"
            "  volumes:\n    - name: keys\n      secret: {secretName: dkim, defaultMode: 0644}\n",
            True,
        ),
        (
            "k8s/kumod.yaml",
            "spec:\n  containers:\n    - volumeMounts:\n"
            "        - {name: keys, mountPath: /opt/kumomta/etc/dkim}\n"
            "  volumes:\n    - name: keys\n      secret: {secretName: dkim, defaultMode: 0440}\n",
            False,
        ),
    ),
)
def test_kl401(tmp_path: Path, path: str, text: str, fires: bool) -> None:
    findings = run(tmp_path, "KL401", {path: text})
    assert [f.span.path for f in findings] == ([path] if fires else [])


def test_kl401_message_names_mode_tool_and_the_decimal_trap(tmp_path: Path) -> None:
    (finding,) = run(tmp_path, "KL401", {TASKS: ansible_env_task("    mode: 644\n")})
    assert finding.span.line == 7
    assert "1204" in finding.message
    assert "ansible.builtin.template" in finding.message
    assert "decimal" in finding.message


def test_kl401_public_keyring_is_fine(tmp_path: Path) -> None:
    task = "- copy: {src: kumomta.gpg, dest: /usr/share/keyrings/kumomta.gpg, mode: '0644'}\n"
    assert run(tmp_path, "KL401", {TASKS: task}) == []


# --- KL402: no mode, and the tool's default leaves the secret readable -------------------


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    (
        (TASKS, ansible_env_task(""), "0666 & ~umask"),
        (TASKS, ansible_env_task("    mode: preserve\n"), "preserve"),
        (
            TASKS,
            "- lineinfile: {path: /etc/default/kumomta, line: 'A=1', create: true}\n",
            "lineinfile",
        ),
        (
            "salt/init.sls",
            "/etc/default/kumomta:\n  file.managed:\n    - source: salt://x\n",
            "umask",
        ),
        ("salt/init.sls", "/etc/default/kumomta:\n  file.managed:\n    - mode: keep\n", "keep"),
        (
            "cloud/user-data",
            "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n",
            "0644",
        ),
        (
            "cloud/user-data",
            "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n    permissions: u=rw\n",
            "cannot read",
        ),
        ("nfpm.yaml", "contents:\n  - {src: a.env, dst: /opt/kumomta/etc/kumod.env}\n", "umask"),
        (
            "compose.yaml",
            "services:\n  kumod:\n    secrets: [token]\nsecrets:\n  token: {file: ./token}\n",
            "0444",
        ),
        (
            "charts/kumomta/values.yaml",
            "volumeMounts:\n  - {name: env, mountPath: /etc/kumo-secrets}\n"
            "volumes:\n  - {name: env, secret: {secretName: kumo-env}}\n",
            "defaultMode 0644",
        ),
    ),
)
def test_kl402(tmp_path: Path, path: str, text: str, reason: str) -> None:
    (finding,) = run(tmp_path, "KL402", {path: text})
    assert finding.span.path == path
    assert reason in finding.message


@pytest.mark.parametrize(
    "text",
    (
        ansible_env_task("    mode: '0600'\n"),
        "- lineinfile: {path: /etc/default/kumomta, line: 'A=1'}\n",  # keeps the existing mode
        "- hosts: mta\n  module_defaults:\n    ansible.builtin.template: {mode: '0600'}\n"
        "  tasks:\n    - template: {src: a.j2, dest: /etc/default/kumomta}\n",
        "- template: {src: nginx.conf.j2, dest: /etc/nginx/nginx.conf}\n",  # not a secret
    ),
)
def test_kl402_near_misses(tmp_path: Path, text: str) -> None:
    assert run(tmp_path, "KL402", {TASKS: text}) == []


# --- KL403: the env file's owner and group --------------------------------------------


def test_kl403_owner_and_group_read(tmp_path: Path) -> None:
    task = (
        "- copy: {src: kumomta.env, dest: /etc/default/kumomta, owner: kumod, group: kumod,"
        " mode: '0640'}\n"
        "- copy: {src: kumod.env, dest: /opt/kumomta/etc/kumod.env, owner: root, group: root,"
        " mode: '0600'}\n"
    )
    findings = run(tmp_path, "KL403", {TASKS: task})
    assert [f.span.line for f in findings] == [1, 1]
    assert any("owner kumod" in f.message for f in findings)
    assert any("group may read" in f.message for f in findings)


def test_kl403_cloud_init_owner(tmp_path: Path) -> None:
    text = (
        "#cloud-config\nwrite_files:\n  - path: /etc/default/kumomta\n"
        "    owner: kumod:kumod\n    permissions: '0600'\n"
    )
    (finding,) = run(tmp_path, "KL403", {"user-data": text})
    assert "owner kumod" in finding.message


# --- KL406: written without a restart ---------------------------------------------------


def test_kl406_notify_with_a_kumomta_handler_is_fine(tmp_path: Path) -> None:
    files = {TASKS: ansible_env_task("    mode: '0600'\n"), HANDLERS: RESTART_HANDLER}
    assert run(tmp_path, "KL406", files) == []


def test_kl406_fires_without_notify_or_with_an_unrelated_handler(tmp_path: Path) -> None:
    tasks = (
        "- copy: {src: kumomta.env, dest: /etc/default/kumomta, mode: '0600'}\n"
        "- copy: {src: kumod.env, dest: /opt/kumomta/etc/kumod.env, mode: '0600'}\n"
        "  notify: reload nginx\n"
        "- file: {path: /etc/default/kumomta, mode: '0600'}\n"  # chmod only: not a write
    )
    handlers = "- name: reload nginx\n  service: {name: nginx, state: reloaded}\n"
    findings = run(tmp_path, "KL406", {TASKS: tasks, HANDLERS: handlers})
    assert [f.span.line for f in findings] == [1, 2]


def test_kl406_handler_listen_topic_counts(tmp_path: Path) -> None:
    tasks = "- copy: {src: a, dest: /etc/default/kumomta, mode: '0600'}\n  notify: kumo env\n"
    handlers = "- name: bounce\n  listen: kumo env\n  shell: systemctl restart kumomta\n"
    assert run(tmp_path, "KL406", {TASKS: tasks, HANDLERS: handlers}) == []


def test_kl406_salt_watch_in(tmp_path: Path) -> None:
    watched = (
        "/etc/default/kumomta:\n  file.managed:\n    - mode: 600\n    - watch_in:\n"
        "      - service: kumomta\n"
        "kumomta:\n  service.running: []\n"
    )
    assert run(tmp_path, "KL406", {"salt/kumo.sls": watched}) == []
    unwatched = "/etc/default/kumomta:\n  file.managed:\n    - mode: 600\n"
    (finding,) = run(tmp_path, "KL406", {"salt/kumo.sls": unwatched})
    assert finding.span.line == 3


def test_kl406_ignores_container_mounts(tmp_path: Path) -> None:
    text = (
        "spec:\n  containers:\n    - volumeMounts:\n"
        "        - {name: env, mountPath: /etc/default/kumomta, subPath: env}\n"
        "  volumes:\n    - {name: env, secret: {secretName: kumo, defaultMode: 0400}}\n"
    )
    assert run(tmp_path, "KL406", {"k8s/pod.yaml": text}) == []


def test_kl401_loop_item_mode(tmp_path: Path) -> None:
    task = (
        "- template: {src: '{{ item.src }}', dest: '{{ item.dest }}', mode: '{{ item.mode }}'}\n"
        "  loop:\n"
        "    - {src: a.j2, dest: /etc/default/kumomta, mode: '0644'}\n"
        "    - {src: b.j2, dest: /opt/kumomta/etc/kumod.env, mode: '0600'}\n"
    )
    (finding,) = run(tmp_path, "KL401", {TASKS: task})
    assert finding.span.line == 3
    assert "/etc/default/kumomta" in finding.message


def test_kl401_recursive_chmod_of_the_dkim_directory(tmp_path: Path) -> None:
    task = "- file: {path: /opt/kumomta/etc/dkim, state: directory, recurse: yes, mode: '0755'}\n"
    (finding,) = run(tmp_path, "KL401", {TASKS: task})
    assert "/opt/kumomta/etc/dkim/*" in finding.message
    fine = task.replace("'0755'", "u=rwX,g=rX,o=")
    assert run(tmp_path / "fine", "KL401", {TASKS: fine}) == []


# --- KL404/KL405 over unit text embedded in YAML manifests ---------------------------

UNIT = (
    "[Unit]\nDescription=KumoMTA\n[Service]\n"
    "ExecStart=/opt/kumomta/sbin/kumod --policy /opt/kumomta/etc/policy/init.lua --user kumod\n"
)


@pytest.mark.parametrize(
    ("files", "expected"),
    (
        ({"systemd/kumomta.service": UNIT}, ["warning"]),
        (
            {
                "systemd/kumomta.service": UNIT,
                TASKS: "- copy:\n    dest: /etc/systemd/system/kumomta.service.d/env.conf\n"
                "    content: |\n      [Service]\n      EnvironmentFile=/etc/default/kumomta\n",
            },
            [],
        ),
        (
            {
                "systemd/kumomta.service": UNIT,
                "roles/kumomta/templates/override.conf.j2": "[Service]\n"
                "EnvironmentFile=-/etc/default/kumomta\n",
            },
            ["note"],
        ),
        (
            {
                "user-data": "#cloud-config\nwrite_files:\n"
                "  - path: /etc/systemd/system/kumomta.service\n    content: |\n"
                + "".join(f"      {line}\n" for line in UNIT.splitlines())
            },
            ["warning"],
        ),
    ),
)
def test_kl405_sees_units_written_by_manifests(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    findings = run(tmp_path, "KL405", files)
    assert [f.severity.value for f in findings] == expected


def test_kl404_in_unit_text_written_by_cloud_init(tmp_path: Path) -> None:
    text = (
        "#cloud-config\nwrite_files:\n"
        "  - path: /etc/systemd/system/kumomta.service.d/token.conf\n    content: |\n"
        "      [Service]\n      Environment=PING8_WEBHOOK_TOKEN=Zk3q9vB2xR7mT1pL8sW4nY6cH0dJ5aE\n"
    )
    (finding,) = run(tmp_path, "KL404", {"user-data": text})
    assert (finding.span.line, finding.span.column) == (6, 19)
    assert "PING8_WEBHOOK_TOKEN" in finding.message

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kumolint.facts.modes import InstalledFile, ServiceRestart
from kumolint.facts.systemd import EnvironmentFileRef, UnitFile
from kumolint.finding import Span
from kumolint.model import ParseError
from kumolint.parsers._modes_yaml import (
    INT_TAG,
    STR_TAG,
    ansible_mode,
    cloudinit_mode,
    go_yaml_mode,
    salt_mode,
)
from kumolint.parsers._yaml import compose
from kumolint.parsers.yaml_ansible import extract
from kumolint.parsers.yaml_documents import parse

TASKS = "roles/kumomta/tasks/main.yml"


def facts(text: str, path: str = TASKS) -> list[Any]:
    documents, errors = compose(path, text)
    assert errors == []
    return list(extract(path, documents))


def installed(text: str, path: str = TASKS) -> list[InstalledFile]:
    return [f for f in facts(text, path) if isinstance(f, InstalledFile)]


def one(text: str) -> InstalledFile:
    (fact,) = installed(text)
    return fact


def copy_with_mode(mode: str) -> str:
    return (
        "- ansible.builtin.copy:\n    src: kumomta.env\n    dest: /etc/default/kumomta\n"
        f"    mode: {mode}\n"
    )


@pytest.mark.parametrize(
    ("mode", "expected", "source", "note"),
    (
        ("0644", 0o644, "explicit", ""),  # YAML 1.1 int: octal
        ("0600", 0o600, "explicit", ""),
        ('"0644"', 0o644, "explicit", ""),  # a string: Ansible reads it as octal
        ("'0640'", 0o640, "explicit", ""),
        ("'644'", 0o644, "explicit", ""),
        ("0o644", 0o644, "explicit", ""),  # PyYAML: a string; int('0o644', 8)
        ("644", 0o1204, "explicit", "decimal"),  # decimal 644: the classic trap
        ("600", 0o1130, "explicit", "decimal"),
        ("0x1a4", 0o644, "explicit", ""),
        ("u=rw,g=r,o=r", 0o644, "explicit", ""),
        ("u=rw,go=", 0o600, "explicit", ""),
        ('"{{ env_mode }}"', None, "unknown", ""),
        ("\"{{ env_mode | default('0600') }}\"", None, "unknown", ""),
        ("preserve", 0o644, "default", ""),
        ("rwx-nonsense", None, "unknown", ""),
    ),
)
def test_mode_forms(mode: str, expected: int | None, source: str, note: str) -> None:
    fact = one(copy_with_mode(mode))
    assert fact.mode == expected
    assert fact.mode_source == source
    assert (note in fact.mode_note) if note else fact.mode_note == ""
    assert fact.tool == "ansible.builtin.copy"
    assert fact.dest == "/etc/default/kumomta"


def test_mode_span_points_at_the_value() -> None:
    fact = one(copy_with_mode("0644"))
    assert fact.span == Span(TASKS, 4, 11, 4, 15)
    assert fact.raw_mode == "0644"
    assert fact.source == "kumomta.env"


def test_missing_mode_is_the_umask_default_at_the_module_key() -> None:
    fact = one("- name: env\n  template:\n    src: env.j2\n    dest: /etc/default/kumomta\n")
    assert (fact.mode, fact.mode_source) == (0o644, "default")
    assert "0644" in fact.default_reason
    assert fact.span == Span(TASKS, 2, 3, 2, 11)
    assert fact.tool == "ansible.builtin.template"


def test_relative_symbolic_mode_knows_only_the_bits_it_sets() -> None:
    fact = one(copy_with_mode("o-rwx"))
    assert fact.mode == 0o640  # applied to a new file's 0644
    assert fact.mode_source == "explicit"
    assert fact.known_bits & 0o777 == 0o007
    assert "relative" in fact.mode_note


def test_free_form_arguments_are_strings_with_exact_positions() -> None:
    fact = one("- copy: src=a dest=/etc/default/kumomta mode=644 owner=root group=kumod\n")
    assert fact.mode == 0o644  # a k=v string is octal, unlike YAML's 644
    assert fact.span == Span(TASKS, 1, 46, 1, 49)
    assert (fact.owner, fact.group) == ("root", "kumod")


def test_free_form_quoted_values_and_jinja_with_spaces() -> None:
    text = '- template: src=a.j2 dest="/etc/default/kumomta" mode=\'{{ m | d("0600") }}\'\n'
    fact = one(text)
    assert fact.dest == "/etc/default/kumomta"
    assert fact.mode_source == "unknown"


def test_action_form_and_args_keyword() -> None:
    found = installed(
        "- action: copy src=a dest=/etc/default/kumomta mode=0600\n"
        "- action:\n    module: ansible.builtin.template\n    dest: /opt/kumomta/etc/kumod.env\n"
        "- copy:\n  args:\n    dest: /etc/default/kumomta\n    mode: '0640'\n"
    )
    assert [(f.dest, f.mode) for f in found] == [
        ("/etc/default/kumomta", 0o600),
        ("/opt/kumomta/etc/kumod.env", 0o644),
        ("/etc/default/kumomta", 0o640),
    ]


def test_module_defaults_from_play_block_and_task_nearest_wins() -> None:
    text = """\
- hosts: mta
  module_defaults:
    ansible.builtin.copy:
      mode: "0644"
    template:
      mode: "0600"
  tasks:
    - copy: {dest: /etc/default/kumomta}
    - block:
        - copy: {dest: /opt/kumomta/etc/kumod.env}
        - template: {dest: /opt/kumomta/etc/a.env}
      module_defaults:
        copy: {mode: "0640"}
    - template: {dest: /opt/kumomta/etc/b.env, mode: "0400"}
"""
    found = installed(text, "site.yml")
    by_dest = {f.dest: f for f in found}
    assert by_dest["/etc/default/kumomta"].mode == 0o644
    assert by_dest["/etc/default/kumomta"].span.line == 4  # where the default mode is set
    assert by_dest["/opt/kumomta/etc/kumod.env"].mode == 0o640
    assert by_dest["/opt/kumomta/etc/a.env"].mode == 0o600
    assert by_dest["/opt/kumomta/etc/b.env"].mode == 0o400


def test_lineinfile_without_create_keeps_the_existing_mode() -> None:
    keeps = one("- lineinfile: {path: /etc/default/kumomta, line: A=1}\n")
    assert (keeps.mode, keeps.mode_source) == (None, "unknown")
    creates = one("- ansible.builtin.lineinfile: {path: /etc/default/kumomta, create: yes}\n")
    assert (creates.mode, creates.mode_source) == (0o644, "default")
    ini = one("- community.general.ini_file: {path: /etc/kumo.ini, section: a}\n")
    assert (ini.mode_source, ini.tool) == ("default", "community.general.ini_file")


def test_file_module_states() -> None:
    found = installed(
        "- file: {path: /etc/default/kumomta, owner: root, group: root}\n"
        "- file: {path: /opt/kumomta/etc/dkim, state: directory, mode: '0750'}\n"
        "- file: {path: /etc/default/kumomta, state: touch}\n"
    )
    assert [(f.mode, f.mode_source) for f in found] == [(None, "unknown"), (0o644, "default")]


def test_notify_and_handlers_with_listen() -> None:
    play = """\
- hosts: mta
  tasks:
    - copy: {dest: /etc/default/kumomta, mode: "0600"}
      notify: [restart kumomta, other]
  handlers:
    - name: restart kumomta
      listen: kumo env changed
      ansible.builtin.systemd:
        name: kumomta
        state: restarted
    - name: reload nginx
      service: name=nginx state=reloaded
    - name: shell restart
      shell: systemctl --no-block restart kumomta.service
    - name: started only
      service: {name: kumomta, state: started}
"""
    found = facts(play, "site.yml")
    (file_fact,) = [f for f in found if isinstance(f, InstalledFile)]
    assert file_fact.notifies == ("restart kumomta", "other")
    restarts = [(r.unit, r.action, r.handler) for r in found if isinstance(r, ServiceRestart)]
    assert restarts == [
        ("kumomta", "restart", "restart kumomta"),
        ("kumomta", "restart", "kumo env changed"),
        ("nginx", "reload", "reload nginx"),
        ("kumomta.service", "restart", "shell restart"),
    ]


def test_handlers_file_is_known_by_its_directory() -> None:
    found = facts(
        "- name: restart kumomta\n  service: {name: kumomta, state: restarted}\n",
        "roles/kumomta/handlers/main.yml",
    )
    (restart,) = found
    assert isinstance(restart, ServiceRestart)
    assert restart.handler == "restart kumomta"
    assert restart.span == Span("roles/kumomta/handlers/main.yml", 2, 35, 2, 44)
    (task_restart,) = facts("- service: {name: kumomta, state: restarted}\n")
    assert isinstance(task_restart, ServiceRestart)
    assert task_restart.handler is None


def test_no_log_is_a_secret_hint() -> None:
    fact = one("- copy: {dest: /etc/default/kumomta, content: x}\n  no_log: true\n")
    assert fact.secret_hint == "no_log: true"


def test_unit_text_in_copy_content_is_read_as_a_unit() -> None:
    text = """\
- name: drop-in
  copy:
    dest: /etc/systemd/system/kumomta.service.d/override.conf
    content: |
      [Service]
      EnvironmentFile=-/etc/default/kumomta
"""
    found = facts(text)
    (unit,) = [f for f in found if isinstance(f, UnitFile)]
    assert (unit.unit, unit.dropin, unit.path) == ("kumomta.service", True, TASKS)
    (ref,) = [f for f in found if isinstance(f, EnvironmentFileRef)]
    assert (ref.path, ref.optional) == ("/etc/default/kumomta", True)
    assert ref.span == Span(TASKS, 6, 23, 6, 44)


def test_not_ansible_shapes_yield_nothing() -> None:
    assert facts("- name: a\n  value: b\n- copy_of: x\n") == []
    assert facts("copy:\n  dest: /etc/default/kumomta\n") == []
    assert facts("- [copy, dest]\n- 3\n") == []


@pytest.mark.parametrize(
    "text",
    (
        "",
        "\ufeff- copy: {dest: /etc/default/kumomta}\n",
        "- copy: {dest: /etc/default/kumomta}\r\n",
        "- copy:\n\tdest: x\n",  # tab indentation
        "- copy: {dest: a, dest: b}\n",  # duplicate keys: the last one wins in Ansible
        "- copy: {dest: /x, mode: 0644\n",  # truncated
        "- copy: {dest: \x00}\n",
        "- copy: {dest: /x, mode: '" + "7" * 100_000 + "'}\n",
    ),
)
def test_bad_input_never_raises(text: str) -> None:
    found = list(parse(TASKS, text))
    assert all(
        isinstance(f, ParseError) and f.span.line >= 1
        for f in found
        if not isinstance(f, InstalledFile)
    )


def test_alias_bomb_and_shared_blocks_are_visited_once() -> None:
    lines = ["- &t0 {copy: {dest: /etc/default/kumomta, mode: '0600'}}"]
    lines.append("- &b1 {block: [*t0, *t0]}")
    for level in range(2, 30):
        lines.append(f"- &b{level} {{block: [*b{level - 1}, *b{level - 1}]}}")
    started = time.perf_counter()
    found = installed("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5
    assert len(found) == 1


def test_deep_nesting_is_bounded() -> None:
    inner = "{copy: {dest: /etc/default/kumomta, mode: '0600'}}"
    nested = "- " + "{block: [" * 150 + inner + "]}" * 150 + "\n"
    found = list(parse(TASKS, nested))
    assert [(f.dest, f.mode) for f in found] == [("/etc/default/kumomta", 0o600)]
    started = time.perf_counter()
    too_deep = "- " + "{block: [" * 10_000 + inner + "]}" * 10_000 + "\n"
    (error,) = parse(TASKS, too_deep)
    assert time.perf_counter() - started < 10
    assert isinstance(error, ParseError)
    assert "nested deeper" in error.message
    # level 1 is the `- ` list; each `{block: [` adds two: level 401 is the 200th `[`
    assert (error.span.line, error.span.column) == (1, 3 + 199 * len("{block: [") + 8)


def test_loop_items_fill_dest_and_mode_with_their_own_yaml_typing() -> None:
    text = """\
- name: env files
  ansible.builtin.template:
    src: "{{ item.src }}"
    dest: "{{ item.dest }}"
    mode: "{{ item.mode }}"
  loop:
    - {src: kumomta.env.j2, dest: /etc/default/kumomta, mode: "0644"}
    - {src: kumod.env.j2, dest: /opt/kumomta/etc/kumod.env, mode: 644}
    - {src: x.j2, dest: /etc/x}
"""
    found = {f.dest: f for f in installed(text)}
    assert found["/etc/default/kumomta"].mode == 0o644
    assert found["/etc/default/kumomta"].span == Span(TASKS, 7, 63, 7, 69)
    assert found["/etc/default/kumomta"].source == "kumomta.env.j2"
    kumod = found["/opt/kumomta/etc/kumod.env"]
    assert kumod.mode == 0o1204  # the element's unquoted 644 is decimal
    assert "loop item" in kumod.mode_note
    assert found["/etc/x"].mode_source == "unknown"  # the element has no mode


def test_loop_of_scalars_splices_into_free_form_strings() -> None:
    text = "- copy: src={{ item }}.env dest=/opt/kumomta/etc/{{ item }}.env mode=0600\n"
    found = installed(text + "  with_items: [kumod, kumo-common]\n")
    assert [(f.dest, f.mode, f.source) for f in found] == [
        ("/opt/kumomta/etc/kumod.env", 0o600, "kumod.env"),
        ("/opt/kumomta/etc/kumo-common.env", 0o600, "kumo-common.env"),
    ]
    unlooped = installed("- copy: {dest: '/etc/{{ item }}', mode: '0600'}\n  loop: '{{ xs }}'\n")
    assert [f.dest for f in unlooped] == ["/etc/{{ item }}"]


def test_shell_and_command_tasks_go_through_the_shell_model() -> None:
    text = """\
- name: tighten
  ansible.builtin.shell: chmod 644 /etc/default/kumomta creates=/etc/kumo.done
- name: write
  shell:
    cmd: |
      umask 077
      cat > /opt/kumomta/etc/kumod.env <<EOF
      A=1
      EOF
"""
    found = installed(text)
    by_dest = {f.dest: f for f in found}
    assert set(by_dest) == {"/etc/default/kumomta", "/opt/kumomta/etc/kumod.env"}
    chmod = by_dest["/etc/default/kumomta"]
    assert (chmod.mode, chmod.tool) == (0o644, "ansible.builtin.shell chmod")
    assert chmod.span == Span(TASKS, 2, 26, 2, 56)
    written = by_dest["/opt/kumomta/etc/kumod.env"]
    assert (written.mode, written.mode_source, written.span.line) == (0o600, "default", 7)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="0123456789oxXbugoa=+-,rwxXst {}%$'\"._:", max_size=12),
    tag=st.sampled_from([INT_TAG, STR_TAG]),
    style=st.sampled_from([None, "'", '"']),
)
def test_mode_readers_never_raise(text: str, tag: str, style: str | None) -> None:
    node = yaml.ScalarNode(tag, text, style=style)
    readings = [
        ansible_mode(node, "copy"),
        salt_mode(node),
        cloudinit_mode(node),
        go_yaml_mode(node, "nfpm", strings_are_octal=False),
        go_yaml_mode(node, "compose", strings_are_octal=True),
    ]
    for reading in readings:
        assert reading.source in ("explicit", "default", "unknown")
        assert reading.value is None or 0 <= reading.value <= 0o7777


@pytest.mark.parametrize("digits", ("9" * 5000, "1" + "0" * 30))
def test_huge_decimal_modes_are_unknown_not_an_exception(digits: str) -> None:
    node = yaml.ScalarNode(INT_TAG, digits)
    assert go_yaml_mode(node, "nfpm", strings_are_octal=False).value is None
    assert ansible_mode(node, "copy").source in ("explicit", "unknown")


def test_recursive_directory_mode_applies_to_the_files_inside() -> None:
    text = (
        "- file: {path: /opt/kumomta/etc/dkim, state: directory, recurse: yes, mode: '0755'}\n"
        "- file: {path: /opt/kumomta/etc/dkim, state: directory, mode: '0755'}\n"
    )
    (fact,) = installed(text)
    assert (fact.dest, fact.mode, fact.writes) == ("/opt/kumomta/etc/dkim/*", 0o755, False)


def test_literal_vars_from_play_and_task_fill_dest_and_mode() -> None:
    text = """\
- hosts: mta
  vars:
    env_file: /etc/default/kumomta
    env_mode: 0644
  tasks:
    - template: {src: env.j2, dest: "{{ env_file }}", mode: "{{ env_mode }}"}
    - template: {src: env.j2, dest: "{{ env_file }}", mode: "{{ env_mode }}"}
      vars:
        env_mode: "0600"
    - template: {src: env.j2, dest: "{{ role_var }}", mode: "{{ role_mode }}"}
"""
    found = installed(text, "site.yml")
    assert [(f.dest, f.mode, f.span.line) for f in found] == [
        ("/etc/default/kumomta", 0o644, 4),  # the mode is set where the variable is
        ("/etc/default/kumomta", 0o600, 9),
        ("{{ role_var }}", None, 10),  # role defaults live in another file: unknown
    ]

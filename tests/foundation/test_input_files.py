"""Files users hand us, as each command reads them: duplicate keys refused as Pulumi refuses them,
alias expansion, size and nesting bounded, binary and non-UTF-8 files named, YAML syntax errors
without the line's text, and `render all --out` guarded like one render."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clusterforge import diff as diff_module
from clusterforge.cli import main
from clusterforge.diff import DiffError, load_plan
from clusterforge.stackfile import StackFileError, read_stack
from components.config import input_files
from components.config.emulation import load_kemu_file
from components.config.input_files import InputFileError, load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
KEMU_FILE = ROOT / "tests" / "emulation" / "data" / "kemu-with-addons.yaml"
BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9 if p else ['x'] * 9)}]\n"
               for p, c in zip([None, *"abcdefg"], "abcdefgh"))


def _stack_root(tmp_path: Path, text: str | bytes, name: str = "broken") -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    target = tmp_path / "stacks" / f"Pulumi.{name}.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tmp_path


def _stack_error(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(StackFileError) as caught:
        read_stack("broken", _stack_root(tmp_path, text))
    return str(caught.value)


def test_duplicate_key_in_a_stack_file_is_refused_as_pulumi_refuses_it(tmp_path):
    text = ("config:\n  clusterforge:cluster:\n    name: a\n  clusterforge:kubernetes:\n    version: 1.36.2\n"
            "  clusterforge:cluster:\n    name: b\n")
    message = _stack_error(tmp_path, text)
    assert "line 6: mapping key 'clusterforge:cluster' already defined at line 2" in message
    assert "Pulumi.broken.yaml" in message


def test_duplicate_key_deep_inside_a_section_is_refused(tmp_path):
    text = "config:\n  clusterforge:hosts:\n    ssh:\n      user: a\n      user: b\n"
    assert "mapping key 'user' already defined at line 4" in _stack_error(tmp_path, text)


def test_alias_bomb_in_a_stack_file_is_refused(tmp_path):
    message = _stack_error(tmp_path, "config:\n  clusterforge:cluster:\n" + "".join("    " + line + "\n"
                                                                                     for line in BOMB.splitlines()))
    assert "aliases expand to more than 1,000,000 values" in message


def test_too_many_aliases_are_refused(tmp_path):
    text = "config:\n  clusterforge:cluster: &a {name: a}\n  x:\n" + "".join(f"    - *a\n" for _ in range(2500))
    assert f"more than {input_files.MAX_ALIASES} YAML aliases" in _stack_error(tmp_path, text)


def test_merge_keys_and_a_few_aliases_still_load():
    assert load_yaml_text("base: &b {x: 1}\nother: {<<: *b, y: 2}\nsame: *b\n", "f") == {
        "base": {"x": 1}, "other": {"x": 1, "y": 2}, "same": {"x": 1}}


def test_oversized_stack_file_is_refused_before_it_is_parsed(tmp_path):
    message = _stack_error(tmp_path, "config: {}\n" + "#" * (input_files.MAX_BYTES + 10) + "\n")
    assert "more than the 4 MB" in message and "Pulumi.broken.yaml" in message


def test_binary_and_non_utf8_stack_files_are_named(tmp_path):
    assert "a binary file" in _stack_error(tmp_path, b"\x7fELF\x02\x01\x01\x00\x00\x00")
    message = _stack_error(tmp_path, "config:\n  clusterforge:cluster:\n    name: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8 text (byte 0xe9" in message and "Pulumi.broken.yaml" in message


def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path):
    message = _stack_error(tmp_path, "config:\n  clusterforge:cluster: " + "[" * 20000 + "\n")
    assert "nested more than 100 levels deep" in message


def test_syntax_error_never_prints_the_offending_line(tmp_path):
    text = "config:\n  clusterforge:sshPrivateKey: {value: hunter2-very-secret\n  clusterforge:cluster: x\n"
    message = _stack_error(tmp_path, text)
    assert "not valid YAML at line" in message
    assert "hunter2" not in message, message


def test_cli_reports_a_broken_stack_file_in_one_line(tmp_path, monkeypatch, capsys):
    import clusterforge.render as render_module
    import clusterforge.stackfile as stackfile_module

    root = _stack_root(tmp_path, "config:\n  a:b: 1\n  a:b: 2\n")
    monkeypatch.setattr(stackfile_module, "PROJECT_ROOT", root)
    monkeypatch.setattr(render_module, "PROJECT_ROOT", root)
    original = read_stack
    monkeypatch.setattr(render_module, "read_stack", lambda name, _root: original(name, root))
    assert main(["render", "broken", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "already defined at line 2" in err and "Traceback" not in err


def test_kemu_files_are_bounded_too(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    with pytest.raises(InputFileError, match="aliases expand"):
        load_kemu_file(str(bomb))
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text(KEMU_FILE.read_text() + "kind: ClusterConfig\n")
    assert main(["import-kemu", str(duplicate), "--stack", "dup", "--root", str(tmp_path)]) == 1
    assert "mapping key 'kind' already defined" in capsys.readouterr().err
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02")
    assert main(["import-kemu", str(binary), "--stack", "bin", "--root", str(tmp_path)]) == 1
    assert "a binary file" in capsys.readouterr().err


def test_plans_are_bounded(tmp_path, monkeypatch):
    render = tmp_path / "r"
    render.mkdir()
    (render / "plan.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DiffError, match="nested too deeply"):
        load_plan(render)
    (render / "plan.json").write_text('{"resources": [], "resources": []}')
    with pytest.raises(DiffError, match="'resources' given twice"):
        load_plan(render)
    monkeypatch.setattr(input_files, "MAX_PLAN_BYTES", 1000)
    (render / "plan.json").write_text(json.dumps({"resources": [{"urn": "x" * 2000}]}))
    with pytest.raises(DiffError, match="more than the"):
        load_plan(render)
    assert diff_module.load_plan is load_plan


def test_render_all_out_is_guarded_like_one_render(tmp_path, capsys):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["render", "all", "--out", str(foreign)]) == 2
    assert "already holds files that no render wrote" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_render_all_out_slash_creates_nothing(capsys):
    before = sorted(os.listdir("/"))
    assert main(["render", "all", "--out", "/"]) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert sorted(os.listdir("/")) == before


from hypothesis import given, settings, strategies as st  # noqa: E402

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_any_document_yaml_writes_loads_back_unchanged(value):
    import yaml

    assert load_yaml_text(yaml.safe_dump(value), "f") == value


def test_control_characters_are_a_message():
    with pytest.raises(InputFileError, match="not valid YAML"):
        load_yaml_text("\x1fkind: Cluster\n", "kindConfig")

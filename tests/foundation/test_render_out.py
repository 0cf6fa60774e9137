"""`clusterforge render --out`: only a directory a render wrote (its marker), an empty or
a new one is ever replaced; anything else is refused with exit 2 and left untouched."""
from __future__ import annotations

import pytest

from clusterforge.cli import main
from clusterforge.render_out import MARKER

STACK = "onprem"


def _snapshot(root):
    return sorted((str(p.relative_to(root)), p.read_bytes() if p.is_file() else b"")
                  for p in root.rglob("*"))


def _render(out, capsys, stack=STACK):
    code = main(["render", stack, "--out", str(out)])
    return code, capsys.readouterr().err


def test_a_directory_no_render_wrote_is_refused_and_left_untouched(tmp_path, capsys):
    checkout = tmp_path / "checkout"
    (checkout / ".git" / "objects").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / "README.md").write_text("mine\n")
    before = _snapshot(checkout)
    code, err = _render(checkout, capsys)
    assert code == 2
    assert f"--out {checkout} already holds files that no render wrote (it has no {MARKER} marker)" in err
    assert "nothing was changed" in err and "Traceback" not in err
    assert _snapshot(checkout) == before


@pytest.mark.parametrize("where", ["file", "below-a-file"])
def test_out_pointing_at_a_file_is_a_clear_usage_error(tmp_path, capsys, where):
    target = tmp_path / "notes.txt"
    target.write_text("keep me\n")
    out = target if where == "file" else target / "render"
    code, err = _render(out, capsys)
    assert code == 2 and "Traceback" not in err
    assert "is a file" in err, err
    assert target.read_text() == "keep me\n"


def test_render_all_into_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("x")
    assert main(["render", "all", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err and target.read_text() == "x"


def test_a_new_or_empty_directory_is_used_and_marked(tmp_path, capsys):
    for out in (tmp_path / "new" / "deeper", tmp_path / "empty"):
        if out.name == "empty":
            out.mkdir()
        code, _ = _render(out, capsys)
        assert code == 0
        assert (out / MARKER).is_file() and (out / "plan.json").is_file()


def test_a_render_replaces_only_its_own_directory_and_nothing_outside(tmp_path, capsys):
    out = tmp_path / "render"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("data\n")
    assert _render(out, capsys)[0] == 0
    (out / "stale.yaml").write_text("from an older render\n")
    (out / "link-out").symlink_to(outside, target_is_directory=True)
    assert _render(out, capsys)[0] == 0
    assert not (out / "stale.yaml").exists() and not (out / "link-out").exists()
    assert (outside / "precious").read_text() == "data\n"  # a link inside is removed, not followed


def test_a_symbolic_link_as_out_is_refused(tmp_path, capsys):
    real = tmp_path / "real"
    assert _render(real, capsys)[0] == 0
    before = _snapshot(real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    code, err = _render(link, capsys)
    assert code == 2 and "is a symbolic link" in err
    assert _snapshot(real) == before

"""The measure of how well the rules generalize: tests/fixtures/fresh holds realistic mistakes
written from the consuming systems' documented rules before the rules that catch them, one
file each: `{base: STACK, set: {PATH: VALUE}, expect: [PATH | [PATH, ...], ...]}`.

A mistake counts as caught only as a user sees it from `clusterforge render`: the render is
refused (ConfigError, or the program's own refusal) and, for every `expect` item, some
error names that config path or a path under it, with a fix (an item that is a list accepts any of its
paths: a clash may be reported on either side). A render that succeeds, refuses elsewhere
or crashes is a miss.

`python -m tests.test_fresh_fixtures` prints each outcome and the caught fraction."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from clusterforge.mockrun import ProgramRefused
from clusterforge.render import render_stack
from components.config import ConfigError

FRESH = sorted((Path(__file__).parent / "fixtures" / "fresh").glob("*.yaml"))


def _under(path: str, wanted: str) -> bool:
    return path == wanted or path.startswith((wanted + ".", wanted + "["))


def outcome(fixture: Path, out_root: Path) -> tuple[bool, str]:
    """(caught, what the user saw) for one fresh fixture, rendered as `clusterforge render` does."""
    case = yaml.safe_load(fixture.read_text())
    try:
        render_stack(case["base"], out_root / fixture.stem, overrides=case.get("set") or {})
    except ConfigError as err:
        # A finding counts only with its fix: every error names the path and what to do.
        paths = [f.path for f in err.findings if f.fix]
        text = [str(f) for f in err.findings]
    except ProgramRefused as err:
        text = err.errors() or [str(err)]
        paths = [line.split(":", 2)[1].split(" ", 1)[0].rstrip(":") for line in text
                 if line.startswith("clusterforge:")]
    except Exception as err:  # noqa: BLE001 (a crash is a miss, and is reported as one)
        return False, f"crashed: {type(err).__name__}: {err}"
    else:
        return False, "rendered (exit 0)"
    missing = [want for want in case["expect"]
               if not any(_under(p, alt) for p in paths for alt in (want if isinstance(want, list) else [want]))]
    if missing:
        return False, f"refused, but no error names {missing}: " + " | ".join(text)[:400]
    return True, " | ".join(t for t in text)[:400]


def test_the_fresh_set_is_big_enough():
    assert len(FRESH) >= 30


@pytest.mark.parametrize("fixture", FRESH, ids=[p.stem for p in FRESH])
def test_fresh_mistake_is_refused_with_its_path(fixture: Path, tmp_path: Path):
    caught, seen = outcome(fixture, tmp_path)
    assert caught, seen


def main() -> int:
    caught = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in FRESH:
            ok, seen = outcome(fixture, Path(tmp))
            caught += ok
            print(f"{'CAUGHT' if ok else 'MISSED'} {fixture.stem}: {seen[:300]}")
    print(f"caught {caught}/{len(FRESH)} ({100 * caught / max(len(FRESH), 1):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

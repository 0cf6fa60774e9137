"""The `clusterforge` command: render, check, diff and bench the Pulumi program offline.

Exit codes: 0 success (no findings, no changes), 1 findings or changes, 2 bad usage.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from components.config import ConfigError

from .stackfile import StackFileError, stack_names


def _render(args) -> int:
    from .render import RenderOutError, render_stack, summary

    stacks = stack_names() if args.stack == "all" else [args.stack]
    for stack in stacks:
        out = Path(args.out) / stack if args.out and len(stacks) > 1 else args.out
        try:
            result = render_stack(stack, Path(out) if out else None)
        except ConfigError as err:
            print(f"stack {stack}: the config has {len(err.findings)} problem(s); nothing was rendered",
                  file=sys.stderr)
            for finding in err.findings:
                print(f"  {finding}", file=sys.stderr)
            return 1
        except RenderOutError as err:
            print(f"clusterforge render {stack}: --out {err}; nothing was changed", file=sys.stderr)
            return 2
        print(summary(result))
    return 0


def _check(args) -> int:
    from .check import check_stack

    stacks = stack_names() if args.stack == "all" else [args.stack]
    crd_dir = Path(args.crd_schemas) if args.crd_schemas else None
    if crd_dir is not None and not crd_dir.is_dir():
        print(f"--crd-schemas {crd_dir}: not a directory", file=sys.stderr)
        return 2
    ok = True
    for stack in stacks:
        report = check_stack(stack, crd_dir)
        print(report.text())
        ok = ok and report.ok
    return 0 if ok else 1


def _diff(args) -> int:
    from .diff import as_markdown, as_text, diff_plans, diff_refs, load_plan

    old, new = Path(args.old), Path(args.new)
    if old.is_dir() and new.is_dir():
        result = diff_plans(load_plan(old), load_plan(new))
    elif args.stack:
        result = diff_refs(args.old, args.new, args.stack)
    else:
        print("diff: give two render directories, or two git refs with --stack NAME", file=sys.stderr)
        return 2
    text = as_markdown(result) if args.format == "markdown" else as_text(result)
    sys.stdout.write(text)
    if args.markdown_out:
        Path(args.markdown_out).write_text(as_markdown(result))
    return 0 if result.empty else 1


def bench_names() -> list[str]:
    from . import benches

    return sorted(m.name for m in pkgutil.iter_modules(benches.__path__))


def _bench(args) -> int:
    names = bench_names()
    if args.name not in names:
        print(f"bench: no benchmark {args.name!r}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"clusterforge.benches.{args.name}")
    figures = module.run()
    print(json.dumps(figures, sort_keys=True))
    return 0


def _delegate(module: str):
    def run(args) -> int:
        return importlib.import_module(module).main(args.rest)
    return run


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clusterforge", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="evaluate a stack offline and write plan, manifests, releases, inventory, graph")
    r.add_argument("stack", help="stack name (stacks/Pulumi.<stack>.yaml) or 'all'")
    r.add_argument("--out", help="output directory (default build/STACK); replaced only if empty, new "
                                 "or written by an earlier render")
    r.set_defaults(func=_render)

    c = sub.add_parser("check", help="validate a stack's config and every object it declares")
    c.add_argument("stack", help="stack name or 'all'")
    c.add_argument("--crd-schemas", help="directory of upstream CRD YAML files (default: a cache filled online)")
    c.set_defaults(func=_check)

    d = sub.add_parser("diff", help="changes between two renders (directories) or two git refs (--stack)")
    d.add_argument("old")
    d.add_argument("new")
    d.add_argument("--stack", help="with git refs: the stack to render at each")
    d.add_argument("--format", choices=("text", "markdown"), default="text")
    d.add_argument("--markdown-out", help="also write the Markdown form (for a PR comment) to this file")
    d.set_defaults(func=_diff)

    b = sub.add_parser("bench", help="run a benchmark; ends with one JSON line of its figures")
    b.add_argument("name")
    b.set_defaults(func=_bench)

    k = sub.add_parser("import-kemu", help="convert a KEMU ClusterConfig into a stack file", add_help=False)
    k.add_argument("rest", nargs=argparse.REMAINDER)
    k.set_defaults(func=_delegate(_DELEGATED["import-kemu"]))

    e = sub.add_parser("experiment", help="submit emulated GPU jobs and report allocation", add_help=False)
    e.add_argument("rest", nargs=argparse.REMAINDER)
    e.set_defaults(func=_delegate(_DELEGATED["experiment"]))
    return p


_DELEGATED = {"import-kemu": "clusterforge.kemu_import", "experiment": "clusterforge.experiment"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _DELEGATED:  # these parse their own options (--help included)
        return importlib.import_module(_DELEGATED[argv[0]]).main(argv[1:])
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (StackFileError, FileNotFoundError) as err:
        print(f"clusterforge {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

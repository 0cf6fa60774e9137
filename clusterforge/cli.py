"""The `clusterforge` command: render, check, diff, policy and bench the Pulumi program offline.

Exit codes: 0 success (no findings, no changes), 1 findings or changes, 2 bad usage.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from clusterforge.mockrun import DuplicateUrnError, ProgramRefused
from clusterforge.progress import steps
from clusterforge.stackfile import StackFileError, stack_names
from components.config import ConfigError


def _config_problems(stack: str, findings, what: str) -> None:
    print(f"stack {stack}: the config has {len(findings)} problem(s); {what}", file=sys.stderr)
    for finding in findings:
        print(f"  {finding}", file=sys.stderr)


def _render(args) -> int:
    from clusterforge.render import RenderOutError, render_stack, summary

    from clusterforge.render_out import claim_out_root

    stacks = stack_names() if args.stack == "all" else [args.stack]
    if args.out and len(stacks) > 1:  # the root of every stack's render: guarded as one render's directory
        try:
            claim_out_root(Path(args.out))
        except RenderOutError as err:
            print(f"clusterforge render {args.stack}: --out {err}; nothing was changed", file=sys.stderr)
            return 2
    code = 0
    for stack in steps(stacks, "render"):  # every stack is reported, whatever an earlier one did
        out = Path(args.out) / stack if args.out and len(stacks) > 1 else args.out
        try:
            result = render_stack(stack, Path(out) if out else None)
        except ConfigError as err:
            _config_problems(stack, err.findings, "nothing was rendered")
            code = 1
            continue
        except StackFileError as err:
            print(f"stack {stack}: {err}", file=sys.stderr)
            code = max(code, 2) if len(stacks) == 1 else max(code, 1)
            continue
        except DuplicateUrnError as err:
            print(f"clusterforge render: {err}; nothing was rendered", file=sys.stderr)
            code = 1
            continue
        except RenderOutError as err:  # checked before anything is evaluated or removed
            print(f"clusterforge render {stack}: --out {err}; nothing was changed", file=sys.stderr)
            return 2
        print(summary(result))
    return code


def _check(args) -> int:
    from clusterforge.check import check_stack
    from clusterforge.server_check import cluster_errors, kubeconfig_problem, reachable, server_errors

    stacks = stack_names() if args.stack == "all" else [args.stack]
    crd_dir = Path(args.crd_schemas) if args.crd_schemas else None
    if crd_dir is not None and not crd_dir.is_dir():
        print(f"--crd-schemas {crd_dir}: not a directory", file=sys.stderr)
        return 2
    server = Path(args.server) if args.server else None
    if server is not None and not server.is_file():
        print(f"--server {server}: no such kubeconfig file", file=sys.stderr)
        return 2
    if server is not None:
        try:
            reachable(server)  # one line now, not one per stack (or a traceback) later
        except cluster_errors() as err:
            print(f"--server {server}: {kubeconfig_problem(server, err)}", file=sys.stderr)
            return 2
    ok = True
    for stack in steps(stacks, "check"):
        try:
            report = check_stack(stack, crd_dir, server)
        except StackFileError as err:
            if len(stacks) == 1:
                raise
            print(f"check {stack}:\n  config: {err}\n  1 finding(s)")
            ok = False
            continue
        except server_errors() as err:  # only with --server: the server went away mid-check
            print(f"clusterforge check: {kubeconfig_problem(server, err)}", file=sys.stderr)
            return 2
        print(report.text())
        ok = ok and report.ok
    return 0 if ok else 1


def _diff(args) -> int:
    from clusterforge.diff import DiffError, as_text, diff_plans, diff_refs, load_plan, render_roots
    from clusterforge.diff_markdown import comment

    old, new = Path(args.old), Path(args.new)
    try:
        if old.is_dir() and new.is_dir():
            pairs = render_roots(old, new)
            results = ([diff_plans(a, b) for _, a, b in pairs] if pairs is not None
                       else [diff_plans(load_plan(old), load_plan(new))])
        elif args.stack:
            results = [diff_refs(args.old, args.new, args.stack)]
        else:
            print("diff: give two render directories, or two git refs with --stack NAME", file=sys.stderr)
            return 2
    except DiffError as err:  # nothing to compare: never the exit code for "changes"
        print(f"clusterforge diff: {err}", file=sys.stderr)
        return 2
    markdown = comment(results)
    # Each stack's text starts with its summary line, which names the stack.
    sys.stdout.write(markdown if args.format == "markdown" else "".join(as_text(d) for d in results))
    if args.markdown_out:
        Path(args.markdown_out).write_text(markdown)
    return 0 if all(d.empty for d in results) else 1


def _policy(args) -> int:
    from clusterforge.policy_run import (PolicyConfigError, as_markdown, as_text, blocking, check_stack,
                                         load_config)

    try:
        config = load_config(Path(args.config) if args.config else None)
    except PolicyConfigError as err:
        print(f"policy: {err}", file=sys.stderr)
        return 2
    by_stack = {}
    code = 0
    for stack in steps(stack_names() if args.stack == "all" else [args.stack], "policy"):
        try:
            by_stack[stack] = check_stack(stack, config)
        except ConfigError as err:  # every stack is reported, whatever an earlier one did
            _config_problems(stack, err.findings, "no policy ran")
            code = 1
            continue
        except StackFileError as err:
            print(f"stack {stack}: {err}", file=sys.stderr)
            code = 2 if args.stack != "all" else 1
            continue
        if args.format == "text":
            sys.stdout.write(as_text(stack, by_stack[stack]))
    if args.format == "markdown":
        sys.stdout.write(as_markdown(by_stack))
    if args.markdown_out:
        Path(args.markdown_out).write_text(as_markdown(by_stack))
    return max(code, 1 if any(blocking(results) for results in by_stack.values()) else 0)


def _artifacts(args) -> int:
    from clusterforge.artifacts import Sources, as_json, as_text, chart_dirs, load_artifacts, toolchain_cache
    from clusterforge.render_out import RenderOutError, check_out_dir

    extra = [Path(d) for d in args.charts]
    for d in extra:
        if not d.is_dir():
            print(f"--charts {d}: not a directory", file=sys.stderr)
            return 2
    if args.bundle:
        try:  # before anything is evaluated, as render does
            check_out_dir(Path(args.bundle), ".clusterforge-bundle", "bundle")
        except RenderOutError as err:
            print(f"clusterforge artifacts {args.stack}: --bundle {err}; nothing was changed", file=sys.stderr)
            return 2
    cfg, artifacts = load_artifacts(args.stack)
    sys.stdout.write((as_json if args.format == "json" else as_text)(args.stack, cfg, artifacts))
    if not args.bundle:
        return 0
    from clusterforge.artifacts import write_bundle

    try:
        manifest = write_bundle(args.stack, cfg, artifacts, Path(args.bundle),
                                Sources(toolchain_cache(), chart_dirs(cfg, extra)))
    except RenderOutError as err:
        print(f"clusterforge artifacts {args.stack}: --bundle {err}", file=sys.stderr)
        return 2
    print(f"bundle {args.bundle}: {manifest['included']} included, {manifest['missing']} missing "
          f"(manifest.json says where each missing one comes from)", file=sys.stderr)
    return 1 if manifest["missing"] else 0


def bench_names() -> list[str]:
    from clusterforge import benches

    return sorted(m.name for m in pkgutil.iter_modules(benches.__path__))


def _bench(args) -> int:
    module = importlib.import_module(f"clusterforge.benches.{args.name}")
    figures = module.run()
    print(json.dumps(figures, sort_keys=True))
    if figures.get("error"):  # a prerequisite is missing (the bench said which): nothing was measured
        return 2
    return 1 if figures.get("invalid_stacks") else 0


def _delegate(module: str):
    def run(args) -> int:
        return importlib.import_module(module).main(args.rest)
    return run


def _bench_help() -> str:
    from clusterforge import benches

    lines = []
    for name in bench_names():
        doc = importlib.import_module(f"{benches.__name__}.{name}").__doc__ or ""
        lines.append(f"  {name:<10} {doc.strip().splitlines()[0] if doc.strip() else ''}")
    return "benchmarks:\n" + "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clusterforge", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    stacks = ", ".join(stack_names()) or "none yet"

    r = sub.add_parser("render", help="evaluate a stack offline and write plan, manifests, releases, inventory, graph")
    r.add_argument("stack", help=f"stack name (stacks/Pulumi.<stack>.yaml: {stacks}) or 'all'")
    r.add_argument("--out", help="output directory (default build/STACK; with 'all', one subdirectory per "
                                 "stack); replaced only if empty, new or written by an earlier render")
    r.set_defaults(func=_render)

    c = sub.add_parser("check", help="validate a stack's config and every object it declares")
    c.add_argument("stack", help=f"stack name ({stacks}) or 'all'")
    c.add_argument("--crd-schemas", help="directory of upstream CRD YAML files (default: a cache filled online)")
    c.add_argument("--server", metavar="KUBECONFIG",
                   help="also dry-run every object on this cluster's API server (CRDs applied first)")
    c.set_defaults(func=_check)

    d = sub.add_parser("diff", help="changes between two renders (directories, or directories of renders "
                                    "from `render all --out`) or two git refs (--stack)")
    d.add_argument("old", help="render directory, or git ref with --stack")
    d.add_argument("new", help="render directory, or git ref with --stack")
    d.add_argument("--stack", help=f"with git refs: the stack to render at each ({stacks})")
    d.add_argument("--format", choices=("text", "markdown"), default="text", help="output format (default text)")
    d.add_argument("--markdown-out", help="also write the Markdown form (for a PR comment) to this file")
    d.set_defaults(func=_diff)

    q = sub.add_parser("policy", help="run the policy pack over a stack's resources (mock runtime)")
    q.add_argument("stack", help=f"stack name ({stacks}) or 'all'")
    q.add_argument("--config", help="policy-pack config JSON (levels per policy), as for --policy-pack-config")
    q.add_argument("--format", choices=("text", "markdown"), default="text", help="output format (default text)")
    q.add_argument("--markdown-out", help="also write the Markdown summary (for a PR comment) to this file")
    q.set_defaults(func=_policy)

    a = sub.add_parser("artifacts", help="every package, binary, image and chart a stack needs; --bundle "
                                         "writes them for an air-gapped mirror")
    a.add_argument("stack", help=f"stack name ({stacks})")
    a.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    a.add_argument("--bundle", metavar="DIR", help="copy what is built here into DIR and list the rest in "
                                                   "DIR/manifest.json (exit 1 when something is missing); "
                                                   "DIR is replaced only if empty, new or an earlier bundle")
    a.add_argument("--charts", metavar="DIR", action="append", default=[],
                   help="a directory of chart packages (<chart>-<version>.tgz) to take charts from (repeatable)")
    a.set_defaults(func=_artifacts)

    b = sub.add_parser("bench", help="run a benchmark; ends with one JSON line of its figures",
                       epilog=_bench_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("name", choices=bench_names(), help="which benchmark (see below)")
    b.set_defaults(func=_bench)

    k = sub.add_parser("import-kemu", help="convert a KEMU ClusterConfig into a stack file (--help for options)",
                       add_help=False)
    k.add_argument("rest", nargs=argparse.REMAINDER)
    k.set_defaults(func=_delegate(_DELEGATED["import-kemu"]))

    e = sub.add_parser("experiment", help="submit emulated GPU jobs and report allocation (--help for options)",
                       add_help=False)
    e.add_argument("rest", nargs=argparse.REMAINDER)
    e.set_defaults(func=_delegate(_DELEGATED["experiment"]))
    return p


_DELEGATED = {"import-kemu": "clusterforge.kemu_import", "experiment": "clusterforge.experiment"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "clusterforge"
    try:
        if argv and argv[0] in _DELEGATED:  # these parse their own options (--help included)
            return importlib.import_module(_DELEGATED[argv[0]]).main(argv[1:])
        args = parser().parse_args(argv)
        return args.func(args)
    except (StackFileError, OSError) as err:
        print(f"clusterforge {command}: {err}", file=sys.stderr)
        return 2
    except ConfigError as err:
        _config_problems(command, err.findings, "nothing was done")
        return 1
    except DuplicateUrnError as err:
        print(f"clusterforge {command}: {err}; nothing was done", file=sys.stderr)
        return 1
    except ProgramRefused as err:  # the program logged why it stopped
        print(f"clusterforge {command}: the program refused the stack; nothing was done", file=sys.stderr)
        for message in err.errors() or [str(err)]:
            print(f"  {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"clusterforge {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 (never a traceback; say what broke, in one line)
        print(f"clusterforge {command}: internal error {type(err).__name__}: {err} "
              "(a bug in clusterforge: please report it with the command line)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

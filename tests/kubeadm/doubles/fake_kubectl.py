#!/usr/bin/python3
"""TEST DOUBLE for kubectl (never a real kubectl): records each call under /var/lib/fake-kube/
and answers as the real tool would for the calls clusterforge's playbooks make. The server
version and the etcd members come from files a test may write there; deleted nodes and removed
members are remembered there, so a repeated removal answers as the real tools do."""
import json
import sys
import time
from pathlib import Path

STATE = Path("/var/lib/fake-kube")


def record(args):
    STATE.mkdir(parents=True, exist_ok=True)
    with open(STATE / "calls.jsonl", "a") as log:
        log.write(json.dumps({"tool": "kubectl", "args": args, "t": time.time()}) + "\n")


def load_node(name):
    """The Node object as the API server keeps it: labels, annotations, taints (state files)."""
    path = STATE / f"node-{name}.json"
    node = json.loads(path.read_text()) if path.exists() else {}
    labels_file = STATE / f"labels-{name}.json"
    labels = json.loads(labels_file.read_text()) if labels_file.exists() else {}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels, "annotations": node.get("annotations", {})},
            "spec": {"taints": node.get("taints", [])}}


def save_node(node):
    name = node["metadata"]["name"]
    (STATE / f"labels-{name}.json").write_text(json.dumps(node["metadata"]["labels"]))
    (STATE / f"node-{name}.json").write_text(json.dumps({"annotations": node["metadata"]["annotations"],
                                                          "taints": node["spec"]["taints"]}))


def node_call(args):
    verb, name, rest = args[0], args[2], [a for a in args[3:] if not a.startswith("--")]
    deleted_file = STATE / "deleted-nodes.json"
    if name in (json.loads(deleted_file.read_text()) if deleted_file.exists() else []):
        print(f'Error from server (NotFound): nodes "{name}" not found', file=sys.stderr)
        return 1
    node = load_node(name)
    if verb == "get":
        print(json.dumps(node))
        return 0
    before = json.dumps(node, sort_keys=True)
    if verb == "taint":
        taints = node["spec"]["taints"]
        for arg in rest:
            if arg.endswith("-"):
                key, effect = arg[:-1].split(":")
                taints[:] = [t for t in taints if (t["key"], t["effect"]) != (key, effect)]
                continue
            spec, effect = arg.rsplit(":", 1)
            key, _, value = spec.partition("=")
            taints[:] = [t for t in taints if (t["key"], t["effect"]) != (key, effect)]
            taints.append({"key": key, "effect": effect, **({"value": value} if value else {})})
    else:  # label / annotate: like the API server, a key already set to the same value changes nothing
        target = node["metadata"]["labels" if verb == "label" else "annotations"]
        for arg in rest:
            if arg.endswith("-") and "=" not in arg:
                target.pop(arg[:-1], None)
            else:
                key, value = arg.split("=", 1)
                target[key] = value
    save_node(node)
    done = {"label": "labeled", "taint": "tainted", "annotate": "annotated"}[verb]
    print(f"node/{name} {done if json.dumps(node, sort_keys=True) != before else 'not ' + done}")
    return 0


def main(argv):
    record(argv)
    args = list(argv)
    if "--kubeconfig" in args:  # global flag: drop it and its value
        i = args.index("--kubeconfig")
        del args[i:i + 2]
    version_file = STATE / "server-version"
    server = version_file.read_text().strip() if version_file.exists() else "1.36.2"
    if args[:1] == ["version"]:
        print(json.dumps({"clientVersion": {"gitVersion": "v1.36.2"},
                          "serverVersion": {"major": server.split(".")[0], "minor": server.split(".")[1],
                                            "gitVersion": f"v{server}"}}))
        return 0
    if args[:2] in (["label", "node"], ["taint", "node"], ["annotate", "node"], ["get", "node"]):
        return node_call(args)
    deleted_file = STATE / "deleted-nodes.json"
    deleted = json.loads(deleted_file.read_text()) if deleted_file.exists() else []
    if args[:1] == ["drain"] and args[1] in deleted:
        print(f'Error from server (NotFound): nodes "{args[1]}" not found', file=sys.stderr)
        return 1
    blocked_file = STATE / "drain-blocked.json"  # {"pod": "ns/name", "pdb": "ns/name"}
    blocked = json.loads(blocked_file.read_text()) if blocked_file.exists() else None
    if args[:1] == ["drain"] and blocked:
        # what the real kubectl prints when a PodDisruptionBudget holds an eviction until --timeout
        namespace, pod = blocked["pod"].split("/")
        timeout = next(a.split("=", 1)[1] for a in args if a.startswith("--timeout="))
        print(f"node/{args[1]} cordoned\nevicting pod {namespace}/{pod}")
        print(f'error when evicting pods/"{pod}" -n "{namespace}" (will retry after 5s): Cannot evict pod '
              "as it would violate the pod's disruption budget.\n"
              f'There are pending nodes to be drained:\n {args[1]}\n'
              f'error when evicting pods/"{pod}" -n "{namespace}": global timeout reached: {timeout}',
              file=sys.stderr)
        return 1
    if args[:1] == ["drain"]:
        print(f"node/{args[1]} cordoned\nnode/{args[1]} drained")
        return 0
    if args[:1] == ["uncordon"]:
        print(f"node/{args[1]} uncordoned")
        return 0
    if args[:2] == ["delete", "node"]:
        if args[2] in deleted:  # --ignore-not-found: silent
            return 0
        deleted_file.write_text(json.dumps([*deleted, args[2]]))
        print(f'node "{args[2]}" deleted')
        return 0
    if "etcdctl" in args:
        etcd = args[args.index("etcdctl") + 1:]
        etcd = [a for a in etcd if not a.startswith("--")]
        members_file = STATE / "etcd-members.json"
        members = json.loads(members_file.read_text()) if members_file.exists() else []
        if etcd[:2] == ["member", "list"]:
            print(json.dumps({"header": {"cluster_id": 1}, "members": members}))
            return 0
        if etcd[:2] == ["member", "remove"]:
            members_file.write_text(json.dumps([m for m in members if "%x" % m["ID"] != etcd[2]]))
            print(f"Member {etcd[2]} removed from cluster 1")
            return 0
    if args[:2] == ["get", "pdb"]:
        if blocked:
            print(f"{blocked['pdb']} ", end="")
        return 0
    print(f"fake kubectl: unexpected call {argv}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""TEST DOUBLE for kubeadm (never a real kubeadm): records each call and the config it was
given under /var/lib/fake-kube/, creates the files the real tool creates, and prints what the
real tool prints for the calls clusterforge's playbooks make."""
import json
import os
import re
import sys
import time
from pathlib import Path

STATE = Path("/var/lib/fake-kube")
KUBE = Path("/etc/kubernetes")
TOKEN = "abcdef.0123456789abcdef"
CA_HASH = "sha256:" + "c0ffee" * 10 + "abcd"
CERT_KEY = "f" * 32 + "e" * 32


def record(args):
    STATE.mkdir(parents=True, exist_ok=True)
    entry = {"tool": "kubeadm", "args": args, "t": time.time()}
    if "--config" in args:
        entry["config"] = Path(args[args.index("--config") + 1]).read_text()
    with open(STATE / "calls.jsonl", "a") as log:
        log.write(json.dumps(entry) + "\n")


def kubeconfig(server, user):
    return (f"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: RkFLRQ==\n"
            f"    server: {server}\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n"
            f"    user: {user}\n  name: {user}@kubernetes\ncurrent-context: {user}@kubernetes\n"
            f"users:\n- name: {user}\n  user:\n    client-certificate-data: RkFLRQ==\n"
            f"    client-key-data: RkFLRQ==\n")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


def issue_apiserver_certificate(args):
    """A stand-in for the certificate: the SANs of the ClusterConfiguration it was issued from."""
    config = Path(args[args.index("--config") + 1]).read_text()
    sans = re.search(r"certSANs:\n((?:\s*- .*\n)*)", config)
    names = [line.strip()[2:] for line in (sans.group(1) if sans else "").splitlines()]
    write(KUBE / "pki/apiserver.crt", json.dumps({"sans": names}))
    write(KUBE / "pki/apiserver.key", "FAKE KEY\n")
    write(KUBE / "manifests/kube-apiserver.yaml", apiserver_manifest(config))


def apiserver_manifest(config):
    """The API server's static pod, with the flags of the ClusterConfiguration's apiServer.extraArgs."""
    section = re.search(r"\napiServer:\n((?:[ \t].*\n|\n)*)", config)
    flags = re.findall(r"- name: (\S+)\n\s+value: (\S+)", section.group(1)) if section else []
    return "kind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n" + "".join(
        f"    - --{name}={value}\n" for name, value in flags)


def main(args):
    record(args)
    if args[:1] == ["init"] and "phase" not in args:
        if (KUBE / "admin.conf").exists():
            print("[preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-manifests-"
                  "kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists",
                  file=sys.stderr)
            return 1
        server = "https://" + os.uname().nodename + ":6443"
        # the cluster now runs the configured version: what `kubectl version` reports from here on
        wanted = re.search(r"kubernetesVersion:\s*v?(\S+)", Path(args[args.index("--config") + 1]).read_text())
        if wanted:
            (STATE / "server-version").write_text(wanted.group(1) + "\n")
        issue_apiserver_certificate(args)
        for name, user in (("admin.conf", "kubernetes-admin"), ("super-admin.conf", "kubernetes-super-admin"),
                           ("kubelet.conf", "system:node")):
            write(KUBE / name, kubeconfig(server, user))
        print("Your Kubernetes control-plane has initialized successfully!\n\n"
              "To start using your cluster, you need to run the following as a regular user:\n\n"
              "  mkdir -p $HOME/.kube\n  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config\n")
        # like the real one: the join secrets are printed unless told not to
        if "--upload-certs" in args and "--skip-certificate-key-print" not in args:
            print(f"[upload-certs] Using certificate key:\n{CERT_KEY}")
        if "--skip-token-print" not in args:
            print(f"kubeadm join k8s.fake:6443 --token {TOKEN} --discovery-token-ca-cert-hash {CA_HASH}")
        return 0
    if args[:4] == ["init", "phase", "certs", "apiserver"]:
        if (KUBE / "pki/apiserver.crt").exists():  # like the real one: an existing certificate is kept
            print("[certs] Using the existing \"apiserver\" certificate and key")
            return 0
        issue_apiserver_certificate(args)
        print("[certs] Generating \"apiserver\" certificate and key")
        return 0
    if args[:5] == ["init", "phase", "control-plane", "apiserver", "--config"]:
        write(KUBE / "manifests/kube-apiserver.yaml", apiserver_manifest(Path(args[5]).read_text()))
        print('[control-plane] Creating static Pod manifest for "kube-apiserver"')
        return 0
    if args[:4] == ["init", "phase", "upload-config", "kubeadm"]:
        print('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
        return 0
    if args[:3] == ["init", "phase", "upload-certs"]:
        print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n'
              f"[upload-certs] Using certificate key:\n{CERT_KEY}")
        return 0
    if args[:2] == ["token", "create"]:
        print(f"kubeadm join k8s.fake:6443 --token {TOKEN} --discovery-token-ca-cert-hash {CA_HASH} ")
        return 0
    if args[:1] == ["join"]:
        if (KUBE / "kubelet.conf").exists():
            print("[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists",
                  file=sys.stderr)
            return 1
        write(KUBE / "kubelet.conf", kubeconfig("https://k8s.fake:6443", "system:node"))
        if "controlPlane:" in Path(args[args.index("--config") + 1]).read_text():
            (KUBE / "pki").mkdir(parents=True, exist_ok=True)
            write(KUBE / "manifests/kube-apiserver.yaml", "kind: Pod\n")
        print("This node has joined the cluster:\n* Certificate signing request was sent to apiserver "
              "and a response was received.\n")
        return 0
    if args[:1] == ["reset"]:  # like the real one: kubeconfigs and static pod manifests go
        for path in [*KUBE.glob("*.conf"), *KUBE.glob("manifests/*")]:
            path.unlink()
        print("[reset] Deleted contents of the etcd data directory: /var/lib/etcd")
        return 0
    if args[:2] == ["upgrade", "apply"]:
        # the control plane now runs the target: what `kubectl version` reports from here on
        (STATE / "server-version").write_text(args[-1].lstrip("v") + "\n")
        print(f'[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "{args[-1]}".')
        return 0
    if args[:2] == ["upgrade", "node"]:
        print("[upgrade] The configuration for this node was successfully upgraded!")
        return 0
    print(f"fake kubeadm: unexpected call {args}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""TEST DOUBLE for kubelet (never a real kubelet): answers `kubelet --version` with the
version of the kubelet package installed on the test host, as the real binary would."""
import subprocess
import sys


def main(args):
    if args == ["--version"]:
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "kubelet"], capture_output=True,
                                 text=True, check=True).stdout
        print(f"Kubernetes v{version.split('-')[0]}")
        return 0
    print(f"fake kubelet: unexpected call {args}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))

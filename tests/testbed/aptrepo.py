"""A local, flat apt repository served over HTTP from the testbed's bridge address.

It is the air-gapped mirror of the tests: real Debian .debs (containerd, chrony...) plus
test-double kube packages built here with dpkg-deb. Package contents are pluggable: a package
is a mapping of absolute file path -> content, so the kubeadm side can ship its fake
kubeadm/kubectl scripts inside `kubeadm`/`kubectl` at the pinned version.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Fake packages go through pkgs.k8s.io's version scheme, e.g. 1.36.2-1.1.
K8S_DEB_REVISION = "1.1"
KUBE_PACKAGES = ("kubelet", "kubeadm", "kubectl")


def _is_executable(path: str) -> bool:
    return "/bin/" in path or path.startswith("/usr/libexec/")


def build_deb(out_dir: Path, name: str, version: str, files: Mapping[str, str | bytes],
              depends: Iterable[str] = (), description: str = "clusterforge test double",
              scripts: Mapping[str, str] | None = None) -> Path:
    """Build `name_version_all.deb` holding `files` (path -> content; files under */bin/ are 0755)
    and maintainer `scripts` (e.g. {"postinst": "#!/bin/sh\n..."})."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "DEBIAN").mkdir()
        control = [f"Package: {name}", f"Version: {version}", "Architecture: all",
                   "Maintainer: clusterforge tests <tests@clusterforge.invalid>", f"Description: {description}"]
        if depends:
            control.insert(3, f"Depends: {', '.join(depends)}")
        (root / "DEBIAN/control").write_text("\n".join(control) + "\n")
        for script, text in (scripts or {}).items():
            (root / "DEBIAN" / script).write_text(text)
            (root / "DEBIAN" / script).chmod(0o755)
        for path, content in files.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
            target.chmod(0o755 if _is_executable(path) else 0o644)
        deb = out_dir / f"{name}_{version}_all.deb"
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)],
                       check=True, capture_output=True)
    return deb


def default_kube_files(name: str, version: str) -> dict[str, str]:
    """A stand-in binary that only reports its version (part B swaps in richer fakes)."""
    return {f"/usr/bin/{name}": f"#!/bin/sh\n# test double for {name}\necho \"{name} v{version} (clusterforge test double)\"\n"}


class AptRepo:
    """A flat repository in `root`, served at http://<address>:<port>/ while started."""

    def __init__(self, root: Path, address: str, port: int = 8080):
        self.root, self.address, self.port = root, address, port
        self.root.mkdir(parents=True, exist_ok=True)
        self._server: ThreadingHTTPServer | None = None

    @property
    def uri(self) -> str:
        return f"http://{self.address}:{self.port}/"

    def add_debs(self, debs: Iterable[Path]) -> None:
        for deb in debs:
            shutil.copy(deb, self.root / deb.name)

    def add_package(self, name: str, version: str, files: Mapping[str, str | bytes], **kw) -> Path:
        return build_deb(self.root, name, version, files, **kw)

    def add_kube_packages(self, kubernetes_version: str,
                          files: Mapping[str, Mapping[str, str | bytes]] | None = None,
                          scripts: Mapping[str, Mapping[str, str]] | None = None) -> str:
        """kubelet/kubeadm/kubectl at `<kubernetes_version>-1.1`; `files[name]` replaces a package's
        contents, `scripts[name]` gives it maintainer scripts."""
        deb_version = f"{kubernetes_version}-{K8S_DEB_REVISION}"
        for name in KUBE_PACKAGES:
            contents = (files or {}).get(name) or default_kube_files(name, kubernetes_version)
            self.add_package(name, deb_version, contents, scripts=(scripts or {}).get(name))
        return deb_version

    def index(self) -> None:
        """Write Packages, Packages.gz and Release (apt wants a Release file even when trusted)."""
        packages = subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=self.root, check=True,
                                  capture_output=True).stdout
        (self.root / "Packages").write_bytes(packages)
        (self.root / "Packages.gz").write_bytes(gzip.compress(packages, mtime=0))
        lines = ["Origin: clusterforge-testbed", "Label: clusterforge-testbed", "Suite: ./", "SHA256:"]
        for name in ("Packages", "Packages.gz"):
            data = (self.root / name).read_bytes()
            lines.append(f" {hashlib.sha256(data).hexdigest()} {len(data)} {name}")
        (self.root / "Release").write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.index()
        handler = functools.partial(_QuietHandler, directory=str(self.root))
        self._server = ThreadingHTTPServer((self.address, self.port), handler)
        threading.Thread(target=self._server.serve_forever, name="apt-repo", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep pytest output free of access logs
        pass

"""A test host made a real Kubernetes node: containerd, runc and a kubelet under a small supervisor.

The shape measured in ../shared/TOOLCHAIN.md ("Real nodes"), on a host of tests/testbed:
- a holder process in the host's network namespace with its own mount and UTS namespaces,
  where fresh proc and sysfs are mounted with the machine's /sys/fs/cgroup bound in, /run is
  a tmpfs and /var/lib/containerd a plain directory (overlayfs snapshots cannot sit on the
  host's overlay root); containerd, the kubelet and kubeadm run in those namespaces;
- read-only files with the values the kubelet wants bound over <root>/proc/sys/{vm,kernel}/...,
  so the kubelet finds them set and never writes this machine's sysctls;
- one cgroup root per node (/cf<bed>-<host> in every hierarchy), made here and removed here;
- a supervisor in place of systemd's kubelet.service: it (re)starts the kubelet with the
  flags kubeadm writes to /var/lib/kubelet/kubeadm-flags.env.
`close()` kills every process of the node (by its cgroups and its mount namespace), removes
its cgroups and lets its mount namespace go with its last process.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.testbed.hosts import Testbed, TestHost

CGROUP_FS = Path("/sys/fs/cgroup")
# kubelet's setupKernelTunables: it writes these unless they already hold these values.
KUBELET_SYSCTLS = {"vm/overcommit_memory": "1", "vm/panic_on_oom": "0", "kernel/panic": "10",
                   "kernel/panic_on_oops": "1", "kernel/keys/root_maxkeys": "1000000",
                   "kernel/keys/root_maxbytes": "25000000"}
CONTAINERD_CONFIG = """\
# A test node: cgroupfs (no systemd runs here), images imported (no registry), and the OOM
# score kept at containerd's own: this machine lacks CAP_SYS_RESOURCE.
version = 3
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ["/opt/cni/bin"]
  conf_dir = "/etc/cni/net.d"

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "{pause}"
"""
SUPERVISOR = """\
#!/bin/sh
# What kubelet.service does under systemd: (re)start the kubelet with the flags kubeadm wrote,
# once kubeadm has written them, its config and a kubeconfig (systemd would be told to restart).
while :; do
  if [ -f /var/lib/kubelet/config.yaml ] && [ -f /var/lib/kubelet/kubeadm-flags.env ] &&
     { [ -f /etc/kubernetes/bootstrap-kubelet.conf ] || [ -f /etc/kubernetes/kubelet.conf ]; }; then
    . /var/lib/kubelet/kubeadm-flags.env
    /usr/local/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\
      --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml $KUBELET_KUBEADM_ARGS
  fi
  sleep 1
done
"""
HOLDER = """\
set -e
R={root}
hostname {name}
umount -l "$R/proc" 2>/dev/null || true
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mkdir -p "$R/var/lib/containerd"
mount --bind {containerd_dir} "$R/var/lib/containerd"
for f in {sysctl_files}; do
  mount --bind "{sysctl_dir}/$f" "$R/proc/sys/$(echo "$f" | tr . /)"
  mount -o remount,bind,ro "$R/proc/sys/$(echo "$f" | tr . /)"
done
echo 1 > "$R/proc/sys/net/ipv4/ip_forward"
echo ready
exec sleep infinity
"""


def _run(*cmd: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def cgroup_hierarchies() -> list[Path]:
    """Every hierarchy mounted under /sys/fs/cgroup: this machine is hybrid, the v1 controllers
    plus the v2 `unified` one, where runc and the kubelet make a node's groups too."""
    return sorted(p for p in CGROUP_FS.iterdir() if p.is_dir() and (p / "cgroup.procs").exists())


class RealNode:
    """One test host run as a Kubernetes node; `close()` undoes everything it made."""

    def __init__(self, bed: Testbed, host: TestHost, bins: dict[str, Path], cni_dir: Path, pause_image: str):
        self.bed, self.host, self.root = bed, host, host.root
        self.name = host.name
        self.cgroup_root = f"cf{bed.bed}-{host.name}"
        self.work = bed.dir / f"{host.name}-node"
        self.logs = self.work / "logs"
        self.daemons: list[subprocess.Popen] = []
        self.holder: subprocess.Popen | None = None
        try:
            self._install(bins, cni_dir, pause_image)
            self._make_cgroups()
            self._start_holder()
            self.start("containerd", ["/usr/local/bin/containerd"])
            self._wait_for(lambda: self.exec("ctr", "version", check=False).returncode == 0, 30, "containerd")
            self.start("kubelet-supervisor", ["/usr/local/bin/kubelet-supervisor"])
        except BaseException:
            self.close()
            raise

    # -- setup ----------------------------------------------------------------------------
    def _install(self, bins: dict[str, Path], cni_dir: Path, pause_image: str) -> None:
        self.logs.mkdir(parents=True)
        for name, path in bins.items():
            shutil.copy2(path, self.root / "usr/local/bin" / name)
        (self.root / "opt/cni/bin").mkdir(parents=True, exist_ok=True)
        for plugin in cni_dir.iterdir():
            if plugin.is_file() and not plugin.name.startswith("."):
                shutil.copy2(plugin, self.root / "opt/cni/bin" / plugin.name)
        (self.root / "etc/containerd").mkdir(exist_ok=True)
        (self.root / "etc/containerd/config.toml").write_text(CONTAINERD_CONFIG.format(pause=pause_image))
        supervisor = self.root / "usr/local/bin/kubelet-supervisor"
        supervisor.write_text(SUPERVISOR)
        supervisor.chmod(0o755)
        # Pods resolve through an address on the test bridge: no query leaves the machine.
        (self.root / "etc/resolv.conf").write_text(f"nameserver {self.bed.gateway}\n")
        sysctl_dir = self.work / "sysctl"
        sysctl_dir.mkdir()
        for key, value in KUBELET_SYSCTLS.items():
            (sysctl_dir / key.replace("/", ".")).write_text(value + "\n")
        (self.work / "containerd").mkdir()

    def _make_cgroups(self) -> None:
        for hierarchy in cgroup_hierarchies():
            (hierarchy / self.cgroup_root).mkdir()
            if hierarchy.name == "cpuset":  # a child cpuset starts empty; give it its parent's
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    (hierarchy / self.cgroup_root / knob).write_text((hierarchy / knob).read_text())

    def _start_holder(self) -> None:
        script = HOLDER.format(root=self.root, name=self.name, containerd_dir=self.work / "containerd",
                               sysctl_dir=self.work / "sysctl",
                               sysctl_files=" ".join(k.replace("/", ".") for k in KUBELET_SYSCTLS))
        self.holder = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.host.netns}", "--", "unshare", "--mount", "--uts",
             "--propagation", "private", "--", "sh", "-c", script],
            stdout=subprocess.PIPE, stderr=open(self.logs / "holder.log", "wb"), text=True)
        line = self.holder.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"node {self.name}: the namespace holder failed: "
                               f"{(self.logs / 'holder.log').read_text()[-2000:]}")

    def _enter(self) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-u", "-n", "--", "chroot", str(self.root)]

    # -- use ------------------------------------------------------------------------------
    def exec(self, *cmd: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a command on the node (its namespaces and root)."""
        env_cmd = ["env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", *cmd]
        return _run(*self._enter(), *env_cmd, check=check, timeout=timeout)

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        """A daemon of the node, in its own process group (so it is stopped by its id)."""
        proc = subprocess.Popen([*self._enter(), "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 *cmd], stdout=subprocess.DEVNULL, stderr=open(self.logs / f"{name}.log", "wb"),
                                start_new_session=True)
        self.daemons.append(proc)
        return proc

    @staticmethod
    def _wait_for(check, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{what} did not come up in {seconds:.0f}s")

    def restart_kubelet(self) -> None:
        """What `systemctl restart kubelet` does: the supervisor starts it again (new binary, flags);
        after `kubeadm reset` removed kubeadm's files it is what `systemctl stop kubelet` does."""
        for pid in self.processes():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "kubelet":
                    os.kill(pid, signal.SIGTERM)
            except (OSError, ProcessLookupError):
                pass

    # -- teardown -------------------------------------------------------------------------
    def _mount_ns(self) -> str | None:
        try:
            return os.readlink(f"/proc/{self.holder.pid}/ns/mnt") if self.holder else None
        except OSError:
            return None

    def processes(self) -> set[int]:
        """Every process of the node: in its cgroups (pods) or its mount namespace (daemons, shims)."""
        pids: set[int] = set()
        for hierarchy in cgroup_hierarchies():
            base = hierarchy / self.cgroup_root
            if base.is_dir():
                for procs in base.rglob("cgroup.procs"):
                    try:
                        pids |= {int(p) for p in procs.read_text().split()}
                    except OSError:
                        pass
        ns = self._mount_ns()
        if ns:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        if os.readlink(entry / "ns/mnt") == ns:
                            pids.add(int(entry.name))
                    except OSError:
                        pass
        pids.discard(os.getpid())
        return pids

    def cgroups(self) -> list[Path]:
        return [h / self.cgroup_root for h in cgroup_hierarchies() if (h / self.cgroup_root).exists()]

    def close(self) -> None:
        for proc in self.daemons:  # the supervisor first, so it restarts nothing
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.daemons:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        holder = self.holder.pid if self.holder else None
        for _ in range(50):  # pods, shims, anything left in the node's cgroups or mounts
            left = self.processes() - {holder}
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        if self.holder is not None and self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(5)
        for base in self.cgroups():  # deepest first
            for cg in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                cg.rmdir()
            base.rmdir()

#!/usr/bin/env python3
"""Measure, on this host, what a VM costs next to a container: start time and idle memory.

VM:        QEMU boots a copy-on-write overlay of the lab's Vagrant box image (the same disk
           `vagrant up` boots, without Vagrant's orchestration). Measured: seconds from
           starting QEMU to sshd's banner, and to a completed `ssh vagrant@... true` login;
           then, after the guest settles, the QEMU process's PSS on the host (what the idle
           VM really costs) and the guest's own `used` memory.
Container: the lab's systemd node image (k3s-lab/node, built by scripts/labtool/images) under Docker.
           Measured: `docker run` of a plain process to exit; a container running an HTTP
           server (python3 -m http.server) to its first answer, as an app pod is "up"; a
           systemd container (a whole node OS) to `systemctl is-system-running`; the idle
           memory of the last two as the PSS of their processes.

Run it on the host that runs the lab, with nothing else busy, e.g.
    sudo python -m labtool.vm_vs_container --json measurements.json
Under QEMU TCG (no KVM) the VM boot is far slower than on KVM: say which one you measured.
Prints a table; --json also writes every sample. Exit 2 when a prerequisite is missing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import yaml

from labtool import REPO
from labtool.images.node import NODE_IMAGE

# How systemd node containers start (shared with molecule and the containers inventory).
NODE_CONTAINER_SETTINGS = REPO / "scripts" / "labtool" / "images" / "node-container.yml"
VAGRANT_KEY_GLOBS = (
    "~/.vagrant.d/insecure_private_key",
    "/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant",
    "/opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant",
)
DEFAULT_BOX_GLOB = "~/.vagrant.d/boxes/debian12-local/*/libvirt/box.img"


class QemuExited(RuntimeError):
    """QEMU stopped before the guest answered (e.g. KVM present but unusable)."""


class Missing(Exception):
    """A prerequisite is missing; the message says which and how to get it."""


def run(*cmd: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({result.returncode}): {result.stderr.strip()[:500]}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, interval: float = 0.05) -> float:
    """Seconds until `condition()` is true (measured by the caller's clock start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"not reached within {timeout:g} s")


def mib(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


# --- containers ---------------------------------------------------------------------------

def systemd_container_args() -> list[str]:
    """`docker run` options for a systemd node container, from the settings molecule and the
    containers inventory share: --privileged where the kernel grants every capability (the
    same test they make), else the explicit capability list."""
    settings = yaml.safe_load(NODE_CONTAINER_SETTINGS.read_text())
    container = settings["lab_node_container"]
    bounding = int(re.search(r"CapBnd:\s*([0-9a-f]+)", Path("/proc/self/status").read_text()).group(1), 16)
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    if bounding == 2 ** (last + 1) - 1:
        args = ["--privileged"]
    else:
        args = [arg for cap in settings["lab_node_capabilities"] for arg in ("--cap-add", cap)]
    args += [arg for opt in container["security_opts"] for arg in ("--security-opt", opt)]
    args += ["--cgroupns", container["cgroupns_mode"], "--stop-signal", container["stop_signal"]]
    args += [arg for volume in container["volumes"] for arg in ("-v", volume)]
    args += [arg for tmpfs in container["tmpfs"] for arg in ("--tmpfs", tmpfs)]
    return args


def pss(pid: int) -> int:
    """Proportional set size in bytes: resident memory, shared pages split among their users."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Pss:\s*(\d+) kB", rollup, re.M).group(1)) * 1024


def docker_memory(container: str) -> float:
    """Host memory of every process in the container (sum of PSS), the same measure as the
    VM's QEMU process; cgroup counters differ between cgroup v1 and v2 hosts."""
    pids = run("docker", "top", container, "-eo", "pid").stdout.split()[1:]
    return sum(pss(int(pid)) for pid in pids)


@contextmanager
def container(*args: str):
    name = f"measure-{os.getpid()}-{time.monotonic_ns()}"
    try:
        yield name, ["docker", "run", "-d", "--name", name, *args]
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def container_process_start(image: str) -> float:
    start = time.monotonic()
    run("docker", "run", "--rm", "--network", "none", image, "true")
    return time.monotonic() - start


def container_start(args: list[str], up, settle: float, timeout: float, interval: float) -> tuple[float, float]:
    """Seconds from `docker run` until `up(container name)`, then the idle memory after `settle` s."""
    with container(*args) as (name, cmd):
        start = time.monotonic()
        run(*cmd)
        ready = wait_until(lambda: up(name), timeout, interval) - start
        time.sleep(settle)
        return ready, docker_memory(name)


def container_http_start(image: str, settle: float) -> tuple[float, float]:
    port = free_port()

    def answers(_name: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    args = ["-p", f"127.0.0.1:{port}:8080", image, "python3", "-m", "http.server", "8080"]
    return container_start(args, answers, settle, timeout=60, interval=0.05)


def container_systemd_start(image: str, settle: float) -> tuple[float, float]:
    def booted(name: str) -> bool:
        state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return state in ("running", "degraded")

    args = [*systemd_container_args(), image, "/lib/systemd/systemd"]
    return container_start(args, booted, settle, timeout=120, interval=0.1)


# --- VMs --------------------------------------------------------------------------------------

def find_first(patterns: tuple[str, ...] | list[str]) -> Path | None:
    for pattern in patterns:
        found = sorted(glob.glob(os.path.expanduser(pattern)))
        if found:
            return Path(found[-1])
    return None


def kvm_usable() -> bool:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def ssh_banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.settimeout(2)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def guest_ram_resident(pid: int, memory_mib: int) -> int:
    """Resident bytes of QEMU's guest-RAM mapping (the one as large as the VM's memory):
    the pages the guest has touched. The rest of QEMU's PSS is QEMU itself, including
    TCG's translated-code cache."""
    size, best = None, (None, 0)
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if line.startswith("Size:"):
            size = int(line.split()[1])
        elif line.startswith("Rss:") and size is not None:
            if size >= memory_mib * 1024 and (best[0] is None or size < best[0]):
                best = (size, int(line.split()[1]))
            size = None
    return best[1] * 1024


def ssh(port: int, key: Path, command: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-i", str(key), "-p", str(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
         "vagrant@127.0.0.1", command],
        capture_output=True, text=True, timeout=timeout,
    )


def vm_boot(image: Path, key: Path, accel: str, memory_mib: int, cpus: int, settle: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="measure-vm-") as tmp:
        overlay = Path(tmp) / "overlay.qcow2"
        run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image), str(overlay))
        port = free_port()
        cpu = "host" if accel == "kvm" else "qemu64"
        cmd = ["qemu-system-x86_64", "-machine", f"pc,accel={accel}", "-cpu", cpu, "-m", str(memory_mib),
               "-smp", str(cpus), "-drive", f"file={overlay},if=virtio",
               "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22", "-device", "virtio-net-pci,netdev=n0",
               "-display", "none", "-serial", f"file:{tmp}/console.log", "-monitor", "none"]
        start = time.monotonic()
        qemu = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def sshd_answers() -> bool:
            if qemu.poll() is not None:
                raise QemuExited(f"qemu ({accel}) exited with {qemu.returncode}: {qemu.stderr.read().strip()[:500]}")
            return ssh_banner(port)

        try:
            banner = wait_until(sshd_answers, timeout=600, interval=0.5) - start
            login = wait_until(lambda: ssh(port, key, "true").returncode == 0, timeout=120, interval=0.5) - start
            time.sleep(settle)
            free = ssh(port, key, "free -b | awk '/^Mem:/ {print $3, $6}'")
            used, cache = (int(x) for x in free.stdout.split()) if free.returncode == 0 else (None, None)
            return {"ssh_banner_s": round(banner, 2), "ssh_login_s": round(login, 2),
                    "host_pss_mib": mib(pss(qemu.pid)),
                    "guest_ram_resident_mib": mib(guest_ram_resident(qemu.pid, memory_mib)),
                    "guest_used_mib": mib(used) if used is not None else None,
                    "guest_cache_mib": mib(cache) if cache is not None else None}
        except TimeoutError as exc:
            raise RuntimeError(f"VM did not come up ({exc}); console log tail:\n"
                               + Path(tmp, "console.log").read_text(errors="replace")[-2000:]) from exc
        finally:
            qemu.terminate()
            try:
                qemu.wait(timeout=30)
            except subprocess.TimeoutExpired:
                qemu.kill()
                qemu.wait()


def private_key_copy(key: Path, tmp: Path) -> Path:
    """ssh refuses a key others can read; the packaged insecure key is 0644."""
    copy = tmp / "vagrant_key"
    shutil.copyfile(key, copy)
    copy.chmod(0o600)
    return copy


# --- report -----------------------------------------------------------------------------------

def summary(samples: list[float]) -> str:
    if not samples:
        return "not measured"
    if len(samples) == 1:
        return f"{samples[0]:.2f}"
    return f"median {statistics.median(samples):.2f} (min {min(samples):.2f}, max {max(samples):.2f}, n={len(samples)})"


def host_facts(accel: str | None) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "vm_accel": accel,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--container-runs", type=int, default=5)
    parser.add_argument("--vm-runs", type=int, default=2, help="0 skips the VM")
    parser.add_argument("--vm-image", type=Path, help=f"qcow2 disk to boot (default: the box at {DEFAULT_BOX_GLOB})")
    parser.add_argument("--ssh-key", type=Path, help="private key of the box's vagrant user (default: Vagrant's insecure key)")
    parser.add_argument("--accel", choices=("auto", "kvm", "tcg"), default="auto")
    parser.add_argument("--vm-memory", type=int, default=1536, help="MiB, default 1536 (a lab agent)")
    parser.add_argument("--vm-cpus", type=int, default=1)
    parser.add_argument("--settle", type=float, default=15.0, help="idle seconds before reading memory")
    parser.add_argument("--image", default=NODE_IMAGE,
                        help="container image (default: the lab's node image, %(default)s)")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)

    try:
        results = measure(args)
    except Missing as exc:
        print(f"vm_vs_container: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(render(results))
    return 0


def measure(args: argparse.Namespace) -> dict:
    image = args.image
    if shutil.which("docker") is None or run("docker", "image", "inspect", image, check=False).returncode != 0:
        raise Missing(f"docker or the image {image} is missing (build it: python -m labtool.images.node)")

    accel = None
    vm_image = key = None
    if args.vm_runs:
        vm_image = args.vm_image or find_first([DEFAULT_BOX_GLOB])
        key = args.ssh_key or find_first(VAGRANT_KEY_GLOBS)
        if not vm_image or not vm_image.is_file():
            raise Missing("no VM disk image: pass --vm-image, or build the box (vagrant/box/build_box.py) "
                          "or --vm-runs 0 to measure containers only")
        if not key:
            raise Missing("no private key for the box's vagrant user: pass --ssh-key")
        if shutil.which("qemu-system-x86_64") is None:
            raise Missing("qemu-system-x86_64 not installed (Debian: apt-get install qemu-system-x86)")
        accel = {"auto": "kvm" if kvm_usable() else "tcg"}.get(args.accel, args.accel)

    results = {"host": host_facts(accel), "container_image": image, "vm_image": str(vm_image) if vm_image else None,
               "process_start_s": [], "http_start_s": [], "http_idle_mib": [],
               "systemd_start_s": [], "systemd_idle_mib": [], "vm": []}
    for _ in range(args.container_runs):
        results["process_start_s"].append(round(container_process_start(image), 3))
        ready, memory = container_http_start(image, args.settle)
        results["http_start_s"].append(round(ready, 3))
        results["http_idle_mib"].append(mib(memory))
        ready, memory = container_systemd_start(image, args.settle)
        results["systemd_start_s"].append(round(ready, 3))
        results["systemd_idle_mib"].append(mib(memory))
        print(f"container run done: {results['http_start_s'][-1]} s to HTTP, "
              f"{results['systemd_start_s'][-1]} s to systemd running", file=sys.stderr)
    if args.vm_runs:
        with tempfile.TemporaryDirectory() as tmp:
            private_key = private_key_copy(key, Path(tmp))
            for _ in range(args.vm_runs):
                try:
                    sample = vm_boot(vm_image, private_key, accel, args.vm_memory, args.vm_cpus, args.settle)
                except QemuExited as exc:
                    # /dev/kvm can open yet refuse guests (nested virtualisation): use TCG.
                    if args.accel != "auto" or accel != "kvm":
                        raise
                    print(f"{exc}\nfalling back to TCG", file=sys.stderr)
                    accel = results["host"]["vm_accel"] = "tcg"
                    sample = vm_boot(vm_image, private_key, accel, args.vm_memory, args.vm_cpus, args.settle)
                results["vm"].append(sample)
                print(f"VM run done: {sample}", file=sys.stderr)
    results["host"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def render(r: dict) -> str:
    vm = r["vm"]
    rows = [
        ("container: docker run of a process, to exit (s)", summary(r["process_start_s"])),
        ("container: HTTP server, to first answer (s)", summary(r["http_start_s"])),
        ("container: systemd node OS, to running (s)", summary(r["systemd_start_s"])),
        (f"VM ({r['host']['vm_accel']}): boot to sshd banner (s)", summary([s["ssh_banner_s"] for s in vm])),
        (f"VM ({r['host']['vm_accel']}): boot to SSH login (s)", summary([s["ssh_login_s"] for s in vm])),
        ("idle memory: HTTP server container, PSS (MiB)", summary(r["http_idle_mib"])),
        ("idle memory: systemd node container, PSS (MiB)", summary(r["systemd_idle_mib"])),
        ("idle memory: VM, QEMU process PSS on the host (MiB)", summary([s["host_pss_mib"] for s in vm])),
        ("  of which guest RAM the guest touched (MiB)", summary([s["guest_ram_resident_mib"] for s in vm])),
        ("idle memory: VM, guest 'used' (MiB)", summary([s["guest_used_mib"] for s in vm if s["guest_used_mib"]])),
        ("idle memory: VM, guest 'buff/cache' (MiB)", summary([s["guest_cache_mib"] for s in vm if s["guest_cache_mib"]])),
    ]
    host = r["host"]
    width = max(len(k) for k, _ in rows)
    lines = [f"measured {host['date']} on {host['cpu']} ({host['cores']} cores, {host['memory_gib']} GiB, "
             f"kernel {host['kernel']}), load average {host['load_average_at_start']} -> "
             f"{host['load_average_at_end']}"]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

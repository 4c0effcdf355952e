"""Build (once) and cache a Debian root filesystem tarball with debootstrap.

The default tarball is the common base of the systemd node image (labtool.images.node) and
of the locally built Vagrant box, so both start from the same bytes. Other images
(labtool.images.python_base) pass their own package list, name and finishing step; every
debootstrap run of the lab goes through here. A tarball is cached under the lab
cache directory and rebuilt only when its name, the suite, the package set or the
debootstrap variant change (they are part of the file name).

CLI: python -m labtool.images.rootfs [--suite bookworm] [--force]   (prints the path)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_SUITE = "bookworm"
VARIANT = "minbase"
# What a systemd container managed by Ansible needs; the box builder adds a kernel on top.
PACKAGES = ("systemd", "systemd-sysv", "python3", "sudo", "openssh-server", "iproute2", "ca-certificates")
SOURCES_LIST = Path("/etc/apt/sources.list")
SOURCES_DIR = Path("/etc/apt/sources.list.d")


class RootfsError(RuntimeError):
    """A failure the user can fix; the message says how."""


def cache_dir() -> Path:
    """Where built artifacts live: $LAB_CACHE_DIR, else the XDG cache dir."""
    if explicit := os.environ.get("LAB_CACHE_DIR"):
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "k3s-lab"


def _deb822_uris(text: str, suite: str) -> list[str]:
    uris = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            match = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if match:
                fields[match.group(1).lower()] = match.group(2).split()
        if suite in fields.get("suites", []) and "deb" in fields.get("types", []):
            uris.extend(fields.get("uris", []))
    return uris


def _one_line_uris(text: str, suite: str) -> list[str]:
    uris = []
    for line in text.splitlines():
        # deb [options] URI suite components...
        match = re.match(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
        if match and match.group(2) == suite:
            uris.append(match.group(1))
    return uris


def find_mirror(suite: str = DEFAULT_SUITE) -> str:
    """The Debian mirror: $DEBIAN_MIRROR, else the host's apt sources for `suite`."""
    if explicit := os.environ.get("DEBIAN_MIRROR"):
        return explicit
    candidates: list[str] = []
    if SOURCES_DIR.is_dir():
        for path in sorted(SOURCES_DIR.glob("*.sources")):
            candidates += _deb822_uris(path.read_text(), suite)
        for path in sorted(SOURCES_DIR.glob("*.list")):
            candidates += _one_line_uris(path.read_text(), suite)
    if SOURCES_LIST.is_file():
        candidates += _one_line_uris(SOURCES_LIST.read_text(), suite)
    http = [uri for uri in candidates if uri.startswith(("http://", "https://"))]
    if not http:
        raise RootfsError(
            f"no Debian mirror for suite {suite!r}: set DEBIAN_MIRROR to a mirror URL "
            f"or add a 'deb' source for {suite} to {SOURCES_DIR}/*.sources or {SOURCES_LIST}"
        )
    return http[0]


def tarball_path(suite: str = DEFAULT_SUITE, packages: Sequence[str] | None = None, name: str = "rootfs") -> Path:
    """The cache file name encodes everything that changes its content."""
    packages = PACKAGES if packages is None else packages
    digest = hashlib.sha256(" ".join((suite, VARIANT, *packages)).encode()).hexdigest()[:10]
    return cache_dir() / f"{name}-{suite}-{VARIANT}-{digest}.tar"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a build step, echoed to stderr; every image and box builder runs its commands so."""
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def reset_machine_id(root: Path) -> None:
    """Every machine made from this tree must generate its own id at first boot."""
    (root / "etc/machine-id").write_text("")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)


def build_rootfs_tarball(
    suite: str = DEFAULT_SUITE,
    force: bool = False,
    packages: Sequence[str] | None = None,
    name: str = "rootfs",
    finish: Callable[[Path], None] | None = None,
) -> Path:
    """Return the cached tarball for `suite`, running debootstrap if it is missing.

    `packages` defaults to the node's PACKAGES; `finish(root)` adjusts the tree
    (after the lab's own clean-up) before it is packed.
    """
    packages = PACKAGES if packages is None else packages
    target = tarball_path(suite, packages, name)
    if target.is_file() and not force:
        print(f"{name} cached: {target}", file=sys.stderr)
        return target
    if os.geteuid() != 0:
        raise RootfsError("debootstrap needs root: run this as root (or with sudo)")
    if shutil.which("debootstrap") is None:
        raise RootfsError("debootstrap is not installed: apt-get install debootstrap")
    mirror = find_mirror(suite)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f"{name}-") as workdir:
        root = Path(workdir) / "root"
        run(["debootstrap", f"--variant={VARIANT}", f"--include={','.join(packages)}", suite, str(root), mirror])
        reset_machine_id(root)
        for cache in (root / "var/cache/apt/archives").glob("*.deb"):
            cache.unlink()
        if finish:
            finish(root)
        partial = Path(workdir) / "rootfs.tar"
        run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."])
        # Rename last so an interrupted build never leaves a tarball that looks complete.
        partial.replace(target)
    print(f"{name} built: {target}", file=sys.stderr)
    return target


def run_build(build: Callable[[], object]) -> int:
    """The command-line ending every image builder shares: print the result, or one error line."""
    try:
        print(build())
    except (RootfsError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def run_force_cli(doc: str, build: Callable[[bool], object], argv: list[str] | None) -> int:
    """The whole command line of a builder whose one option is --force."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if already built")
    args = parser.parse_args(argv)
    return run_build(lambda: build(args.force))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=DEFAULT_SUITE, help="Debian suite (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    return run_build(lambda: build_rootfs_tarball(args.suite, force=args.force))


if __name__ == "__main__":
    sys.exit(main())

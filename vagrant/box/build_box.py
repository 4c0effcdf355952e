#!/usr/bin/env python3
"""Build a Debian 12 libvirt Vagrant box offline, from Debian's mirror only.

For hosts that cannot reach Vagrant Cloud. It starts from the shared debootstrap
rootfs (scripts/labtool/images/rootfs.py, also the base of the container node image),
adds a kernel, GRUB, systemd-networkd DHCP and the vagrant user, writes it to a
partitioned disk through a loop device, and packs qcow2 + metadata.json into a
.box that `vagrant box add` registers. Needs root, debootstrap, qemu-img, sfdisk.

    python3 vagrant/box/build_box.py [--name debian12-local] [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labtool.images.rootfs import RootfsError, build_rootfs_tarball, cache_dir, reset_machine_id, run, run_build

BOX_NAME = "debian12-local"
SUITE = "bookworm"
DISK_GIB = 10
# On top of the rootfs: what a VM (not a container) needs to boot and be driven by Vagrant.
PACKAGES = (
    "linux-image-amd64", "grub-pc", "udev", "kmod", "netbase", "systemd-resolved", "dbus", "qemu-guest-agent", "rsync",
)
CHROOT_ENV = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "DEBIAN_FRONTEND": "noninteractive",
    "LC_ALL": "C",
    "HOME": "/root",
}
REQUIRED_TOOLS = ("sfdisk", "losetup", "partx", "mkfs.ext4", "fstrim", "qemu-img", "tar", "chroot", "mount")

NETWORK_UNIT = """\
# Any NIC: DHCP. Vagrant adds 50-vagrant-<nic>.network for static private IPs.
[Match]
Name=en* eth*

[Network]
DHCP=yes
"""
HOST_KEYS_UNIT = """\
# The image ships without SSH host keys so that no two VMs share them.
[Unit]
Description=Generate missing SSH host keys
Before=ssh.service
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""
GRUB_DEFAULTS = """\
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
# eth0/eth1 names like the public debian/bookworm64 box; console on serial for `virsh console`.
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8 net.ifnames=0 biosdevname=0"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200"
"""


class BoxError(RootfsError):
    """A failure the user can fix; the message says how."""


def output(cmd: list[str]) -> str:
    return run(cmd, capture_output=True, text=True).stdout.strip()


def find_insecure_key() -> Path:
    """Vagrant's public insecure key, shipped inside the Vagrant installation."""
    if explicit := os.environ.get("VAGRANT_INSECURE_KEY"):
        return Path(explicit)
    vagrant = shutil.which("vagrant")
    if vagrant is None:
        raise BoxError("vagrant is not installed (Debian: apt-get install vagrant vagrant-libvirt)")
    candidates: list[str] = []
    # Distribution packages install vagrant as a gem of the system ruby.
    if shutil.which("ruby"):
        probe = subprocess.run(["ruby", "-e", 'print Gem::Specification.find_by_name("vagrant").gem_dir'],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout:
            candidates.append(os.path.join(probe.stdout, "keys", "vagrant.pub"))
    # HashiCorp's package embeds its own ruby and gems under its install prefix.
    prefix = Path(os.path.realpath(vagrant)).parent.parent
    candidates += sorted(glob.glob(str(prefix / "embedded" / "gems" / "**" / "keys" / "vagrant.pub"), recursive=True))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return Path(candidate)
    raise BoxError(
        f"Vagrant's insecure public key (keys/vagrant.pub) not found near {vagrant}: "
        "set VAGRANT_INSECURE_KEY to its path"
    )


def box_registered(name: str) -> bool:
    listing = subprocess.run(["vagrant", "box", "list", "--machine-readable"], capture_output=True, text=True)
    return any(line.split(",")[3:4] == [name] for line in listing.stdout.splitlines() if ",box-name," in line)


def check_host() -> None:
    if os.geteuid() != 0:
        raise BoxError("building a box needs root (loop devices, mounts, chroot)")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise BoxError(f"missing tools: {', '.join(missing)} (Debian: apt-get install fdisk util-linux e2fsprogs qemu-utils)")


@contextlib.contextmanager
def loop_device(image: Path):
    device = output(["losetup", "-f", "--show", str(image)])
    try:
        # `losetup -P` does not create the partition node on every host; partx does.
        run(["partx", "-a", device])
        partition = f"{device}p1"
        for _ in range(50):
            if os.path.exists(partition):
                break
            time.sleep(0.1)
        else:
            raise BoxError(f"{partition} did not appear after partx -a {device}")
        yield device, partition
    finally:
        subprocess.run(["partx", "-d", device], check=False)
        subprocess.run(["losetup", "-d", device], check=False)


@contextlib.contextmanager
def mounted(source: str, target: Path, *options: str):
    target.mkdir(parents=True, exist_ok=True)
    run(["mount", *options, source, str(target)])
    # Private: nothing mounted or unmounted here may propagate to the host's tree.
    run(["mount", "--make-private", str(target)])
    try:
        yield target
    finally:
        if subprocess.run(["umount", str(target)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(target)], check=False)


def chroot(root: Path, *cmd: str) -> None:
    run(["chroot", str(root), *cmd], env=CHROOT_ENV)


def install_packages(root: Path) -> None:
    # Keep daemons from starting inside the chroot while packages install.
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    resolv = root / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    shutil.copyfile("/etc/resolv.conf", resolv)
    try:
        chroot(root, "apt-get", "update")
        chroot(root, "apt-get", "install", "-y", "--no-install-recommends", *PACKAGES)
        chroot(root, "apt-get", "clean")
    finally:
        policy.unlink()
    resolv.unlink(missing_ok=True)
    resolv.symlink_to("../run/systemd/resolve/stub-resolv.conf")


def configure(root: Path, insecure_key: Path) -> None:
    (root / "etc/systemd/network/80-dhcp.network").write_text(NETWORK_UNIT)
    (root / "etc/systemd/system/ssh-host-keys.service").write_text(HOST_KEYS_UNIT)
    (root / "etc/hostname").write_text("debian\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    (root / "etc/fstab").write_text("LABEL=root / ext4 errors=remount-ro 0 1\n")
    (root / "etc/default/grub").write_text(GRUB_DEFAULTS)
    (root / "etc/ssh/sshd_config.d/vagrant.conf").write_text("# No reverse lookups: they stall logins on isolated networks.\nUseDNS no\n")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    chroot(root, "systemctl", "enable",
           "systemd-networkd", "systemd-resolved", "ssh", "ssh-host-keys", "serial-getty@ttyS0")

    chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "vagrant")
    sudoers = root / "etc/sudoers.d/vagrant"
    sudoers.write_text("vagrant ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    ssh_dir = root / "home/vagrant/.ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "authorized_keys").write_text(insecure_key.read_text())
    (ssh_dir / "authorized_keys").chmod(0o600)
    chroot(root, "chown", "-R", "vagrant:vagrant", "/home/vagrant/.ssh")

    # Again: installing dbus and systemd packages may have written one.
    reset_machine_id(root)


def install_bootloader(root: Path, device: str) -> None:
    chroot(root, "grub-install", "--target=i386-pc", device)
    chroot(root, "update-grub")
    grub_cfg = root / "boot/grub/grub.cfg"
    # update-grub names the build host's loop device (or its UUID); the VM boots by label.
    text = re.sub(r"root=(/dev/loop\d+p1|UUID=[0-9a-fA-F-]+)", "root=LABEL=root", grub_cfg.read_text())
    if "root=LABEL=root" not in text:
        raise BoxError(f"{grub_cfg} has no kernel root= to rewrite")
    grub_cfg.write_text(text)


def build_disk(workdir: Path, tarball: Path, insecure_key: Path) -> Path:
    raw = workdir / "disk.raw"
    with raw.open("wb") as disk:
        disk.truncate(DISK_GIB * 1024**3)
    run(["sfdisk", "--quiet", str(raw)], input=b"label: dos\n,,L,*\n")
    with contextlib.ExitStack() as stack:
        device, partition = stack.enter_context(loop_device(raw))
        run(["mkfs.ext4", "-q", "-L", "root", partition])
        root = stack.enter_context(mounted(partition, workdir / "root"))
        run(["tar", "--numeric-owner", "-xf", str(tarball), "-C", str(root)])
        stack.enter_context(mounted("proc", root / "proc", "-t", "proc"))
        stack.enter_context(mounted("sysfs", root / "sys", "-t", "sysfs"))
        stack.enter_context(mounted("/dev", root / "dev", "--bind"))
        install_packages(root)
        configure(root, insecure_key)
        install_bootloader(root, device)
        # Hand freed blocks back to the sparse file: the qcow2 then holds only live data.
        run(["fstrim", str(root)])
        stack.close()
        run(["sync"])
    return raw


def pack(workdir: Path, raw: Path, box: Path) -> None:
    image = workdir / "box.img"
    run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(image)])
    raw.unlink()
    metadata = {"provider": "libvirt", "format": "qcow2", "virtual_size": DISK_GIB}
    (workdir / "metadata.json").write_text(json.dumps(metadata) + "\n")
    partial = box.with_suffix(".partial")
    run(["tar", "-C", str(workdir), "-cf", str(partial), "metadata.json", "box.img"])
    partial.replace(box)  # no half-written box ever looks complete


def build_box(name: str = BOX_NAME, force: bool = False) -> Path:
    box = cache_dir() / f"{name}.box"
    if box.is_file() and not force:
        print(f"box cached: {box}", file=sys.stderr)
    else:
        check_host()
        insecure_key = find_insecure_key()
        tarball = build_rootfs_tarball(SUITE)
        box.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=box.parent, prefix="box-") as workdir:
            raw = build_disk(Path(workdir), tarball, insecure_key)
            pack(Path(workdir), raw, box)
    if force or not box_registered(name):
        run(["vagrant", "box", "add", "--force", "--name", name, str(box)])
    else:
        print(f"box registered: {name}", file=sys.stderr)
    return box


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=BOX_NAME, help="box name for vagrant (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild and re-add even if present")
    args = parser.parse_args(argv)
    return run_build(lambda: build_box(args.name, force=args.force))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The lab's settings: vagrant/settings.yml plus LAB_* environment overrides.

One implementation for both consumers, so machines and inventory never drift:
the Vagrantfile runs `python -m labtool.settings` and reads its JSON;
inventory/vagrant/hosts.py imports it. Errors name the setting and the variable to fix.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import ipaddress
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Mapping

from labtool import REPO

try:
    import yaml
except ImportError:  # the Vagrantfile may run this with a python3 outside the venv
    sys.exit(f"lab settings: PyYAML is missing for {sys.executable}: run scripts/lab-up or activate .venv")

DEFAULT_SETTINGS = REPO / "vagrant" / "settings.yml"
# The one pin of the k3s release, shared by every inventory.
K3S_PIN_FILE = REPO / "playbooks" / "group_vars" / "all" / "k3s.yml"

# setting path in settings.yml -> (environment variable, type)
OVERRIDES: dict[tuple[str, ...], tuple[str, type]] = {
    ("servers",): ("LAB_SERVERS", int),
    ("agents",): ("LAB_AGENTS", int),
    ("server", "cpus"): ("LAB_SERVER_CPUS", int),
    ("server", "memory"): ("LAB_SERVER_MEMORY", int),
    ("agent", "cpus"): ("LAB_AGENT_CPUS", int),
    ("agent", "memory"): ("LAB_AGENT_MEMORY", int),
    ("box",): ("LAB_BOX", str),
    ("network", "cidr"): ("LAB_NETWORK_CIDR", str),
    ("network", "server_offset"): ("LAB_SERVER_IP_OFFSET", int),
    ("network", "agent_offset"): ("LAB_AGENT_IP_OFFSET", int),
    ("network", "iface"): ("LAB_NODE_IFACE", str),
    ("k3s_version",): ("LAB_K3S_VERSION", str),
    ("ansible_tags",): ("LAB_ANSIBLE_TAGS", str),
    ("libvirt", "driver"): ("LAB_LIBVIRT_DRIVER", str),
    ("libvirt", "storage_pool"): ("LAB_STORAGE_POOL", str),
    ("libvirt", "uri"): ("LAB_LIBVIRT_URI", str),
    ("libvirt", "domain_prefix"): ("LAB_DOMAIN_PREFIX", str),
}

K3S_VERSION_PATTERN = re.compile(r"^v\d+\.\d+\.\d+\+k3s\d+$")
KVM_GET_API_VERSION = 0xAE00  # ioctl from linux/kvm.h
KVM_API_VERSION = 12


class SettingsError(ValueError):
    """The settings cannot describe a lab; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class Node:
    name: str
    role: str  # "server" or "agent"
    ip: str
    cpus: int
    memory: int


@dataclasses.dataclass(frozen=True)
class Provider:
    driver: str  # "kvm" or "qemu"
    cpu_mode: str
    cpu_model: str | None
    boot_timeout: int
    storage_pool: str
    uri: str
    domain_prefix: str  # libvirt domain name = prefix + machine name
    reason: str  # why this driver: printed by the Vagrantfile


@dataclasses.dataclass(frozen=True)
class Lab:
    nodes: list[Node]
    box: str
    network: ipaddress.IPv4Network
    iface: str
    k3s_version: str | None  # None: use the pinned version from group_vars
    provider: Provider
    ansible_tags: str = ""  # limits the provisioner's site.yml run; empty = all

    @property
    def servers(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "server"]

    @property
    def agents(self) -> list[Node]:
        return [n for n in self.nodes if n.role == "agent"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "box": self.box,
            "network": {"cidr": str(self.network), "netmask": str(self.network.netmask), "iface": self.iface},
            "k3s_version": self.k3s_version,
            "ansible_tags": self.ansible_tags,
            "provider": dataclasses.asdict(self.provider),
            "nodes": [dataclasses.asdict(n) for n in self.nodes],
        }


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise SettingsError(f"settings: missing key {'.'.join(path)}")
        value = value[key]
    return value


def _apply_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    for path, (variable, kind) in OVERRIDES.items():
        raw = environ.get(variable)
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise SettingsError(f"{variable}={raw!r} is not an integer") from None
        parent = data
        for key in path[:-1]:
            parent = parent.setdefault(key, {})
        parent[path[-1]] = value
    return data


def _integer(data: Mapping[str, Any], path: tuple[str, ...], minimum: int) -> int:
    value = _lookup(data, path)
    # YAML booleans are ints in Python; a count given as true/false is a mistake.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SettingsError(f"settings {'.'.join(path)} (or {OVERRIDES[path][0]}) must be an integer >= {minimum}, "
                            f"got {value!r}")
    return value


def kvm_usable(device: str = "/dev/kvm") -> tuple[bool, str]:
    """Whether the host's KVM device answers the KVM API.

    This is all that can be checked without starting a guest: nested KVM can
    pass it and still hang guests, which is why the driver can be forced.
    """
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as error:
        return False, f"{device} cannot be opened ({error.strerror})"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as error:
        return False, f"{device} does not answer KVM_GET_API_VERSION ({error.strerror})"
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return False, f"{device} reports KVM API {version}, expected {KVM_API_VERSION}"
    return True, f"{device} opens and answers the KVM API (guests were not test-booted)"


def choose_provider(libvirt: Mapping[str, Any], kvm_probe=kvm_usable) -> Provider:
    driver = str(libvirt.get("driver", "auto"))
    if driver not in ("auto", "kvm", "qemu"):
        raise SettingsError(f"libvirt.driver (or LAB_LIBVIRT_DRIVER) must be auto, kvm or qemu, got {driver!r}")
    if driver == "auto":
        usable, why = kvm_probe()
        driver = "kvm" if usable else "qemu"
        reason = f"auto-detected: {why}"
    else:
        reason = "forced by libvirt.driver / LAB_LIBVIRT_DRIVER"
    common = {
        "storage_pool": str(_lookup(libvirt, ("storage_pool",))),
        "uri": str(libvirt.get("uri", "qemu:///system")),
        "domain_prefix": str(libvirt.get("domain_prefix", "k3s-lab-")),
        "reason": reason,
    }
    if driver == "kvm":
        return Provider("kvm", "host-passthrough", None, 300, **common)
    # Software emulation: a CPU model every QEMU can emulate, and room for slow boots.
    return Provider("qemu", "custom", "qemu64", 600, **common)


def build(data: Mapping[str, Any], environ: Mapping[str, str] | None = None, kvm_probe=kvm_usable) -> Lab:
    data = _apply_overrides(json.loads(json.dumps(data)), os.environ if environ is None else environ)

    servers = _integer(data, ("servers",), 1)
    if servers % 2 == 0:
        raise SettingsError(f"servers (or LAB_SERVERS) is {servers}: "
                            "embedded etcd needs an odd number of servers (1, 3, 5)")
    agents = _integer(data, ("agents",), 0)

    cidr = str(_lookup(data, ("network", "cidr")))
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError as error:
        raise SettingsError(f"network.cidr (or LAB_NETWORK_CIDR) {cidr!r} is not an IPv4 network: {error}") from None
    server_offset = _integer(data, ("network", "server_offset"), 1)
    agent_offset = _integer(data, ("network", "agent_offset"), 1)
    server_hosts = set(range(server_offset + 1, server_offset + servers + 1))
    agent_hosts = set(range(agent_offset + 1, agent_offset + agents + 1))
    if server_hosts & agent_hosts:
        raise SettingsError(
            f"network offsets overlap: servers use .{server_offset + 1}-.{server_offset + servers}, "
            f"agents use .{agent_offset + 1}-.{agent_offset + agents}; move LAB_AGENT_IP_OFFSET"
        )
    # .1 is the host's side of the network; the last address is broadcast.
    last_usable = network.num_addresses - 2
    for role, offset, count in (("server", server_offset, servers), ("agent", agent_offset, agents)):
        if count and offset + count > last_usable:
            raise SettingsError(f"{count} {role}s from offset {offset} do not fit in {network}: "
                                "use a larger network.cidr")

    nodes = []
    for role, offset, count in (("server", server_offset, servers), ("agent", agent_offset, agents)):
        cpus = _integer(data, (role, "cpus"), 1)
        memory = _integer(data, (role, "memory"), 512)
        for index in range(1, count + 1):
            nodes.append(Node(f"{role}-{index}", role, str(network[offset + index]), cpus, memory))

    iface = str(_lookup(data, ("network", "iface")))
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", iface):
        raise SettingsError(f"network.iface (or LAB_NODE_IFACE) {iface!r} is not an interface name")

    version = data.get("k3s_version") or None
    if version is not None and not K3S_VERSION_PATTERN.match(str(version)):
        raise SettingsError(f"k3s_version (or LAB_K3S_VERSION) {version!r} is not a k3s release like v1.33.4+k3s1")

    tags = str(data.get("ansible_tags") or "")
    if not re.fullmatch(r"[A-Za-z0-9_,-]*", tags):
        raise SettingsError(f"ansible_tags (or LAB_ANSIBLE_TAGS) {tags!r} must be comma-separated tag names")

    box = str(_lookup(data, ("box",)))
    provider = choose_provider(_lookup(data, ("libvirt",)), kvm_probe)
    return Lab(nodes, box, network, iface, version, provider, tags)


def load(environ: Mapping[str, str] | None = None, kvm_probe=kvm_usable) -> Lab:
    environ = os.environ if environ is None else environ
    path = Path(environ.get("LAB_SETTINGS") or DEFAULT_SETTINGS)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        raise SettingsError(f"cannot read lab settings {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SettingsError(f"lab settings {path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"lab settings {path} must be a mapping")
    return build(data, environ, kvm_probe)


def pinned_k3s_version(upgrade: bool = False) -> str:
    """The k3s release the lab installs (or, with upgrade=True, the next patch to upgrade to)."""
    return str(yaml.safe_load(K3S_PIN_FILE.read_text())["k3s_upgrade_version" if upgrade else "k3s_version"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the resolved lab settings as JSON.")
    parser.parse_args(argv)
    try:
        lab = load()
    except SettingsError as error:
        print(f"lab settings: {error}", file=sys.stderr)
        return 2
    json.dump(lab.as_dict(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

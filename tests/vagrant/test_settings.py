"""labtool.settings: the settings both the Vagrantfile and the inventory use."""

from __future__ import annotations

import copy
import ipaddress

import pytest
import yaml

from labtool import REPO, settings
from labtool.settings import SettingsError, build, kvm_usable

SETTINGS = yaml.safe_load((REPO / "vagrant" / "settings.yml").read_text())


def no_kvm():
    return False, "test: no KVM"


def lab(environ=None, **changes):
    data = copy.deepcopy(SETTINGS)
    data.update(changes)
    return build(data, environ or {}, kvm_probe=no_kvm)


def test_default_lab_is_one_server_two_agents_on_the_private_network():
    result = lab()
    assert [(n.name, n.role, n.ip) for n in result.nodes] == [
        ("server-1", "server", "192.168.56.11"),
        ("agent-1", "agent", "192.168.56.21"),
        ("agent-2", "agent", "192.168.56.22"),
    ]
    assert result.box == "debian/bookworm64"
    assert result.iface == "eth1"
    assert result.k3s_version is None  # the group_vars pin applies


def test_environment_overrides_every_shape_setting():
    env = {
        "LAB_SERVERS": "3", "LAB_AGENTS": "1", "LAB_SERVER_CPUS": "4", "LAB_AGENT_MEMORY": "3072",
        "LAB_NETWORK_CIDR": "10.20.0.0/24", "LAB_BOX": "debian12-local", "LAB_NODE_IFACE": "ens6",
        "LAB_K3S_VERSION": "v1.33.5+k3s1", "LAB_STORAGE_POOL": "fast", "LAB_ANSIBLE_TAGS": "common,k3s",
    }
    result = lab(env)
    assert [(n.name, n.ip) for n in result.nodes] == [
        ("server-1", "10.20.0.11"), ("server-2", "10.20.0.12"), ("server-3", "10.20.0.13"), ("agent-1", "10.20.0.21"),
    ]
    assert {n.cpus for n in result.servers} == {4}
    assert result.agents[0].memory == 3072
    assert (result.box, result.iface, result.k3s_version) == ("debian12-local", "ens6", "v1.33.5+k3s1")
    assert result.provider.storage_pool == "fast"
    assert result.ansible_tags == "common,k3s"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LAB_SERVERS": "2"}, "embedded etcd needs an odd number of servers"),
        ({"LAB_SERVERS": "0"}, "servers (or LAB_SERVERS) must be an integer >= 1"),
        ({"LAB_AGENTS": "two"}, "LAB_AGENTS='two' is not an integer"),
        ({"LAB_NETWORK_CIDR": "192.168.56.1/24"}, "is not an IPv4 network"),
        ({"LAB_SERVERS": "11"}, "network offsets overlap"),
        ({"LAB_NETWORK_CIDR": "10.0.0.0/28", "LAB_AGENTS": "2"}, "do not fit in 10.0.0.0/28"),
        ({"LAB_K3S_VERSION": "1.33"}, "is not a k3s release like v1.33.4+k3s1"),
        ({"LAB_LIBVIRT_DRIVER": "xen"}, "must be auto, kvm or qemu"),
        ({"LAB_NODE_IFACE": "eth1; reboot"}, "is not an interface name"),
        ({"LAB_ANSIBLE_TAGS": "common --become"}, "must be comma-separated tag names"),
    ],
)
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(SettingsError) as error:
        lab(env)
    assert message in str(error.value)


def test_count_given_as_boolean_is_rejected():
    with pytest.raises(SettingsError, match="agents"):
        lab(agents=True)


def test_tcg_fallback_when_kvm_is_unusable():
    provider = lab().provider
    shape = (provider.driver, provider.cpu_mode, provider.cpu_model, provider.boot_timeout)
    assert shape == ("qemu", "custom", "qemu64", 600)
    assert "auto-detected: test: no KVM" in provider.reason


def test_kvm_when_usable_and_forcing_qemu_wins():
    data = copy.deepcopy(SETTINGS)
    usable = build(data, {}, kvm_probe=lambda: (True, "ok")).provider
    assert (usable.driver, usable.cpu_mode, usable.cpu_model) == ("kvm", "host-passthrough", None)
    forced = build(data, {"LAB_LIBVIRT_DRIVER": "qemu"}, kvm_probe=lambda: (True, "ok")).provider
    assert forced.driver == "qemu"
    assert "forced" in forced.reason


def test_kvm_probe_reports_what_it_checked(tmp_path):
    missing = kvm_usable(str(tmp_path / "kvm"))
    assert missing[0] is False and "cannot be opened" in missing[1]
    # /dev/null opens but is no KVM device: the ioctl must fail.
    not_kvm = kvm_usable("/dev/null")
    assert not_kvm[0] is False and "does not answer" in not_kvm[1]


def test_every_node_ip_is_inside_the_network():
    result = lab({"LAB_SERVERS": "3", "LAB_AGENTS": "5"})
    network = ipaddress.IPv4Network(SETTINGS["network"]["cidr"])
    assert all(ipaddress.IPv4Address(n.ip) in network for n in result.nodes)
    assert len({n.ip for n in result.nodes}) == 8


def test_pinned_versions_name_real_release_tags():
    pin = settings.pinned_k3s_version()
    upgrade = settings.pinned_k3s_version(upgrade=True)
    assert settings.K3S_VERSION_PATTERN.match(pin)
    assert settings.K3S_VERSION_PATTERN.match(upgrade)
    # The upgrade target is a later patch of the same minor release.
    major_minor = lambda v: v.split(".")[:2]  # noqa: E731
    patch = lambda v: int(v.split(".")[2].split("+")[0])  # noqa: E731
    assert major_minor(pin) == major_minor(upgrade) and patch(upgrade) > patch(pin)

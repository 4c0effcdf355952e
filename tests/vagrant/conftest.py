"""The `vm` marker: real libvirt VMs, slow (minutes under TCG), so opt-in.

Deselected unless asked for: pytest -m vm tests/vagrant
"""

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "vm: boots real Vagrant/libvirt VMs (slow); run with -m vm")


def pytest_collection_modifyitems(config, items):
    if "vm" in (config.option.markexpr or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("vm")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("vm")]

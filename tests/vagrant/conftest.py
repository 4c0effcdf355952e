"""The `vm` marker (registered in pyproject.toml): real libvirt VMs, slow (minutes under TCG), so opt-in.

Deselected unless asked for: pytest -m vm tests/vagrant
"""


def pytest_collection_modifyitems(config, items):
    if "vm" in (config.option.markexpr or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("vm")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("vm")]

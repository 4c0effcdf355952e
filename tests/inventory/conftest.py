"""Fixtures for the inventory tests: inventories written to tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture
def write_inventory(tmp_path):
    """Write a YAML inventory (dict) into its own dir, with optional group_vars."""

    def write(inventory: dict, group_vars: dict[str, dict] | None = None) -> Path:
        directory = tmp_path / "inventory"
        directory.mkdir(exist_ok=True)
        (directory / "hosts.yml").write_text(yaml.safe_dump(inventory))
        for group, values in (group_vars or {}).items():
            (directory / "group_vars").mkdir(exist_ok=True)
            (directory / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(values))
        return directory / "hosts.yml"

    return write

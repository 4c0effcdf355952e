"""scripts/lab-up fails fast with a clear message instead of hanging."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from labtool import REPO

LAB_UP = REPO / "scripts" / "lab-up"


def lab_up(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LAB_UP), *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("LAB_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unknown_option_is_refused_before_doing_anything():
    completed = lab_up("--bogus")
    assert completed.returncode == 1
    assert "lab-up: error: unknown option --bogus" in completed.stderr


@pytest.mark.skipif(
    not (shutil.which("vagrant") and shutil.which("virsh") and os.geteuid() == 0),
    reason="needs vagrant and libvirt installed and root (otherwise lab-up would install them)",
)
def test_bad_settings_stop_lab_up_with_the_reason():
    completed = lab_up("--host-only", LAB_SERVERS="2")
    assert completed.returncode == 1
    assert "embedded etcd needs an odd number of servers" in completed.stderr
    assert "lab-up: error: vagrant/settings.yml does not resolve" in completed.stderr

"""ansible-lint (production profile, from .ansible-lint) reports nothing on any role,
playbook or molecule file: new ones are covered the day they land."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from labtool import REPO

LINTED = ["roles", "playbooks", ".config/molecule"]


def test_ansible_lint_production_profile():
    env = dict(os.environ, NO_COLOR="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(["ansible-lint", "--offline", *LINTED], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "Profile 'production' was required, and it passed" in report

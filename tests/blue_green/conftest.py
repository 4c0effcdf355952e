"""scripts/ is not a package: put it on the path so the tests import blue_green."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

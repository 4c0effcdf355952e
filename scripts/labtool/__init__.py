"""The lab's tooling, one installed package: settings, the lab catalogue, image and bundle
builds, blue-green and deployment validation, load, chaos experiments and the report.
Run its commands as `python -m labtool.<module>`."""

from pathlib import Path

# The checkout the lab runs from (the package is installed editable from it).
REPO = Path(__file__).resolve().parents[2]

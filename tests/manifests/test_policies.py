"""The policies of manifest_policies.py hold for every overlay, and each one
catches its deliberately broken fixture (so a passing run means something)."""

from __future__ import annotations

import pytest

from manifest_render import ENVIRONMENTS, FIXTURES, OVERLAYS, load_fixture, render
from manifest_policies import POLICIES, violations

# local-images is the lab's choice (no registry); the GitOps environments pull.
EVERYWHERE = [name for name in POLICIES if name != "local-images"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_satisfies_policies(overlay: str) -> None:
    names = list(POLICIES) if overlay not in ENVIRONMENTS else EVERYWHERE
    assert violations(list(render(overlay)), names) == {}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_catches_its_broken_fixture(name: str) -> None:
    fixture = FIXTURES / f"{name}.yaml"
    assert fixture.exists(), f"policy {name} has no broken fixture {fixture.name}"
    found = POLICIES[name](load_fixture(fixture))
    assert found, f"policy {name} did not catch {fixture.name}"


def test_every_fixture_belongs_to_a_policy() -> None:
    # network-flows-* belong to test_network_flows.py.
    stems = {p.stem for p in FIXTURES.glob("*.yaml") if not p.stem.startswith("network-flows")}
    assert stems <= set(POLICIES)


def test_policies_see_the_lab_workloads() -> None:
    # Guards against a policy passing because it looked at nothing.
    objects = list(render("overlays/lab"))
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "StatefulSet", "CronJob", "Service", "Ingress", "NetworkPolicy"} <= kinds
    assert sum(o["kind"] == "Namespace" for o in objects) >= 3

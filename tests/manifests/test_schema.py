"""Every rendered object validates against the STRICT OpenAPI schema of the
Kubernetes version that the pinned k3s release ships (unknown fields fail)."""

from __future__ import annotations

import kubernetes_validate
import pytest

from manifest_render import OVERLAYS, pinned_k3s_version, render, strict_errors


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_is_valid_for_pinned_k3s(overlay: str) -> None:
    assert not strict_errors(render(overlay), pinned_k3s_version())


def test_schema_check_rejects_unknown_field() -> None:
    # A typo the API server would drop silently (strict: rejected here).
    broken = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "typo"},
              "spec": {"selectr": {"app": "x"}, "ports": [{"port": 80}]}}
    assert strict_errors((broken,), pinned_k3s_version())


def test_pinned_version_has_schemas() -> None:
    version = pinned_k3s_version()
    minor = ".".join(version.split(".")[:2])
    assert any(v.startswith(minor + ".") for v in kubernetes_validate.utils.all_versions()), (
        f"kubernetes-validate has no schemas for Kubernetes {minor} (k3s pin); upgrade kubernetes-validate"
    )

"""Every overlay renders offline, and the lab overlay is exactly its slices."""

from __future__ import annotations

import pytest

from manifest_render import LAB, OVERLAYS, render


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_objects(overlay: str) -> None:
    objects = render(overlay)
    assert objects, f"{overlay} rendered nothing"
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), f"{overlay} renders duplicate objects"


def test_lab_aggregate_is_the_union_of_its_slices() -> None:
    # workloads.yml applies the slices one by one; CI renders the aggregate.
    def key(o: dict) -> tuple:
        return o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]

    sliced = sorted(key(o) for overlay in LAB for o in render(overlay))
    assert sorted(key(o) for o in render("overlays/lab")) == sliced

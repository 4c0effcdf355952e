"""Every overlay renders offline, and workload_apply's namespace filter splits the lab overlay cleanly."""

from __future__ import annotations

import pytest

from labtool import catalogue
from manifest_render import OVERLAYS, lab_namespace, render, workload_filters


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_objects(overlay: str) -> None:
    objects = render(overlay)
    assert objects, f"{overlay} rendered nothing"
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), f"{overlay} renders duplicate objects"


def test_lab_namespaces_partition_the_lab_overlay() -> None:
    # workloads.yml applies the database's namespace alone first: each namespace's
    # selection is its Namespace and its own objects, and together they are all.
    objects = render("overlays/lab")
    namespaces = [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"]
    assert catalogue.database()["namespace"] in namespaces
    selected = []
    for namespace in namespaces:
        chosen = lab_namespace(namespace)
        assert {o["metadata"].get("namespace", o["metadata"]["name"]) for o in chosen} == {namespace}
        assert any(o["kind"] == "Namespace" for o in chosen), namespace
        selected += chosen
    assert sorted(map(str, selected)) == sorted(map(str, objects))
    assert workload_filters.in_namespaces(list(objects), []) == list(objects)

"""Every lab image a manifest runs is one the app_images role builds and imports
(the lab never pulls its own images), and every built image has a Dockerfile."""

from __future__ import annotations

import yaml

from manifest_render import REPO, render
from manifest_policies import LAB_IMAGE_PREFIX, pod_templates

BUILT = yaml.safe_load((REPO / "roles/app_images/defaults/main.yml").read_text())["app_images_list"]


def test_every_lab_image_in_the_lab_overlay_is_built() -> None:
    built = {f"{LAB_IMAGE_PREFIX}{i['name']}:{i['version']}" for i in BUILT}
    used = {c["image"] for p in pod_templates(list(render("overlays/lab"))) for c in p.containers
            if c["image"].startswith(LAB_IMAGE_PREFIX)}
    assert used, "the lab overlay runs no lab image"
    assert used <= built, f"run but never built: {sorted(used - built)}"


def test_every_built_image_has_its_context() -> None:
    for image in BUILT:
        for path in image["context"]:
            assert (REPO / path).exists(), f"{image['name']}:{image['version']}: missing context {path}"

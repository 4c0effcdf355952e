"""The GitOps pipeline pins images with `kustomize edit set image k3s-lab/quote=REF` in
an environment overlay (.github/workflows/deploy-environment.yml). That `images:` entry
must move the quote-app Deployment and never the blue-green colours, which stay on
their releases (blue 1.0.0 = release 1, green 2.0.0 = release 2): the colours name the
image by its full name, docker.io/k3s-lab/quote, which the short-name pin does not match.
Checked by rendering a copy of each environment overlay edited as `kustomize edit`
edits it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from manifest_policies import check_image_tags, check_local_images, pod_templates
from manifest_render import ENVIRONMENTS, MANIFESTS, kustomize_build

PINS = {
    # kustomize edit set image k3s-lab/quote=ghcr.io/acme/k3s-lab/quote:<sha>
    "tag": ({"name": "k3s-lab/quote", "newName": "ghcr.io/acme/k3s-lab/quote", "newTag": "0123abc"},
            "ghcr.io/acme/k3s-lab/quote:0123abc"),
    # kustomize edit set image k3s-lab/quote=ghcr.io/acme/k3s-lab/quote@sha256:...
    "digest": ({"name": "k3s-lab/quote", "newName": "ghcr.io/acme/k3s-lab/quote", "digest": "sha256:" + "ab" * 32},
               "ghcr.io/acme/k3s-lab/quote@sha256:" + "ab" * 32),
}


def pinned_copy(tmp_path: Path, overlay: str, entries: list[dict]) -> tuple[dict, ...]:
    copy = tmp_path / "manifests"
    shutil.copytree(MANIFESTS, copy)
    kustomization = copy / overlay / "kustomization.yaml"
    data = yaml.safe_load(kustomization.read_text())
    data.setdefault("images", []).extend(entries)
    kustomization.write_text(yaml.safe_dump(data, sort_keys=False))
    return kustomize_build(copy / overlay)


def images(objects: tuple[dict, ...]) -> dict[str, str]:
    return {f"{p.namespace}/{p.owner['metadata']['name']}": c["image"]
            for p in pod_templates(list(objects)) for c in p.containers}


@pytest.mark.parametrize("overlay", ENVIRONMENTS)
@pytest.mark.parametrize("pin", sorted(PINS))
def test_a_pin_moves_quote_app_and_leaves_the_colours_on_their_releases(tmp_path: Path, overlay: str,
                                                                        pin: str) -> None:
    entry, expected = PINS[pin]
    found = images(pinned_copy(tmp_path, overlay, [entry]))
    assert found["quote-app/quote"] == expected
    assert found["blue-green/quote-blue"] == "docker.io/k3s-lab/quote:1.0.0"
    assert found["blue-green/quote-green"] == "docker.io/k3s-lab/quote:2.0.0"


def test_the_colours_follow_only_a_pin_of_their_full_name(tmp_path: Path) -> None:
    # The deliberate way to serve the colours from a registry: retarget the full
    # name and keep the release tags.
    entry = {"name": "docker.io/k3s-lab/quote", "newName": "ghcr.io/acme/k3s-lab/quote"}
    found = images(pinned_copy(tmp_path, "overlays/dev", [entry]))
    assert found["blue-green/quote-blue"] == "ghcr.io/acme/k3s-lab/quote:1.0.0"
    assert found["blue-green/quote-green"] == "ghcr.io/acme/k3s-lab/quote:2.0.0"
    assert found["quote-app/quote"] == "k3s-lab/quote:2.0.0"


def test_full_names_of_lab_images_are_held_to_the_lab_rules() -> None:
    def deployment(image: str, pull: str) -> dict:
        return {"kind": "Deployment", "metadata": {"name": "x", "namespace": "n"}, "spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": image, "imagePullPolicy": pull}]}}}}

    assert check_local_images([deployment("docker.io/k3s-lab/quote:1.0.0", "IfNotPresent")])
    assert check_image_tags([deployment("docker.io/k3s-lab/quote:dev", "Never")])
    assert not check_local_images([deployment("docker.io/library/postgres:15", "IfNotPresent")])

"""The platform add-ons (manifests/platform) the kubeadm_node role applies: strictly valid for
the pinned Kubernetes, and every image they run is one the offline bundle carries."""

from __future__ import annotations

from labtool.images import kube_bundle

from manifest_render import pinned_k3s_version, render, strict_errors


def _images(objects) -> set[str]:
    found = set()
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        found.update(c["image"] for c in spec.get("containers", []) + spec.get("initContainers", []))
        for value in obj.get("data", {}).values():  # the local-path helper pod template
            found.update(line.split("image:", 1)[1].strip() for line in value.splitlines() if "image:" in line)
    return found


def _bundle_images() -> set[str]:
    cfg = kube_bundle.settings()
    programs = cfg["go_programs"].values()
    return {f"{p['image']}:{p['version']}" for p in programs if "image" in p} | set(cfg["images"].values())


def test_platform_addons_are_valid_for_the_pinned_release() -> None:
    assert not strict_errors(render("platform"), pinned_k3s_version())


def test_every_addon_image_is_in_the_bundle() -> None:
    images = _images(render("platform"))
    assert images, "no images found: the scan is broken"
    assert images <= _bundle_images(), images - _bundle_images()


def test_the_default_storage_class_has_k3s_name() -> None:
    classes = [o for o in render("platform") if o["kind"] == "StorageClass"]
    assert [c["metadata"]["name"] for c in classes] == ["local-path"]
    assert classes[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"

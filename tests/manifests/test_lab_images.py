"""The app_images role's image list and the lab manifests agree: every lab image a
manifest runs is built, every built image's context is exactly what its Dockerfile
copies and its build args are ones the Dockerfile declares, and each image is built
as the release its tag names (quote X.Y.Z with APP_RELEASE=X), so the green colour of
blue-green really is release 2."""

from __future__ import annotations

import re
import tomllib


from labtool import catalogue
from manifest_policies import LAB_IMAGE_PREFIX, lab_image, pod_templates
from manifest_render import REPO, render

BUILT = catalogue.images()
# Apps with a release switch (APP_RELEASE): the image's major version is its release.
RELEASED_APPS = {"quote"}


def dockerfile_args(path: str) -> dict[str, str | None]:
    """ARG NAME[=default] of a Dockerfile (all stages), None when it has no default."""
    args: dict[str, str | None] = {}
    for line in (REPO / path).read_text().splitlines():
        match = re.match(r"\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", line)
        if match:
            args[match.group(1)] = match.group(2) if match.group(2) is not None else args.get(match.group(1))
    return args


def effective_args(image: dict) -> dict[str, str | None]:
    """What the build sees: the Dockerfile's defaults overlaid with the entry's build args."""
    args = dockerfile_args(image["dockerfile"])
    args.update(arg.split("=", 1) for arg in image.get("build_args") or [])
    return args


def copied_sources(image: dict) -> set[str]:
    """Sources of the Dockerfile's COPY lines from the build context (not --from
    a stage), with ${ARG}s filled in from the entry's build args."""
    args = effective_args(image)
    sources = set()
    for line in (REPO / image["dockerfile"]).read_text().splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for source in words[1:-1]:
            source = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1)) or "", source)
            sources.add(source.rstrip("/").removeprefix("./"))
    return sources


def built(reference: str) -> dict:
    name, _, version = reference.removeprefix(LAB_IMAGE_PREFIX).partition(":")
    matches = [i for i in BUILT if i["name"] == name and i["version"] == version]
    assert len(matches) == 1, f"{reference}: {len(matches)} entries in the catalogue's lab_images"
    return matches[0]


def lab_containers() -> dict[str, str]:
    """namespace/owner -> lab image (short name), over the whole lab overlay."""
    return {f"{p.namespace}/{p.owner['metadata']['name']}": lab_image(c["image"])
            for p in pod_templates(list(render("overlays/lab"))) for c in p.containers
            if lab_image(c["image"])}


def test_every_lab_image_in_the_lab_overlay_is_built() -> None:
    built_refs = {f"{LAB_IMAGE_PREFIX}{i['name']}:{i['version']}" for i in BUILT}
    used = set(lab_containers().values())
    assert used, "the lab overlay runs no lab image"
    assert used <= built_refs, f"run but never built: {sorted(used - built_refs)}"


def test_every_built_image_has_its_dockerfile_and_context() -> None:
    for image in BUILT:
        assert (REPO / image["dockerfile"]).is_file(), f"{image['name']}:{image['version']}: no {image['dockerfile']}"
        for path in image["context"]:
            assert (REPO / path).exists(), f"{image['name']}:{image['version']}: missing context {path}"


def test_each_context_is_exactly_what_its_dockerfile_copies() -> None:
    for image in BUILT:
        assert copied_sources(image) == set(image["context"]), f"{image['name']}:{image['version']}"


def test_build_args_are_declared_and_required_ones_given() -> None:
    for image in BUILT:
        declared = dockerfile_args(image["dockerfile"])
        given = dict(arg.split("=", 1) for arg in image.get("build_args") or [])
        where = f"{image['name']}:{image['version']}"
        assert set(given) <= set(declared), f"{where}: {image['dockerfile']} has no ARG {set(given) - set(declared)}"
        assert {k for k, v in declared.items() if v is None} <= set(given), f"{where}: a required ARG is missing"


def test_extras_name_pyproject_extras() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for image in BUILT:
        wanted = effective_args(image).get("EXTRAS")
        if wanted:
            assert set(wanted.split(",")) <= set(extras), f"{image['name']}: unknown extra in {wanted}"


def test_each_image_is_built_as_its_version() -> None:
    for image in BUILT:
        assert effective_args(image).get("APP_VERSION") == image["version"], image["name"]


def test_released_apps_are_built_as_the_release_their_tag_names() -> None:
    for image in BUILT:
        if image["name"] in RELEASED_APPS:
            major = image["version"].split(".")[0]
            assert effective_args(image).get("APP_RELEASE") == major, (
                f"{image['name']}:{image['version']} must be built with APP_RELEASE={major}")


def test_blue_runs_release_1_and_green_release_2() -> None:
    images = lab_containers()
    assert effective_args(built(images["blue-green/quote-blue"]))["APP_RELEASE"] == "1"
    assert effective_args(built(images["blue-green/quote-green"]))["APP_RELEASE"] == "2"

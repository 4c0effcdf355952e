"""images.yml builds exactly what the lab builds: its matrix comes from running the
workflow's own step (labtool.images.ci_matrix) on the real lab catalogue, one
entry per lab_images entry with that entry's Dockerfile and build args, tags
that tell quote 1.0.0 from 2.0.0, and pins deploy.yml can apply without moving the
blue-green colours. The build job is checked to use every matrix field."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from labtool import REPO, catalogue

WORKFLOW = yaml.safe_load((REPO / ".github/workflows/images.yml").read_text())
LAB_IMAGES = catalogue.images()
SHA = "0123456789abcdef0123456789abcdef01234567"


def run_list_step(tmp_path: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The list step's command as the workflow runs it, from the repo root, with its env."""
    command = shlex.split(next(s for s in WORKFLOW["jobs"]["apps"]["steps"] if s.get("id") == "list")["run"])
    assert command[0] == "python", "the step runs a repo script, so the test can run the same code"
    output = tmp_path / "github_output"
    output.touch()
    step_env = {"OWNER": "Acme", "SHA": SHA} if env is None else env
    return subprocess.run([sys.executable, *command[1:], *extra], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **step_env, "GITHUB_OUTPUT": str(output)})


def parse_output(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT syntax: name=value lines and name<<DELIMITER blocks."""
    values, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict:
    tmp_path = tmp_path_factory.mktemp("list")
    result = run_list_step(tmp_path)
    assert result.returncode == 0, result.stderr
    values = parse_output(tmp_path / "github_output")
    return {"images": json.loads(values["images"]), "registry": values["registry"],
            "pins": values["pins"].splitlines()}


def test_one_matrix_entry_per_lab_image(outputs) -> None:
    assert len(LAB_IMAGES) >= 8  # quote twice and six other apps: the list really is read
    assert [(e["name"], e["version"], e["dockerfile"], e["build_args"].splitlines()) for e in outputs["images"]] == [
        (i["name"], str(i["version"]), i["dockerfile"], i["build_args"]) for i in LAB_IMAGES]


def test_tags_tell_the_quote_releases_apart(outputs) -> None:
    tags = {(e["name"], e["tag"]) for e in outputs["images"]}
    assert len(tags) == len(outputs["images"]), "two images of one app would share a tag"
    assert {e["tag"] for e in outputs["images"] if e["name"] == "quote"} == {f"1.0.0-{SHA}", f"2.0.0-{SHA}"}


def test_pins_move_each_app_to_its_newest_build_by_its_short_name(outputs) -> None:
    registry = outputs["registry"]
    assert registry == "ghcr.io/acme/k3s-lab"
    names = sorted({i["name"] for i in LAB_IMAGES})
    pins = dict(pin.split("=", 1) for pin in outputs["pins"])
    # The short name: deploy-environment.yml's `kustomize edit set image` then moves quote-app
    # and leaves the colours (docker.io/k3s-lab/quote) on their releases.
    assert sorted(pins) == [f"k3s-lab/{name}" for name in names]
    assert pins["k3s-lab/quote"] == f"{registry}/quote:2.0.0-{SHA}"
    assert pins["k3s-lab/backend"] == f"{registry}/backend:1.0.0-{SHA}"
    built = {f"{registry}/{e['name']}:{e['tag']}" for e in outputs["images"]}
    assert set(pins.values()) <= built, "a pin names an image the matrix does not push"


def test_the_build_job_uses_every_matrix_field() -> None:
    job = WORKFLOW["jobs"]["build"]
    assert job["strategy"]["matrix"]["image"] == "${{ fromJSON(needs.apps.outputs.images) }}"
    build = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["file"] == "${{ matrix.image.dockerfile }}"
    assert build["with"]["build-args"] == "${{ matrix.image.build_args }}"
    assert build["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    meta = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/metadata-action@"))
    assert meta["with"]["images"] == "${{ needs.apps.outputs.registry }}/${{ matrix.image.name }}"
    tags = meta["with"]["tags"].splitlines()
    assert tags[0] == "type=raw,value=${{ matrix.image.tag }}"
    assert all("matrix.image." in tag for tag in tags), "every tag is per image: no shared tag for both quotes"
    assert meta["with"]["flavor"] == "latest=false"
    assert WORKFLOW["jobs"]["deploy"]["with"]["images"] == "${{ needs.apps.outputs.pins }}"


def test_an_incomplete_list_entry_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "lab.yml"
    lab = dict(catalogue.load())
    lab["lab_images"] = [dict(i) for i in LAB_IMAGES]
    del lab["lab_images"][1]["dockerfile"]
    broken.write_text(yaml.safe_dump(lab))
    result = run_list_step(tmp_path, "--catalogue", str(broken))
    assert result.returncode == 2
    assert "lab_images entry 2 (quote) has no dockerfile" in result.stderr
    assert (tmp_path / "github_output").read_text() == "", "no partial outputs"


def test_missing_sha_is_a_clear_error(tmp_path: Path) -> None:
    result = run_list_step(tmp_path, env={"OWNER": "acme", "SHA": ""})
    assert result.returncode == 2 and "set OWNER" in result.stderr and "SHA" in result.stderr

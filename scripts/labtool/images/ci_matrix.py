#!/usr/bin/env python3
"""The build matrix of .github/workflows/images.yml, read from the lab's own image list.

CI builds exactly the images roles/app_images builds: one matrix entry per entry of
`lab_images` in the lab catalogue, playbooks/group_vars/all/lab.yml (name, version,
dockerfile, build args). Each image is tagged `<version>-<git sha>`: quote 1.0.0 and 2.0.0 come
from the same commit, so the SHA alone would give both releases one tag.

The pins handed to deploy.yml (`kustomize edit set image` arguments) move each app's
short name, `k3s-lab/<name>`, to its newest version's build. The blue-green colours
name the quote image in full (docker.io/k3s-lab/quote), so these pins leave them on
their releases (tests/manifests/test_image_pins.py).

In the workflow (OWNER, SHA and GITHUB_OUTPUT set):  python -m labtool.images.ci_matrix
By hand, printing the outputs:  OWNER=acme SHA=$(git rev-parse HEAD) python -m labtool.images.ci_matrix
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from labtool import catalogue


class ListError(Exception):
    """The environment cannot give a matrix: the message says what to fix."""


def build_matrix(images: list[dict], sha: str) -> list[dict]:
    """One entry per image; build_args joined by newlines as docker/build-push-action reads them."""
    return [{"name": i["name"], "version": str(i["version"]), "dockerfile": i["dockerfile"],
             "build_args": "\n".join(i["build_args"]), "tag": f"{i['version']}-{sha}"} for i in images]


def registry_for(owner: str) -> str:
    return f"ghcr.io/{owner.lower()}/k3s-lab"  # registry names are lower case


def pins(matrix: list[dict], registry: str) -> list[str]:
    """k3s-lab/<name>=<registry>/<name>:<tag> of each app's newest version."""
    # Sorted oldest first, so each name keeps its newest entry.
    newest = {entry["name"]: entry for entry in sorted(matrix, key=lambda entry: _version(entry["version"]))}
    return [f"k3s-lab/{name}={registry}/{name}:{entry['tag']}" for name, entry in sorted(newest.items())]


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def outputs(path: Path, owner: str, sha: str) -> str:
    """The step outputs in GITHUB_OUTPUT syntax: images (JSON), registry, pins (multi-line)."""
    if not owner or not sha:
        raise ListError("set OWNER (the repository owner) and SHA (the commit the images are built from)")
    matrix = build_matrix(catalogue.images(path), sha)
    registry = registry_for(owner)
    return (f"images={json.dumps(matrix)}\n"
            f"registry={registry}\n"
            "pins<<END_OF_PINS\n" + "\n".join(pins(matrix, registry)) + "\nEND_OF_PINS\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=catalogue.CATALOGUE, help="the lab catalogue holding lab_images")
    args = parser.parse_args(argv)
    try:
        text = outputs(args.catalogue, os.environ.get("OWNER", ""), os.environ.get("SHA", ""))
    except (ListError, catalogue.CatalogueError) as exc:
        print(f"ci_matrix: {exc}", file=sys.stderr)
        return 2
    if "GITHUB_OUTPUT" in os.environ:
        with open(os.environ["GITHUB_OUTPUT"], "a") as out:
            out.write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

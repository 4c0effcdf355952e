"""Build the lab's app images with Docker, exactly as the lab catalogue lists them.

The lab itself builds them with podman on a server (roles/app_images); this is the
same build on a machine with Docker, for the image tests and the molecule scenarios
that give a node the apps. Each image is tagged k3s-lab/<name>:<version>, built
FROM the local Python base image (python -m labtool.images.python_base).

CLI: python -m labtool.images.app_images [NAME ...]   (prints each tag it built)
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from labtool import REPO, catalogue
from labtool.images.python_base import IMAGE as BASE_IMAGE


class BuildError(Exception):
    """An image did not build: the message names it and ends with Docker's output."""


def tag(entry: dict) -> str:
    return f"k3s-lab/{entry['name']}:{entry['version']}"


def build(entry: dict, base_image: str = BASE_IMAGE) -> str:
    """docker build of one catalogue entry; Docker's cache makes a rebuild quick."""
    args = [a for arg in [f"BASE_IMAGE={base_image}", *entry["build_args"]] for a in ("--build-arg", arg)]
    result = subprocess.run(["docker", "build", "--file", str(REPO / entry["dockerfile"]), *args,
                             "--tag", tag(entry), str(REPO)], capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise BuildError(f"{tag(entry)} did not build:\n{result.stderr[-3000:]}")
    return tag(entry)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="image names from the catalogue (default: all)")
    parser.add_argument("--base-image", default=BASE_IMAGE, help="the image the Dockerfile builds FROM")
    args = parser.parse_args(argv)
    entries = [e for e in catalogue.images() if not args.names or e["name"] in args.names]
    unknown = set(args.names) - {e["name"] for e in entries}
    if unknown:
        print(f"app_images: not in the lab catalogue: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    try:
        for entry in entries:
            print(build(entry, args.base_image), flush=True)
    except BuildError as exc:
        print(f"app_images: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

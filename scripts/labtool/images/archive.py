"""Write container images as one docker-archive tarball, without a daemon or a registry.

The format is what `docker save` writes and what `ctr images import` and
`docker load` read: a manifest.json naming each image's config and layer tarballs.
Layers are deterministic (sorted entries, mtime 0, root-owned), so the same inputs
give the same image IDs.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Layer:
    """Files of one layer: image path -> host file, and image path -> symlink target."""

    files: Mapping[str, Path]
    symlinks: Mapping[str, str] = field(default_factory=dict)
    directories: Sequence[str] = ()

    def tar_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            entries = [(path, "dir") for path in self.directories]
            entries += [(path, "file") for path in self.files]
            entries += [(path, "link") for path in self.symlinks]
            for parent in sorted({p for path, _ in entries for p in _parents(path)} - set(self.directories)):
                entries.append((parent, "dir"))
            for path, kind in sorted(entries):
                info = tarfile.TarInfo(path.lstrip("/"))
                info.mtime, info.uid, info.gid = 0, 0, 0
                if kind == "dir":
                    info.type, info.mode = tarfile.DIRTYPE, 0o1777 if path.rstrip("/") == "/tmp" else 0o755
                    tar.addfile(info)
                elif kind == "link":
                    info.type, info.linkname, info.mode = tarfile.SYMTYPE, self.symlinks[path], 0o777
                    tar.addfile(info)
                else:
                    source = Path(self.files[path])
                    data = source.read_bytes()
                    info.size, info.mode = len(data), source.stat().st_mode & 0o777
                    tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()


def _parents(path: str) -> Iterable[str]:
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(frozen=True)
class Image:
    """One image: its names, its layers (bottom first) and its runtime config."""

    tags: Sequence[str]
    layers: Sequence[Layer]
    entrypoint: Sequence[str] = ()
    cmd: Sequence[str] = ()
    env: Sequence[str] = ("PATH=/usr/local/bin:/usr/bin:/bin",)
    user: str = ""


def write_docker_archive(images: Sequence[Image], destination: Path) -> list[str]:
    """Write every image into one docker-archive at `destination`; return the image IDs."""
    blobs: dict[str, bytes] = {}
    manifest, ids = [], []
    for image in images:
        layer_names, diff_ids = [], []
        for layer in image.layers:
            data = layer.tar_bytes()
            digest = hashlib.sha256(data).hexdigest()
            layer_names.append(f"{digest}/layer.tar")
            blobs[layer_names[-1]] = data
            diff_ids.append(f"sha256:{digest}")
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Env": list(image.env),
                "Entrypoint": list(image.entrypoint) or None,
                "Cmd": list(image.cmd) or None,
                "User": image.user,
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "k3s-lab labtool.images.archive"} for _ in diff_ids],
        }
        config_bytes = json.dumps(config, sort_keys=True).encode()
        config_digest = hashlib.sha256(config_bytes).hexdigest()
        blobs[f"{config_digest}.json"] = config_bytes
        manifest.append({"Config": f"{config_digest}.json", "RepoTags": list(image.tags), "Layers": layer_names})
        ids.append(f"sha256:{config_digest}")
    blobs["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(blobs):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(blobs[name]), 0, 0o644
            tar.addfile(info, io.BytesIO(blobs[name]))
    partial.replace(destination)
    return ids

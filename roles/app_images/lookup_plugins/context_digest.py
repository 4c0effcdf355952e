"""A digest of an image's build context, so the role rebuilds only on change.

    lookup('context_digest', 'pyproject.toml', 'apps/quote', root=src, extra=args)

Hashes every file's path (relative to root) and bytes, in sorted order, plus
`extra` (e.g. the Dockerfile path and build args) as JSON. Bytecode caches are
skipped: they change with every local test run, not with the source.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: context_digest
short_description: sha256 of a build context (files under root plus extra data)
options:
  _terms:
    description: Paths relative to root, files or directories.
    required: true
  root:
    description: The directory the paths are relative to.
    type: path
    required: true
  extra:
    description: Data that also defines the image (Dockerfile path, build args).
    type: raw
    default: null
"""

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def context_files(root: Path, paths: list[str]) -> list[Path]:
    files: set[Path] = set()
    for rel in paths:
        path = root / rel
        if not path.exists():
            raise AnsibleLookupError(f"context_digest: {rel} does not exist under {root}")
        candidates = [path] if path.is_file() else path.rglob("*")
        for candidate in candidates:
            parts = set(candidate.relative_to(root).parts)
            if candidate.is_file() and not parts & SKIP_DIRS and candidate.suffix not in SKIP_SUFFIXES:
                files.add(candidate)
    return sorted(files)


def digest(root: Path, paths: list[str], extra: object = None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    for file in context_files(root, paths):
        h.update(b"\0" + str(file.relative_to(root)).encode() + b"\0")
        h.update(file.read_bytes())
    return h.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        root = Path(self.get_option("root"))
        if not root.is_dir():
            raise AnsibleLookupError(f"context_digest: root {root} is not a directory")
        return [digest(root, [str(t) for t in terms], self.get_option("extra"))]

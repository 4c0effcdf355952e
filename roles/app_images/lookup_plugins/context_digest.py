"""A digest of exactly what an image build sees, so the role rebuilds only on change.

    lookup('context_digest', 'pyproject.toml', 'apps/quote', root=src,
           dockerfile='apps/Dockerfile', extra=build_args)

Hashes, in sorted order, each file's path (relative to root) and bytes: the files
under the given paths that the root's .dockerignore does not exclude, plus the
Dockerfile and the .dockerignore itself (both shape the build), plus `extra` (the
build args) as JSON. A README or a bytecode cache that .dockerignore keeps out of
the build therefore never triggers a rebuild, and a file it lets in always does.

.dockerignore rules as BuildKit and buildah apply them: one pattern per line,
`#` comments, `!` re-includes, `*` `?` `[...]` within one path element, `**` across
elements; a pattern that matches a directory matches everything under it; the
last matching pattern decides.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from functools import cache
from pathlib import Path

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: context_digest
short_description: sha256 of what a container build sees (context files, Dockerfile, .dockerignore, args)
options:
  _terms:
    description: Context paths relative to root, files or directories (what the Dockerfile copies).
    required: true
  root:
    description: The build context root (where .dockerignore is read).
    type: path
    required: true
  dockerfile:
    description: The Dockerfile, relative to root.
    type: str
    required: true
  extra:
    description: Other data that defines the image (the build args).
    type: raw
    default: null
"""

IGNORE_FILE = ".dockerignore"


@cache
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                out.append(".*" if i + 1 == len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in "[]":
            out.append(ch)  # character classes pass through, as in moby's matcher
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:
        raise AnsibleLookupError(f"context_digest: bad {IGNORE_FILE} pattern {pattern!r}: {exc}") from exc


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(re-include?, regex) per .dockerignore line, in file order."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = posixpath.normpath(line[1:].strip() if include else line).lstrip("/")
        rules.append((include, _pattern_regex(pattern)))
    return rules


def ignored(rel: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = rel.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]  # the path and its parents
    result = False
    for include, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            result = not include
    return result


def context_files(root: Path, paths: list[str], dockerfile: str) -> list[Path]:
    """The files the build sees under paths, plus the Dockerfile and .dockerignore."""
    ignore_file = root / IGNORE_FILE
    rules = ignore_rules(ignore_file.read_text()) if ignore_file.is_file() else []
    files: set[Path] = {ignore_file} if ignore_file.is_file() else set()
    if not (root / dockerfile).is_file():
        raise AnsibleLookupError(f"context_digest: Dockerfile {dockerfile} does not exist under {root}")
    files.add(root / dockerfile)
    for rel in paths:
        path = root / rel
        if not path.exists():
            raise AnsibleLookupError(f"context_digest: {rel} does not exist under {root}")
        for candidate in [path] if path.is_file() else path.rglob("*"):
            if candidate.is_file() and not ignored(candidate.relative_to(root).as_posix(), rules):
                files.add(candidate)
    return sorted(files)


def digest(root: Path, paths: list[str], dockerfile: str, extra: object = None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    for file in context_files(root, paths, dockerfile):
        h.update(b"\0" + file.relative_to(root).as_posix().encode() + b"\0")
        h.update(file.read_bytes())
    return h.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        root = Path(self.get_option("root"))
        if not root.is_dir():
            raise AnsibleLookupError(f"context_digest: root {root} is not a directory")
        return [digest(root, [str(t) for t in terms], self.get_option("dockerfile"), self.get_option("extra"))]

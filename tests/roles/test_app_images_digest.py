"""The app_images role rebuilds an image only when this digest changes: it must cover
exactly what the build sees (the context files .dockerignore lets in, the Dockerfile,
.dockerignore, the build args), no more (README, bytecode) and no less."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError
from docker.utils.build import exclude_paths
from labtool import catalogue
from labtool import REPO

PLUGIN = REPO / "roles/app_images/lookup_plugins/context_digest.py"
spec = importlib.util.spec_from_file_location("context_digest", PLUGIN)
context_digest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(context_digest)
digest = context_digest.digest

IMAGES = catalogue.images()
DOCKERFILE = "apps/Dockerfile"
CONTEXT = ["pyproject.toml", "apps/labkit", "apps/quote"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, text in {
        "apps/quote/main.py": "print('v1')\n",
        "apps/quote/README.md": "# quote\n",
        "apps/labkit/__init__.py": "",
        "apps/other/main.py": "",
        "apps/Dockerfile": "FROM scratch\n",
        "pyproject.toml": "[project]\nname='x'\n",
        "notes.txt": "not in the context\n",
        ".dockerignore": (REPO / ".dockerignore").read_text(),
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def files(root: Path, paths: list[str], dockerfile: str = DOCKERFILE) -> set[str]:
    return {p.relative_to(root).as_posix() for p in context_digest.context_files(root, paths, dockerfile)}


def test_same_tree_same_digest(tree: Path) -> None:
    assert digest(tree, CONTEXT, DOCKERFILE) == digest(tree, list(reversed(CONTEXT)), DOCKERFILE)


def test_hashes_the_context_the_dockerfile_and_dockerignore_only(tree: Path) -> None:
    assert files(tree, CONTEXT) == {
        ".dockerignore", "apps/Dockerfile", "pyproject.toml", "apps/labkit/__init__.py", "apps/quote/main.py"}


@pytest.mark.parametrize("changed", ["apps/quote/main.py", "apps/labkit/__init__.py", "pyproject.toml",
                                     "apps/Dockerfile", ".dockerignore"])
def test_a_change_the_build_sees_changes_the_digest(tree: Path, changed: str) -> None:
    before = digest(tree, CONTEXT, DOCKERFILE)
    with (tree / changed).open("a") as f:
        f.write("\n# changed\n")
    assert digest(tree, CONTEXT, DOCKERFILE) != before


def test_new_file_and_rename_change_digest(tree: Path) -> None:
    before = digest(tree, CONTEXT, DOCKERFILE)
    (tree / "apps/quote/extra.py").write_text("")
    added = digest(tree, CONTEXT, DOCKERFILE)
    assert added != before
    (tree / "apps/quote/extra.py").rename(tree / "apps/quote/other.py")
    assert digest(tree, CONTEXT, DOCKERFILE) != added


@pytest.mark.parametrize("changed", ["apps/quote/README.md", "apps/other/main.py", "notes.txt"])
def test_what_the_build_never_sees_does_not_change_digest(tree: Path, changed: str) -> None:
    before = digest(tree, CONTEXT, DOCKERFILE)
    (tree / changed).write_text("edited\n")
    assert digest(tree, CONTEXT, DOCKERFILE) == before


def test_bytecode_caches_do_not_change_digest(tree: Path) -> None:
    before = digest(tree, CONTEXT, DOCKERFILE)
    (tree / "apps/quote/__pycache__").mkdir()
    (tree / "apps/quote/__pycache__/main.cpython-311.pyc").write_bytes(b"\0")
    (tree / "apps/quote/stray.pyc").write_bytes(b"\0")
    assert digest(tree, CONTEXT, DOCKERFILE) == before


def test_without_dockerignore_everything_under_the_paths_counts(tree: Path) -> None:
    (tree / ".dockerignore").unlink()
    assert "apps/quote/README.md" in files(tree, CONTEXT)


def test_build_args_are_part_of_the_digest(tree: Path) -> None:
    v1 = digest(tree, CONTEXT, DOCKERFILE, ["APP_RELEASE=1"])
    v2 = digest(tree, CONTEXT, DOCKERFILE, ["APP_RELEASE=2"])
    assert v1 != v2


def test_missing_context_path_or_dockerfile_is_a_clear_error(tree: Path) -> None:
    with pytest.raises(AnsibleLookupError, match="apps/gone does not exist"):
        digest(tree, ["apps/gone"], DOCKERFILE)
    with pytest.raises(AnsibleLookupError, match="Dockerfile apps/gone/Dockerfile does not exist"):
        digest(tree, CONTEXT, "apps/gone/Dockerfile")


@pytest.mark.parametrize(("pattern", "path", "is_ignored"), [
    ("*", "apps", True),
    ("*", "apps/quote/x.py", True),          # a matched directory takes its contents along
    ("**/README.md", "README.md", True),
    ("**/README.md", "apps/quote/README.md", True),
    ("**/*.py[cod]", "apps/x.pyc", True),
    ("**/*.py[cod]", "apps/x.py", False),
    ("apps/*/tests", "apps/quote/tests/t.py", True),
    ("apps/*/tests", "apps/a/b/tests/t.py", False),  # * stays within one path element
    ("docs/**", "docs/a/b.md", True),
])
def test_dockerignore_patterns(pattern: str, path: str, is_ignored: bool) -> None:
    assert context_digest.ignored(path, context_digest.ignore_rules(pattern)) is is_ignored


def test_last_matching_pattern_wins() -> None:
    rules = context_digest.ignore_rules("*\n!apps/\n**/README.md\n# comment\n\n")
    assert not context_digest.ignored("apps/quote/main.py", rules)
    assert context_digest.ignored("apps/quote/README.md", rules)
    assert context_digest.ignored("docs/x.md", rules)


@pytest.mark.parametrize("image", IMAGES, ids=lambda i: f"{i['name']}-{i['version']}")
def test_digest_files_are_what_a_docker_build_of_the_role_context_sends(image: dict, tmp_path: Path) -> None:
    # The role copies the context paths, the Dockerfile and .dockerignore to the build
    # host; docker's own context walker then decides what the build receives.
    for rel in [*image["context"], image["dockerfile"], ".dockerignore"]:
        src, dst = REPO / rel, tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst, dirs_exist_ok=True) if src.is_dir() else shutil.copy2(src, dst)
    patterns = [line for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    sent = {p for p in exclude_paths(str(tmp_path), patterns, dockerfile=image["dockerfile"])
            if (tmp_path / p).is_file()}
    assert files(REPO, image["context"], image["dockerfile"]) == sent

"""The app_images role rebuilds an image only when this digest changes: it must
change with the source and the build inputs, and not with bytecode caches."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError

PLUGIN = Path(__file__).resolve().parents[2] / "roles/app_images/lookup_plugins/context_digest.py"
spec = importlib.util.spec_from_file_location("context_digest", PLUGIN)
context_digest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(context_digest)
digest = context_digest.digest


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "apps/quote").mkdir(parents=True)
    (tmp_path / "apps/quote/main.py").write_text("print('v1')\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    return tmp_path


def test_same_tree_same_digest(tree: Path) -> None:
    assert digest(tree, ["pyproject.toml", "apps/quote"]) == digest(tree, ["apps/quote", "pyproject.toml"])


def test_source_change_changes_digest(tree: Path) -> None:
    before = digest(tree, ["pyproject.toml", "apps/quote"])
    (tree / "apps/quote/main.py").write_text("print('v2')\n")
    assert digest(tree, ["pyproject.toml", "apps/quote"]) != before


def test_new_file_and_rename_change_digest(tree: Path) -> None:
    before = digest(tree, ["apps/quote"])
    (tree / "apps/quote/extra.py").write_text("")
    added = digest(tree, ["apps/quote"])
    assert added != before
    (tree / "apps/quote/extra.py").rename(tree / "apps/quote/other.py")
    assert digest(tree, ["apps/quote"]) != added


def test_bytecode_caches_do_not_change_digest(tree: Path) -> None:
    before = digest(tree, ["apps/quote"])
    (tree / "apps/quote/__pycache__").mkdir()
    (tree / "apps/quote/__pycache__/main.cpython-311.pyc").write_bytes(b"\0")
    (tree / "apps/quote/stray.pyc").write_bytes(b"\0")
    assert digest(tree, ["apps/quote"]) == before


def test_build_args_are_part_of_the_digest(tree: Path) -> None:
    v1 = digest(tree, ["apps/quote"], ["apps/quote/Dockerfile", ["APP_VERSION=1.0.0"]])
    v2 = digest(tree, ["apps/quote"], ["apps/quote/Dockerfile", ["APP_VERSION=2.0.0"]])
    assert v1 != v2


def test_missing_context_path_is_a_clear_error(tree: Path) -> None:
    with pytest.raises(AnsibleLookupError, match="apps/gone does not exist"):
        digest(tree, ["apps/gone"])

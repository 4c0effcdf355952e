"""The docs cite real files: every repository path written in backticks or linked in
docs/*.md exists, so the notes cannot drift from the code they explain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from labtool import REPO

DOCS = REPO / "docs"
TOP_LEVEL = ("apps", "roles", "playbooks", "inventory", "vagrant", "manifests", "tests", "scripts",
             "docs", ".github", ".config", "Vagrantfile", "pyproject.toml", "README.md", "ansible.cfg")
BACKTICKED = re.compile(r"`([\w./-]+)`")
LINKED = re.compile(r"\]\(([^)#\s]+)\)")
# The architecture notes and the theory answers must stay tied to this lab's files.
MIN_CITATIONS = {"architecture-notes.md": 40, "kubernetes-questions.md": 30, "gitops.md": 10}


def cited_paths(text: str) -> set[str]:
    return {p.rstrip("/") for p in BACKTICKED.findall(text) if p.split("/", 1)[0] in TOP_LEVEL}


def linked_paths(doc: Path) -> set[Path]:
    return {doc.parent / link for link in LINKED.findall(doc.read_text()) if "://" not in link}


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_cited_paths_exist(doc: Path) -> None:
    text = doc.read_text()
    missing = sorted(p for p in cited_paths(text) if not (REPO / p).exists())
    missing += sorted(str(p.relative_to(REPO)) for p in linked_paths(doc) if not p.exists())
    assert not missing, f"{doc.name} cites paths that do not exist: {missing}"


@pytest.mark.parametrize(("name", "minimum"), MIN_CITATIONS.items())
def test_docs_tie_answers_to_files(name: str, minimum: int) -> None:
    assert len(cited_paths((DOCS / name).read_text())) >= minimum


def test_path_check_catches_a_missing_file() -> None:
    text = "see `manifests/bases/quote/deployment.yaml` and `roles/no_such_role/tasks/main.yml`"
    assert cited_paths(text) == {"manifests/bases/quote/deployment.yaml", "roles/no_such_role/tasks/main.yml"}
    assert [p for p in cited_paths(text) if not (REPO / p).exists()] == ["roles/no_such_role/tasks/main.yml"]


def test_architecture_notes_answer_every_required_topic() -> None:
    notes = (DOCS / "architecture-notes.md").read_text()
    for heading in ("Where does isolation happen?", "What restarts automatically?",
                    "What does Kubernetes not manage?", "VMs versus containers", "When to prefer a VM",
                    "When to combine both", "Scaling", "Pod failure versus node failure",
                    "Requests, limits and probes", "three settings", "A production design", "Secrets",
                    "Controlled failure analysis", "Critique", "Beast Mode Challenge"):
        assert f" {heading}" in notes, heading
    assert "PLACEHOLDER" not in notes, "the measured figures were never filled in"


def test_every_theory_question_is_answered() -> None:
    answers = (DOCS / "kubernetes-questions.md").read_text()
    numbers = re.findall(r"^## Q(\d+)\.", answers, re.M)
    assert numbers == [str(n) for n in range(1, 11)]
    assert answers.count("**In this lab:**") == 10

"""The properties the GitOps pipeline promises, read from the workflows themselves:
dev -> staging -> prod in order, each environment deploying the pins the previous one
validated (never a rebuild), images with SBOM and provenance, and every validation step a
real subcommand of labtool.validate_deployment."""

from __future__ import annotations

import re

import yaml
from labtool import REPO
from labtool.validate_deployment import COMMANDS

WORKFLOWS = REPO / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_ci_runs_the_readme_test_command() -> None:
    # The runner runs it as root (sudo), as the lab's own CI hosts do; the command itself is
    # exactly the README's, with no arguments that would narrow the suite.
    commands = [step.get("run", "").split() for step in steps(load("ci.yml"))]
    assert any(words[-1:] == ["./scripts/run-tests"] and words[0] in ("./scripts/run-tests", "sudo") for words in commands if words)


def test_images_carry_sbom_and_provenance_for_every_app() -> None:
    workflow = load("images.yml")
    build = next(s for s in steps(workflow) if s.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["sbom"] is True
    assert build["with"]["provenance"] == "mode=max"
    assert build["with"]["context"] == "."
    # Which images and tags: tests/workflows/test_images_matrix.py.


def test_promotion_order_and_images_come_from_the_previous_environment() -> None:
    jobs = load("deploy.yml")["jobs"]
    assert [jobs[e]["with"]["environment"] for e in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert jobs["staging"]["with"]["images"] == "${{ needs.dev.outputs.images }}"
    assert jobs["prod"]["with"]["images"] == "${{ needs.staging.outputs.images }}"


def test_deploying_never_builds_an_image() -> None:
    for name in ("deploy.yml", "deploy-environment.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "build-push-action" not in text and "docker build" not in text, name


def test_each_environment_is_a_github_environment_with_its_own_kubeconfig() -> None:
    job = load("deploy-environment.yml")["jobs"]["deploy"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert any("secrets.KUBECONFIG" in str(s.get("env", {})) for s in job["steps"])


def test_validation_steps_are_real_subcommands() -> None:
    text = (WORKFLOWS / "deploy-environment.yml").read_text()
    used = set(re.findall(r"python -m labtool\.validate_deployment (\w+)", text))
    assert used == {"snapshot", "rollout", "smoke", "undo", "images"}
    assert used <= set(COMMANDS)
    assert "python -m pytest tests/manifests" in text, "static validation is the manifests test suite"

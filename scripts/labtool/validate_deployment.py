#!/usr/bin/env python3
"""Deployment validation for the GitOps pipeline, runnable by hand against the lab cluster.

Four separable steps, one subcommand each, so a pipeline (or a person) can run them in order
and undo only what this deployment changed:

  snapshot  record each workload's current Deployment revision (before `kubectl apply`)
  rollout   wait until every Deployment/StatefulSet of a rendered overlay has rolled out
  smoke     HTTP checks against a running app: /healthz, /readyz and its API paths
  undo      roll back the Deployments whose revision changed since the snapshot

plus `images`, which prints an overlay's pinned images as `kustomize edit set image`
arguments: promotion copies exactly the images validated in the previous environment.

Examples (lab cluster, kubeconfig from KUBECONFIG or ./kubeconfig):
  kubectl kustomize manifests/overlays/dev > rendered.yaml
  python -m labtool.validate_deployment snapshot rendered.yaml --out before.json
  kubectl apply -f rendered.yaml
  python -m labtool.validate_deployment rollout rendered.yaml --timeout 300
  python -m labtool.validate_deployment smoke --ingress quote-app/quote
  python -m labtool.validate_deployment undo before.json      # only if a step failed

Exit status: 0 all good, 1 a check failed, 2 bad input or no reachable cluster.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

REVISION = "deployment.kubernetes.io/revision"
ROLLOUT_KINDS = ("Deployment", "StatefulSet")
DEFAULT_API_PATHS = ("/api/quotes?limit=1", "/api/quotes/random")


class InputError(Exception):
    """Bad input (file, argument): exit status 2 with the message."""


# --- what a rendered overlay deploys ----------------------------------------------------

@dataclass(frozen=True, order=True)
class Workload:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.lower()}/{self.name} -n {self.namespace}"


def load_workloads(rendered: Path) -> list[Workload]:
    """The Deployments and StatefulSets in a `kubectl kustomize` output file."""
    try:
        documents = [d for d in yaml.safe_load_all(rendered.read_text()) if d]
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read rendered manifests {rendered}: {exc}") from exc
    workloads = []
    for doc in documents:
        if doc.get("kind") in ROLLOUT_KINDS:
            meta = doc.get("metadata", {})
            if not meta.get("namespace"):
                raise InputError(f"{doc['kind']}/{meta.get('name')} in {rendered} has no namespace: "
                                 "render the overlay (kubectl kustomize), not a base")
            workloads.append(Workload(doc["kind"], meta["namespace"], meta["name"]))
    if not workloads:
        raise InputError(f"{rendered} holds no Deployment or StatefulSet: nothing to validate")
    return sorted(workloads)


def pinned_images(kustomization: Path) -> list[str]:
    """An overlay's `images:` entries as `kustomize edit set image` arguments (name=newName:newTag)."""
    try:
        data = yaml.safe_load(kustomization.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {kustomization}: {exc}") from exc
    pins = []
    for entry in data.get("images") or []:
        reference = entry.get("newName", entry["name"])
        if entry.get("digest"):
            reference += f"@{entry['digest']}"
        elif entry.get("newTag"):
            reference += f":{entry['newTag']}"
        else:
            raise InputError(f"{kustomization}: image {entry['name']} has no newTag or digest to promote")
        pins.append(f"{entry['name']}={reference}")
    return pins


# --- rollout status (kubectl's rules, on API objects as dicts) -----------------------------

@dataclass(frozen=True)
class Progress:
    done: bool
    failed: bool
    message: str


def deployment_progress(deployment: dict) -> Progress:
    """Whether a Deployment finished rolling out, following `kubectl rollout status`."""
    spec, status = deployment.get("spec", {}), deployment.get("status", {})
    generation = deployment["metadata"].get("generation", 0)
    if status.get("observedGeneration", 0) < generation:
        return Progress(False, False, "waiting for the controller to observe the new spec")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return Progress(False, True, f"exceeded its progress deadline: {condition.get('message', '')}")
    wanted = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    if updated < wanted:
        return Progress(False, False, f"{updated} of {wanted} new replicas updated")
    if status.get("replicas", 0) > updated:
        return Progress(False, False, f"{status['replicas'] - updated} old replicas pending termination")
    if status.get("availableReplicas", 0) < updated:
        return Progress(False, False, f"{status.get('availableReplicas', 0)} of {updated} updated replicas available")
    return Progress(True, False, f"rolled out ({updated} replicas)")


def statefulset_progress(statefulset: dict) -> Progress:
    """Whether a RollingUpdate StatefulSet finished rolling out (kubectl's rules)."""
    spec, status = statefulset.get("spec", {}), statefulset.get("status", {})
    if status.get("observedGeneration", 0) < statefulset["metadata"].get("generation", 0):
        return Progress(False, False, "waiting for the controller to observe the new spec")
    wanted = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < wanted:
        return Progress(False, False, f"{ready} of {wanted} pods ready")
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0)
    if partition:
        updated = status.get("updatedReplicas", 0)
        if updated < wanted - partition:
            return Progress(False, False, f"{updated} of {wanted - partition} pods updated (partitioned)")
        return Progress(True, False, f"partitioned roll out complete ({updated} new pods)")
    if status.get("updateRevision") != status.get("currentRevision"):
        return Progress(False, False, f"{status.get('updatedReplicas', 0)} of {wanted} pods at the new revision")
    return Progress(True, False, f"rolled out ({ready} pods)")


PROGRESS: dict[str, Callable[[dict], Progress]] = {
    "Deployment": deployment_progress,
    "StatefulSet": statefulset_progress,
}


# --- undo (kubectl rollout undo --to-revision, on API objects as dicts) ---------------------

def revision(obj: dict) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))


def undo_patch(deployment: dict, replicasets: Iterable[dict], to_revision: int) -> list[dict]:
    """The JSON patch that puts back the pod template of `to_revision`, as kubectl does:
    the ReplicaSet of that revision, owned by this Deployment, minus its pod-template-hash."""
    uid = deployment["metadata"]["uid"]
    name = deployment["metadata"]["name"]
    for rs in replicasets:
        owners = rs["metadata"].get("ownerReferences") or []
        if any(o.get("uid") == uid for o in owners) and revision(rs) == to_revision:
            template = json.loads(json.dumps(rs["spec"]["template"]))
            template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
            return [{"op": "replace", "path": "/spec/template", "value": template}]
    raise LookupError(f"deployment/{name}: no ReplicaSet of revision {to_revision} left to roll back to "
                      "(revisionHistoryLimit too small?)")


# --- smoke checks ---------------------------------------------------------------------------

@dataclass
class SmokeResult:
    path: str
    ok: bool
    detail: str


@dataclass
class SmokeTarget:
    base_url: str
    host_header: str | None = None
    expect_version: str | None = None
    api_paths: Sequence[str] = field(default_factory=lambda: DEFAULT_API_PATHS)


def _check_json(path: str, response: httpx.Response, expect_version: str | None) -> SmokeResult:
    if response.status_code != 200:
        return SmokeResult(path, False, f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        body = response.json()
    except ValueError:
        return SmokeResult(path, False, f"not JSON: {response.text[:200]}")
    if not isinstance(body, dict):
        return SmokeResult(path, False, f"expected a JSON object, got {type(body).__name__}")
    if expect_version is not None and body.get("version") != expect_version:
        return SmokeResult(path, False, f"version {body.get('version')!r}, expected {expect_version!r}")
    return SmokeResult(path, True, f"HTTP 200 {json.dumps(body)[:120]}")


def smoke_once(target: SmokeTarget, client: httpx.Client) -> list[SmokeResult]:
    """One pass of every check: the probes first, then each API path."""
    headers = {"Host": target.host_header} if target.host_header else {}
    results = []
    for path in ("/healthz", "/readyz", *target.api_paths):
        try:
            response = client.get(target.base_url.rstrip("/") + path, headers=headers)
        except httpx.HTTPError as exc:
            results.append(SmokeResult(path, False, f"{type(exc).__name__}: {exc}"))
            continue
        results.append(_check_json(path, response, target.expect_version))
    return results


def smoke(target: SmokeTarget, timeout: float = 60.0, interval: float = 2.0,
          request_timeout: float = 5.0) -> list[SmokeResult]:
    """Repeat the checks until all pass or `timeout` runs out; return the last pass."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=request_timeout, follow_redirects=False) as client:
        while True:
            results = smoke_once(target, client)
            if all(r.ok for r in results) or time.monotonic() + interval > deadline:
                return results
            time.sleep(interval)


# --- cluster side ----------------------------------------------------------------------------

def _cluster():
    from labtool.kube import ClusterUnavailable, connect  # imported here: smoke needs no cluster

    try:
        return connect()
    except ClusterUnavailable as exc:
        raise InputError(str(exc)) from exc


def _read(cluster, workload: Workload) -> dict:
    read = {
        "Deployment": cluster.apps.read_namespaced_deployment,
        "StatefulSet": cluster.apps.read_namespaced_stateful_set,
    }[workload.kind]
    return cluster.api.sanitize_for_serialization(read(workload.name, workload.namespace))


def _read_if_exists(cluster, workload: Workload) -> dict | None:
    from kubernetes.client.rest import ApiException

    try:
        return _read(cluster, workload)
    except ApiException as exc:
        if exc.status != 404:
            raise
        return None


def snapshot(cluster, workloads: Iterable[Workload]) -> dict[str, int]:
    """Deployment revisions now; a Deployment that does not exist yet is revision 0."""
    revisions = {}
    for workload in workloads:
        if workload.kind == "Deployment":
            deployment = _read_if_exists(cluster, workload)
            revisions[f"{workload.namespace}/{workload.name}"] = 0 if deployment is None else revision(deployment)
    return revisions


def wait_rollouts(cluster, workloads: Sequence[Workload], timeout: float, log: Callable[[str], None]) -> bool:
    """Wait for every workload; a failed one (progress deadline) stops waiting for it."""
    deadline = time.monotonic() + timeout
    pending = {w: Progress(False, False, "not checked yet") for w in workloads}
    failed = False
    while pending:
        for workload in list(pending):
            obj = _read_if_exists(cluster, workload)
            if obj is None:
                progress = Progress(False, True, "not found in the cluster (was the overlay applied?)")
            else:
                progress = PROGRESS[workload.kind](obj)
            if progress.done or progress.failed:
                log(f"{'ok  ' if progress.done else 'FAIL'} {workload}: {progress.message}")
                failed |= progress.failed
                del pending[workload]
            else:
                pending[workload] = progress
        if pending and time.monotonic() > deadline:
            for workload, progress in pending.items():
                log(f"FAIL {workload}: not rolled out within {timeout:g} s ({progress.message})")
            return False
        if pending:
            time.sleep(2)
    return not failed


def undo(cluster, before: dict[str, int], log: Callable[[str], None]) -> list[Workload]:
    """Roll back each Deployment whose revision moved since `before`; return what was undone."""
    undone = []
    for key, old in sorted(before.items()):
        namespace, name = key.split("/", 1)
        workload = Workload("Deployment", namespace, name)
        deployment = _read(cluster, workload)
        if revision(deployment) == old:
            continue
        if old == 0:
            log(f"skip {workload}: it is new in this deployment, there is nothing to roll back to")
            continue
        selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
        replicasets = cluster.api.sanitize_for_serialization(
            cluster.apps.list_namespaced_replica_set(namespace, label_selector=selector)
        )["items"]
        cluster.apps.patch_namespaced_deployment(name, namespace, undo_patch(deployment, replicasets, old))
        log(f"undo {workload}: back to the pod template of revision {old}")
        undone.append(workload)
    return undone


# --- command line ------------------------------------------------------------------------------

def _print(line: str) -> None:
    print(line, flush=True)


def _smoke_target(args: argparse.Namespace) -> SmokeTarget:
    paths = tuple(args.api_path) if args.api_path else DEFAULT_API_PATHS
    if args.ingress:
        from labtool.kube import ingress_endpoint

        namespace, _, name = args.ingress.partition("/")
        if not name:
            raise InputError(f"--ingress wants NAMESPACE/NAME, got {args.ingress!r}")
        endpoint = ingress_endpoint(_cluster(), namespace, name)
        return SmokeTarget(endpoint.base_url, endpoint.host, args.expect_version, paths)
    return SmokeTarget(args.base_url, args.host_header, args.expect_version, paths)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("images", help="print an overlay's pinned images as kustomize edit set image arguments")
    p.add_argument("overlay", type=Path, help="overlay directory (holding kustomization.yaml)")

    p = sub.add_parser("snapshot", help="record Deployment revisions before applying")
    p.add_argument("rendered", type=Path, help="output of kubectl kustomize OVERLAY")
    p.add_argument("--out", type=Path, required=True, help="where to write the snapshot (JSON)")

    p = sub.add_parser("rollout", help="wait for every Deployment/StatefulSet to roll out")
    p.add_argument("rendered", type=Path)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds for all of them (default 300)")

    p = sub.add_parser("smoke", help="HTTP checks against /healthz, /readyz and API paths")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--base-url", help="e.g. http://127.0.0.1:8080 (a kubectl port-forward)")
    where.add_argument("--ingress", metavar="NAMESPACE/NAME", help="reach the app through this Ingress")
    p.add_argument("--host-header", help="Host header to send with --base-url")
    p.add_argument("--api-path", action="append", help=f"API path to GET (repeatable; default {DEFAULT_API_PATHS})")
    p.add_argument("--expect-version", help="every JSON answer's 'version' must equal this")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to keep retrying (default 60)")

    p = sub.add_parser("undo", help="roll back the Deployments that changed since a snapshot")
    p.add_argument("snapshot", type=Path)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the rollback to finish")

    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"validate_deployment: {exc}", file=sys.stderr)
        return 2


def _cmd_images(args: argparse.Namespace) -> int:
    for pin in pinned_images(args.overlay / "kustomization.yaml"):
        print(pin)
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    revisions = snapshot(_cluster(), load_workloads(args.rendered))
    args.out.write_text(json.dumps(revisions, indent=2, sort_keys=True) + "\n")
    _print(f"recorded {len(revisions)} deployment revisions in {args.out}")
    return 0


def _cmd_rollout(args: argparse.Namespace) -> int:
    return 0 if wait_rollouts(_cluster(), load_workloads(args.rendered), args.timeout, _print) else 1


def _cmd_smoke(args: argparse.Namespace) -> int:
    results = smoke(_smoke_target(args), timeout=args.timeout)
    for result in results:
        _print(f"{'ok  ' if result.ok else 'FAIL'} GET {result.path}: {result.detail}")
    return 0 if all(r.ok for r in results) else 1


def _cmd_undo(args: argparse.Namespace) -> int:
    try:
        before = json.loads(args.snapshot.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read snapshot {args.snapshot}: {exc}") from exc
    cluster = _cluster()
    undone = undo(cluster, before, _print)
    if not undone:
        _print("nothing to undo: no Deployment changed since the snapshot")
        return 0
    return 0 if wait_rollouts(cluster, undone, args.timeout, _print) else 1


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "images": _cmd_images,
    "snapshot": _cmd_snapshot,
    "rollout": _cmd_rollout,
    "smoke": _cmd_smoke,
    "undo": _cmd_undo,
}

if __name__ == "__main__":
    sys.exit(main())

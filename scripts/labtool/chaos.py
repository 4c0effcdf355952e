"""Chaos experiments against the quote app on the live lab cluster.

    python -m labtool.chaos list
    python -m labtool.chaos run vm-kill [--profile auto|fast|default] [--node agent-1] [--out DIR]
    python -m labtool.chaos run all

Every experiment: (1) runs the load generator through the Ingress, reads and
writes, recording every acknowledged write; (2) injects its fault; (3) waits for
recovery, timing each step; (4) restores the fault; (5) writes evidence into
<out>/<experiment>/: timeline.csv + marks.json + timeline.png, events (JSON and
a `kubectl get events` table), describe-like output of the pods involved, and
summary.json with the measurements, the checks and the counts.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client.rest import ApiException

from . import evidence, settings
from .kube import Cluster, ClusterUnavailable, HttpEndpoint, connect, ingress_endpoint, pod_http, wait_for
from .lab_names import (
    ADMIN_SECRET, ADMIN_TOKEN_KEY, APP_PORT, DB_NS, FAULT_CLEAR, FAULT_INJECT, INGRESS_CONTROLLER_NAMESPACE,
    INGRESS_CONTROLLER_SELECTOR, POSTGRES_SELECTOR, QUOTE_APP, QUOTE_NS, QUOTE_REQUIRED_ENV, QUOTE_SELECTOR,
)
from .loadgen import LoadGenerator, LoadResult, audit_writes, write_samples_csv
from .timeline import Mark, plot_timeline, write_marks

NAMESPACE = QUOTE_NS
# The quote app's Deployment, container, Service and Ingress all carry its name.
DEPLOYMENT = CONTAINER = SERVICE = INGRESS = QUOTE_APP


@dataclass(frozen=True)
class Targets:
    recovery_s: float  # all replicas Ready on surviving nodes after a VM is killed
    success_ratio: float  # over the whole VM-kill window
    description: str


PROFILES = {
    # k3s_node_fast_failover: NotReady after 16 s, pods evicted 20-30 s later.
    "fast": Targets(30.0, 0.99, "fast-failover: node-monitor-grace-period=16s, short NoExecute tolerations"),
    # Kubernetes defaults: NotReady after 40-50 s, eviction after the pods' tolerations.
    "default": Targets(420.0, 0.95, "Kubernetes defaults: node-monitor-grace-period 40-50 s, 300 s tolerations"),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Outcome:
    """What an experiment body hands back to the runner."""

    measurements: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    pods: set[str] = field(default_factory=set)  # pods whose describe-output is evidence
    describes: dict[str, str] = field(default_factory=dict)  # captured at the moment of failure
    notes: list[str] = field(default_factory=list)
    min_success_ratio: float = 0.99
    max_failed: int | None = None


class Lab:
    """The cluster plus what every experiment needs from it."""

    def __init__(self, cluster: Cluster, out_dir: Path, profile: str, rate: float, workers: int,
                 node: str | None, provider: str, target: str | None) -> None:
        self.cluster = cluster
        self.out_dir = out_dir
        self.profile = detect_profile(cluster) if profile == "auto" else profile
        self.targets = PROFILES[self.profile]
        self.rate, self.workers = rate, workers
        self.node, self.provider, self.target = node, provider, target
        self.endpoint: HttpEndpoint = ingress_endpoint(cluster, NAMESPACE, INGRESS)

    # --- reading state -------------------------------------------------------
    def deployment(self):
        return self.cluster.apps.read_namespaced_deployment(DEPLOYMENT, NAMESPACE)

    def pods(self, namespace: str = NAMESPACE, selector: str = QUOTE_SELECTOR) -> list:
        return self.cluster.core.list_namespaced_pod(namespace, label_selector=selector).items

    def ready_pods(self) -> list:
        return [p for p in self.pods() if is_ready(p) and not p.metadata.deletion_timestamp]

    def settled(self) -> bool:
        """The Deployment finished rolling out: every wanted replica updated, ready, and nothing old left."""
        d = self.deployment()
        s = d.status
        want = d.spec.replicas
        return (
            (s.observed_generation or 0) >= d.metadata.generation
            and (s.updated_replicas or 0) == want and (s.ready_replicas or 0) == want
            and (s.available_replicas or 0) == want and (s.replicas or 0) == want
        )

    def wait_settled(self, timeout: float = 300) -> float:
        return wait_for(self.settled, timeout, "Deployment quote rolled out and ready", progress=log)[1]

    def describe(self, pod_name: str, namespace: str = NAMESPACE) -> str:
        try:
            pod = self.cluster.core.read_namespaced_pod(pod_name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return f"pod {namespace}/{pod_name}: gone (deleted)\n"
            raise
        events = evidence.list_events(self.cluster, namespace)
        return evidence.describe_pod(self.cluster.api.sanitize_for_serialization(pod), events)

    def admin_token(self) -> str | None:
        try:
            secret = self.cluster.core.read_namespaced_secret(ADMIN_SECRET, NAMESPACE)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        value = (secret.data or {}).get(ADMIN_TOKEN_KEY)
        return base64.b64decode(value).decode() if value else None

    # --- changing the Deployment --------------------------------------------
    def container_spec(self) -> dict:
        template = self.cluster.api.sanitize_for_serialization(self.deployment().spec.template)
        return next(c for c in template["spec"]["containers"] if c["name"] == CONTAINER)

    def patch_container(self, changes: dict) -> None:
        """Strategic merge on the quote container (merged by container name)."""
        body = {"spec": {"template": {"spec": {"containers": [{"name": CONTAINER, **changes}]}}}}
        self.cluster.apps.patch_namespaced_deployment(DEPLOYMENT, NAMESPACE, body)

    def replace_container_fields(self, original: dict, keys: tuple[str, ...]) -> None:
        """Put `keys` of the container back exactly as they were (JSON patch: lists are replaced whole)."""
        index = next(i for i, c in enumerate(self.deployment().spec.template.spec.containers) if c.name == CONTAINER)
        ops = [{"op": "replace" if key in original else "remove",
                "path": f"/spec/template/spec/containers/{index}/{key}", **({"value": original[key]} if key in original else {})}
               for key in keys]
        self.cluster.apps.patch_namespaced_deployment(DEPLOYMENT, NAMESPACE, ops)


def is_ready(obj) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (obj.status.conditions or []))


def detect_profile(cluster: Cluster) -> str:
    """fast when a server's k3s.io/node-args (its k3s command line) sets node-monitor-grace-period."""
    for node in cluster.core.list_node(label_selector="node-role.kubernetes.io/control-plane").items:
        if "node-monitor-grace-period" in (node.metadata.annotations or {}).get("k3s.io/node-args", ""):
            return "fast"
    return "default"


def waiting_reasons(pod) -> set[str]:
    reasons = set()
    for status in pod.status.container_statuses or []:
        if status.state and status.state.waiting:
            reasons.add(status.state.waiting.reason or "")
        for state in (status.state, status.last_state):
            if state and state.terminated:
                reasons.add(state.terminated.reason or "")
    return reasons


def new_broken_pod(lab: Lab, before: set[str], reasons: set[str]) -> object | None:
    """A pod created by the change (not in `before`) whose container shows one of `reasons`."""
    for pod in lab.pods():
        if pod.metadata.name not in before and waiting_reasons(pod) & reasons:
            return pod
    return None


# --- node killers -----------------------------------------------------------
class NodeKiller:
    def __init__(self, kind: str, target: str, kill_cmd: list[str], start_cmd: list[str]) -> None:
        self.kind, self.target = kind, target
        self.kill_cmd, self.start_cmd = kill_cmd, start_cmd

    @property
    def description(self) -> str:
        return " ".join(self.kill_cmd)

    def kill(self) -> None:
        subprocess.run(self.kill_cmd, check=True, capture_output=True, text=True, timeout=60)

    def start(self) -> None:
        subprocess.run(self.start_cmd, check=True, capture_output=True, text=True, timeout=120)


def find_killer(node: str, provider: str, target: str | None) -> NodeKiller:
    """`docker kill` for nodes that are containers, `virsh destroy` for Vagrant's libvirt VMs."""
    if provider in ("auto", "docker") and shutil.which("docker"):
        name = target or node
        if subprocess.run(["docker", "inspect", name], capture_output=True).returncode == 0:
            return NodeKiller("docker", name, ["docker", "kill", name], ["docker", "start", name])
    if provider in ("auto", "virsh") and shutil.which("virsh"):
        # The libvirt URI and domain names the Vagrantfile used: the same settings code.
        try:
            libvirt = settings.load().provider
        except settings.SettingsError as error:
            raise SystemExit(f"chaos: lab settings: {error}") from None
        domain = target or libvirt.domain_prefix + node
        if subprocess.run(["virsh", "-c", libvirt.uri, "dominfo", domain], capture_output=True).returncode == 0:
            return NodeKiller("virsh", domain, ["virsh", "-c", libvirt.uri, "destroy", domain],
                              ["virsh", "-c", libvirt.uri, "start", domain])
    raise SystemExit(
        f"chaos: cannot find how to kill node {node} (provider {provider}): no docker container of that name and "
        "no libvirt domain of the lab's settings; pass --target DOMAIN_OR_CONTAINER"
    )


# --- experiments -------------------------------------------------------------
Body = Callable[[Lab, LoadGenerator, list[Mark]], Outcome]


def mark(load: LoadGenerator, marks: list[Mark], label: str, kind: str = "info") -> float:
    t = load.now()
    marks.append(Mark(round(t, 2), label, kind))
    log(f"[{t:7.1f} s] {label}")
    return t


def pod_delete(lab: Lab, load: LoadGenerator, marks: list[Mark]) -> Outcome:
    outcome = Outcome()
    victim = sorted(p.metadata.name for p in lab.ready_pods())[0]
    before = {p.metadata.name for p in lab.pods()}
    outcome.pods.add(victim)
    outcome.describes[victim] = lab.describe(victim)
    t0 = mark(load, marks, f"delete pod {victim}", "fault")
    lab.cluster.core.delete_namespaced_pod(victim, NAMESPACE)

    def replaced():
        want = lab.deployment().spec.replicas
        ready = [p for p in lab.ready_pods() if p.metadata.name != victim]
        return ready if len(ready) >= want else None

    ready, took = wait_for(replaced, 180, "replacement pod Ready", progress=log)
    mark(load, marks, f"{len(ready)} replicas Ready again", "recovery")
    new = sorted({p.metadata.name for p in ready} - before)
    outcome.pods.update(new)
    owners = {ref.kind for p in ready if p.metadata.name in new for ref in p.metadata.owner_references or []}
    outcome.measurements.update(victim=victim, replacement=new, recovered_s=round(took, 1), fault_at_s=round(t0, 1))
    outcome.checks.append(Check("Deployment recreated the pod", bool(new) and owners == {"ReplicaSet"},
                                f"new pod(s) {new} owned by {sorted(owners)}, Ready {took:.1f} s after the delete"))
    return outcome


def vm_kill(lab: Lab, load: LoadGenerator, marks: list[Mark]) -> Outcome:
    outcome = Outcome(min_success_ratio=lab.targets.success_ratio)
    core = lab.cluster.core
    node = lab.node or choose_victim_node(lab, outcome)
    killer = find_killer(node, lab.provider, lab.target)
    victims = [p.metadata.name for p in lab.pods() if p.spec.node_name == node]
    outcome.pods.update(victims)
    outcome.notes.append(f"profile {lab.profile}: {lab.targets.description}")
    t_kill = mark(load, marks, f"{killer.description} ({node})", "fault")
    killer.kill()
    try:
        _, not_ready = wait_for(lambda: not is_ready(core.read_node(node)), 600, f"node {node} NotReady", progress=log)
        mark(load, marks, f"{node} NotReady", "info")

        def evicted():
            # Eviction sets deletionTimestamp; the pods stay Terminating until the node returns.
            pods = [p for p in lab.pods() if p.metadata.name in victims]
            return all(p.metadata.deletion_timestamp for p in pods) or not pods

        wait_for(evicted, 900, f"pods on {node} evicted", progress=log)
        evicted_s = load.now() - t_kill
        mark(load, marks, f"pods on {node} evicted", "info")
        outcome.describes.update({name: lab.describe(name) for name in victims})

        def recovered():
            want = lab.deployment().spec.replicas
            ready = [p for p in lab.ready_pods() if p.spec.node_name != node]
            return ready if len(ready) >= want else None

        ready, _ = wait_for(recovered, 900, "all replicas Ready on surviving nodes", progress=log)
        recovered_s = load.now() - t_kill
        mark(load, marks, f"{len(ready)} replicas Ready on surviving nodes", "recovery")
        outcome.pods.update(p.metadata.name for p in ready)
    finally:
        # Whatever happened, the VM comes back: a chaos run must not leave the lab broken.
        t_start = mark(load, marks, f"restart {node}", "info")
        killer.start()
    _, rejoin = wait_for(lambda: is_ready(core.read_node(node)), 900, f"node {node} Ready again", progress=log)
    mark(load, marks, f"{node} Ready again", "recovery")
    outcome.measurements.update(
        node=node, killed_with=killer.description, fault_at_s=round(t_kill, 1),
        not_ready_after_s=round(not_ready, 1), evicted_after_s=round(evicted_s, 1),
        all_replicas_ready_after_s=round(recovered_s, 1), rejoin_after_restart_s=round(rejoin, 1),
        restarted_at_s=round(t_start, 1), pods_on_node=victims,
    )
    outcome.checks.append(Check(
        f"all replicas Ready on surviving nodes within {lab.targets.recovery_s:g} s",
        recovered_s <= lab.targets.recovery_s,
        f"NotReady after {not_ready:.1f} s, evicted after {evicted_s:.1f} s, all Ready after {recovered_s:.1f} s",
    ))
    outcome.checks.append(Check("node rejoined after restart", is_ready(core.read_node(node)),
                                f"Ready {rejoin:.1f} s after the restart"))
    return outcome


def choose_victim_node(lab: Lab, outcome: Outcome) -> str:
    """An agent running a quote pod but neither PostgreSQL (its local-path volume pins it)
    nor Traefik (one replica carries every request): the failure the app should survive."""
    core = lab.cluster.core
    agents = [n.metadata.name for n in core.list_node().items
              if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {}) and is_ready(n)]
    pinned = {p.spec.node_name for p in lab.pods(DB_NS, POSTGRES_SELECTOR)}
    controller = core.list_namespaced_pod(INGRESS_CONTROLLER_NAMESPACE, label_selector=INGRESS_CONTROLLER_SELECTOR).items
    pinned |= {p.spec.node_name for p in controller}
    with_app = {p.spec.node_name for p in lab.ready_pods()}
    candidates = sorted(n for n in agents if n in with_app and n not in pinned)
    if not candidates:
        raise SystemExit(f"chaos: no agent runs a quote pod without PostgreSQL or Traefik (agents {agents}, "
                         f"holding those: {sorted(pinned)}); pass --node to choose one")
    outcome.notes.append(f"victim {candidates[0]}: an agent with a quote pod, not hosting PostgreSQL/Traefik {sorted(pinned)}")
    return candidates[0]


def broken_rollout(change: Callable[[Lab, dict], None], restore_keys: tuple[str, ...], reasons: set[str],
                   label: str, log_must_contain: str | None = None) -> Body:
    """An experiment that rolls out a broken pod template and rolls back: the old
    replicas keep serving (maxUnavailable 0) while the new pod fails with `reasons`."""

    def body(lab: Lab, load: LoadGenerator, marks: list[Mark]) -> Outcome:
        outcome = Outcome()
        original = lab.container_spec()
        before = {p.metadata.name for p in lab.pods()}
        t0 = mark(load, marks, label, "fault")
        change(lab, original)
        try:
            pod, took = wait_for(lambda: new_broken_pod(lab, before, reasons), 300,
                                 f"a new pod in {'/'.join(sorted(reasons))}", progress=log)
            name = pod.metadata.name
            seen = sorted(waiting_reasons(pod) & reasons)
            mark(load, marks, f"{name}: {', '.join(seen)}", "info")
            outcome.pods.add(name)
            outcome.checks.append(Check(f"failure visible as {'/'.join(sorted(reasons))}", True,
                                        f"{name} showed {seen} {took:.1f} s after the change"))
            if log_must_contain:
                text = container_log(lab, name)
                outcome.measurements["log"] = text[-2000:]
                outcome.checks.append(Check("the app's log names the problem", log_must_contain in text,
                                            f"log contains {log_must_contain!r}: {log_must_contain in text}"))
            # Let the kubelet record its back-off in the events before capturing them.
            time.sleep(10)
            outcome.describes[name] = lab.describe(name)
        finally:
            mark(load, marks, "roll back to the saved container spec", "info")
            lab.replace_container_fields(original, restore_keys)
        fixed = lab.wait_settled()
        mark(load, marks, "rollout complete, all replicas Ready", "recovery")
        outcome.measurements.update(fault_at_s=round(t0, 1), fixed_after_rollback_s=round(fixed, 1))
        return outcome

    return body


def container_log(lab: Lab, pod: str) -> str:
    """The crashed container's output (previous instance when it already restarted)."""
    for previous in (True, False):
        try:
            text = lab.cluster.core.read_namespaced_pod_log(pod, NAMESPACE, container=CONTAINER, previous=previous)
        except ApiException:
            continue
        if text:
            return text
    return ""


def _bad_image(lab: Lab, original: dict) -> None:
    # IfNotPresent forces a pull attempt even where the lab sets Never for its local images.
    repository = original["image"].rsplit(":", 1)[0]
    lab.patch_container({"image": f"{repository}:does-not-exist", "imagePullPolicy": "IfNotPresent"})


def _missing_env(lab: Lab, original: dict) -> None:
    env = [e for e in original.get("env", []) if e["name"] != QUOTE_REQUIRED_ENV]
    index = next(i for i, c in enumerate(lab.deployment().spec.template.spec.containers) if c.name == CONTAINER)
    lab.cluster.apps.patch_namespaced_deployment(
        DEPLOYMENT, NAMESPACE, [{"op": "replace", "path": f"/spec/template/spec/containers/{index}/env", "value": env}])


def _low_memory(lab: Lab, original: dict) -> None:
    resources = copy.deepcopy(original.get("resources") or {})
    resources.setdefault("limits", {})["memory"] = OOM_LIMIT
    resources.setdefault("requests", {})["memory"] = OOM_LIMIT
    lab.patch_container({"resources": resources})


OOM_LIMIT = "24Mi"  # below what Python + FastAPI + psycopg need to import


def probe_fault(probe: str) -> Body:
    """Make one pod's liveness or readiness probe fail through the app's admin endpoint."""

    def body(lab: Lab, load: LoadGenerator, marks: list[Mark]) -> Outcome:
        outcome = Outcome()
        token = lab.admin_token()
        if not token:
            raise Skip(f"Secret {NAMESPACE}/{ADMIN_SECRET} with {ADMIN_TOKEN_KEY} not found: "
                       "the fault-injection endpoints are off")
        auth = {"Authorization": f"Bearer {token}"}
        victim = lab.ready_pods()[0]
        name = victim.metadata.name
        restarts = sum(s.restart_count for s in victim.status.container_statuses or [])
        outcome.pods.add(name)
        t0 = mark(load, marks, f"{probe} fault on {name}", "fault")
        status, _ = pod_http(lab.cluster, NAMESPACE, name, APP_PORT, FAULT_INJECT.method, FAULT_INJECT.url(probe=probe), auth)
        if status != 200:
            raise RuntimeError(f"{FAULT_INJECT.method} {FAULT_INJECT.url(probe=probe)} on {name} answered {status}")
        if probe == "liveness":
            def restarted():
                pod = lab.cluster.core.read_namespaced_pod(name, NAMESPACE)
                return sum(s.restart_count for s in pod.status.container_statuses or []) > restarts

            _, took = wait_for(restarted, 180, f"kubelet restarts {name}", progress=log)
            mark(load, marks, f"{name} restarted by the kubelet", "info")
            outcome.describes[name] = lab.describe(name)
            _, ready = wait_for(lambda: is_ready(lab.cluster.core.read_namespaced_pod(name, NAMESPACE)), 180,
                                f"{name} Ready after its restart", progress=log)
            mark(load, marks, f"{name} Ready again (the restart cleared the fault)", "recovery")
            outcome.checks.append(Check("failing liveness probe restarts the container", True,
                                        f"restarted {took:.1f} s after the fault, Ready {ready:.1f} s later"))
            outcome.measurements.update(restarted_after_s=round(took, 1), ready_after_restart_s=round(ready, 1))
        else:
            outcome.max_failed = 0

            def out_of_endpoints():
                return name not in ready_endpoints(lab)

            _, took = wait_for(out_of_endpoints, 120, f"{name} removed from the Service's endpoints", progress=log)
            mark(load, marks, f"{name} removed from endpoints", "info")
            time.sleep(10)  # traffic keeps flowing to the others meanwhile
            outcome.describes[name] = lab.describe(name)
            pod = lab.cluster.core.read_namespaced_pod(name, NAMESPACE)
            still_running = sum(s.restart_count for s in pod.status.container_statuses or []) == restarts
            pod_http(lab.cluster, NAMESPACE, name, APP_PORT, FAULT_CLEAR.method, FAULT_CLEAR.url(probe=probe), auth)
            mark(load, marks, "readiness fault cleared", "info")
            _, back = wait_for(lambda: name in ready_endpoints(lab), 120, f"{name} back in endpoints", progress=log)
            mark(load, marks, f"{name} back in endpoints", "recovery")
            outcome.checks.append(Check("failing readiness removes the pod from endpoints without a restart",
                                        still_running, f"removed {took:.1f} s after the fault, back {back:.1f} s "
                                        f"after clearing it; restarts unchanged: {still_running}"))
            outcome.measurements.update(removed_after_s=round(took, 1), back_after_clear_s=round(back, 1))
        outcome.measurements["fault_at_s"] = round(t0, 1)
        return outcome

    return body


def ready_endpoints(lab: Lab) -> set[str]:
    from kubernetes import client

    slices = client.DiscoveryV1Api(lab.cluster.api).list_namespaced_endpoint_slice(
        NAMESPACE, label_selector=f"kubernetes.io/service-name={SERVICE}").items
    return {e.target_ref.name for s in slices for e in s.endpoints or []
            if e.target_ref and e.conditions and e.conditions.ready}


class Skip(Exception):
    """The experiment cannot run on this cluster; the message says why."""


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    body: Body


EXPERIMENTS = {e.name: e for e in (
    Experiment("pod-delete", "Delete one quote pod", pod_delete),
    Experiment("readiness", "Failing readiness probe", probe_fault("readiness")),
    Experiment("liveness", "Failing liveness probe", probe_fault("liveness")),
    Experiment("bad-image", "Invalid image name", broken_rollout(
        _bad_image, ("image", "imagePullPolicy"), {"ErrImagePull", "ImagePullBackOff"}, "set an image that does not exist")),
    Experiment("missing-env", "Missing environment variable", broken_rollout(
        _missing_env, ("env",), {"CrashLoopBackOff"}, f"remove {QUOTE_REQUIRED_ENV} from the env",
        log_must_contain=f"missing required environment variable: {QUOTE_REQUIRED_ENV}")),
    Experiment("oom", "Memory limit too low", broken_rollout(
        _low_memory, ("resources",), {"OOMKilled"}, f"set the memory limit to {OOM_LIMIT}")),
    Experiment("vm-kill", "Kill one VM", vm_kill),
)}


def run_experiment(lab: Lab, experiment: Experiment, warmup: float = 5.0, cooldown: float = 5.0) -> dict:
    out = lab.out_dir / experiment.name
    out.mkdir(parents=True, exist_ok=True)
    log(f"== {experiment.name}: {experiment.title} (evidence in {out})")
    started = datetime.datetime.now(datetime.timezone.utc)
    marks: list[Mark] = []
    load = LoadGenerator(lab.endpoint, rate=lab.rate, workers=lab.workers).start()
    mark(load, marks, "load started")
    time.sleep(warmup)
    outcome, error, skipped = Outcome(), "", ""
    try:
        outcome = experiment.body(lab, load, marks)
    except Skip as exc:
        skipped = str(exc)
    except (TimeoutError, RuntimeError, ApiException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"   failed: {error}")
    time.sleep(cooldown)
    result: LoadResult = load.stop()
    mark(load, marks, "load stopped")
    log("   reading every acknowledged write back")
    audit = audit_writes(lab.endpoint, result.ledger)

    write_samples_csv(result.samples, out / "timeline.csv")
    write_marks(marks, out / "marks.json")
    plot_timeline(result.samples, marks, out / "timeline.png", experiment.title)
    events = evidence.list_events(lab.cluster, NAMESPACE)
    (out / "events.json").write_text(json.dumps(events, indent=2, default=str) + "\n")
    (out / "events.txt").write_text(evidence.format_events(events))
    describes = [outcome.describes.get(name) or lab.describe(name) for name in sorted(outcome.pods)]
    (out / "describe.txt").write_text("\n".join(describes) or "(no pods involved)\n")

    counts = {**result.counts(), **audit.summary()}
    checks = list(outcome.checks)
    if error:
        checks.append(Check("experiment ran to the end", False, error))
    if not skipped:
        checks.append(Check("no acknowledged write lost", audit.ok,
                            f"{len(audit.lost)} lost, {len(audit.unverified)} unverified of {audit.checked}"))
        if outcome.max_failed is not None:
            failed = result.total - result.succeeded
            checks.append(Check("no failed request", failed <= outcome.max_failed, f"{failed} of {result.total} failed"))
        checks.append(Check(f"success ratio >= {outcome.min_success_ratio:.0%}",
                            result.success_ratio >= outcome.min_success_ratio,
                            f"{result.success_ratio:.2%} of {result.total} requests"))
    summary = {
        "experiment": experiment.name, "title": experiment.title, "started_at": started.isoformat(),
        "profile": lab.profile, "outcome": "skipped" if skipped else ("passed" if all(c.passed for c in checks) else "failed"),
        "skip_reason": skipped, "checks": [c.__dict__ for c in checks], "measurements": outcome.measurements,
        "counts": counts, "notes": outcome.notes,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    log(f"   {summary['outcome'].upper()}: " + "; ".join(f"{c.name}: {c.detail}" for c in checks))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labtool.chaos", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the experiments")
    run = commands.add_parser("run", help="run experiments against the cluster in KUBECONFIG (or ./kubeconfig)")
    run.add_argument("experiments", nargs="+", metavar="EXPERIMENT", help=f"{', '.join(EXPERIMENTS)} or all")
    run.add_argument("--out", type=Path, help="evidence directory (default reports/chaos-<timestamp>)")
    run.add_argument("--profile", choices=["auto", *PROFILES], default="auto",
                     help="failover targets: fast (k3s_node_fast_failover) or default; auto reads the servers' k3s args")
    run.add_argument("--rate", type=float, default=20.0, help="requests per second (default 20)")
    run.add_argument("--workers", type=int, default=8)
    run.add_argument("--node", help="vm-kill: node to kill (default: an agent with a quote pod, no database, no Traefik)")
    run.add_argument("--provider", choices=["auto", "virsh", "docker"], default="auto",
                     help="vm-kill: how nodes run (libvirt VMs from Vagrant, or containers)")
    run.add_argument("--target", help="vm-kill: libvirt domain or container name, when it differs from the node name")
    args = parser.parse_args(argv)
    if args.command == "list":
        for experiment in EXPERIMENTS.values():
            print(f"{experiment.name:<12} {experiment.title}")
        return 0
    names = list(EXPERIMENTS) if args.experiments == ["all"] else args.experiments
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment(s) {', '.join(unknown)}; choose from {', '.join(EXPERIMENTS)} or all")
    try:
        cluster = connect()
    except ClusterUnavailable as exc:
        log(f"chaos: {exc}")
        return 2
    out = args.out or Path("reports") / f"chaos-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    lab = Lab(cluster, out, args.profile, args.rate, args.workers, args.node, args.provider, args.target)
    log(f"chaos: profile {lab.profile} ({lab.targets.description}); load through {lab.endpoint.base_url} Host {lab.endpoint.host}")
    lab.wait_settled()
    summaries = [run_experiment(lab, EXPERIMENTS[name]) for name in names]
    (out / "summary.json").write_text(json.dumps(summaries, indent=2, default=str) + "\n")
    return 0 if all(s["outcome"] != "failed" for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())

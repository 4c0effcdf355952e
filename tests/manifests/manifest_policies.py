"""Policies every rendered manifest set must satisfy, as plain functions.

Each policy takes the list of rendered objects and returns human-readable
violations (empty list: compliant). test_policies.py runs them over every
overlay and over tests/manifests/fixtures/, where each broken fixture must be
caught by the policy it is named after.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Obj = dict
Policy = Callable[[list[Obj]], list[str]]

POLICIES: dict[str, Policy] = {}

LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
WORKLOAD_KINDS = LONG_RUNNING | {"Job", "CronJob", "Pod"}
# Env names that carry credentials: they must come from a Secret.
CREDENTIAL_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEYS?$|PRIVATE_KEY|CREDENTIAL", re.I)
# user:password@ in a URL-like value.
CREDENTIAL_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
VERSION_TAG = re.compile(r"^\d+\.\d+\.\d+([.-][0-9A-Za-z.-]+)?$")
LAB_IMAGE_PREFIX = "k3s-lab/"
# The same images under their full name (what containerd stores them as).
FULL_NAME_PREFIX = "docker.io/"


def lab_image(image: str) -> str | None:
    """k3s-lab/<app>:<tag> for one of the lab's own images, in short or full name, else None."""
    short = image.removeprefix(FULL_NAME_PREFIX)
    return short if short.startswith(LAB_IMAGE_PREFIX) else None


def policy(name: str) -> Callable[[Policy], Policy]:
    def register(func: Policy) -> Policy:
        POLICIES[name] = func
        return func

    return register


def ref(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{meta.get('name')}"


@dataclass
class PodTemplate:
    owner: Obj
    spec: dict
    labels: dict
    namespace: str

    @property
    def containers(self) -> list[dict]:
        return list(self.spec.get("initContainers", [])) + list(self.spec.get("containers", []))


def pod_templates(objects: list[Obj]) -> Iterator[PodTemplate]:
    for obj in objects:
        kind = obj.get("kind")
        if kind not in WORKLOAD_KINDS:
            continue
        if kind == "Pod":
            template = obj
        elif kind == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        else:
            template = obj["spec"]["template"]
        yield PodTemplate(
            owner=obj,
            spec=template.get("spec", {}),
            labels=template.get("metadata", {}).get("labels", {}),
            namespace=obj["metadata"].get("namespace", "default"),
        )


# --- quantities ---------------------------------------------------------------

_SUFFIX = {
    "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}


def quantity(value: str | int | float) -> float:
    """A Kubernetes quantity ("250m", "256Mi", "2") as a float in base units."""
    text = str(value)
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", text)
    if not match or (match.group(2) and match.group(2) not in _SUFFIX):
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    return float(match.group(1)) * _SUFFIX.get(match.group(2), 1)


# --- label selectors ----------------------------------------------------------

def selector_matches(selector: dict | None, labels: dict) -> bool:
    """LabelSelector semantics: matchLabels AND every matchExpression; {} matches all."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


# --- the policies -------------------------------------------------------------

@policy("resources")
def check_resources(objects: list[Obj]) -> list[str]:
    """Every container requests and limits both CPU and memory."""
    problems = []
    for pod in pod_templates(objects):
        for c in pod.containers:
            res = c.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in res.get(section, {}):
                        problems.append(f"{ref(pod.owner)}: container {c['name']} has no {section}.{resource}")
    return problems


@policy("probes")
def check_probes(objects: list[Obj]) -> list[str]:
    """Every long-running container has liveness, readiness and startup probes.
    Startup everywhere because every lab app does start-up work (migrations,
    initdb, loading data) that a liveness probe must not cut short."""
    problems = []
    for pod in pod_templates(objects):
        if pod.owner["kind"] not in LONG_RUNNING:
            continue
        for c in pod.spec.get("containers", []):
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe not in c:
                    problems.append(f"{ref(pod.owner)}: container {c['name']} has no {probe}")
    return problems


@policy("security-context")
def check_security_context(objects: list[Obj]) -> list[str]:
    """Pod Security 'restricted' plus read-only root and no API token."""
    problems = []
    for pod in pod_templates(objects):
        where = ref(pod.owner)
        spec = pod.spec
        psc = spec.get("securityContext", {})
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{where}: {host} is set")
        for volume in spec.get("volumes", []):
            if "hostPath" in volume:
                problems.append(f"{where}: volume {volume['name']} is a hostPath")
        for c in pod.containers:
            csc = c.get("securityContext", {})
            name = f"{where}: container {c['name']}"
            if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                problems.append(f"{name}: runAsNonRoot is not true")
            if csc.get("runAsUser", psc.get("runAsUser")) == 0:
                problems.append(f"{name}: runs as UID 0")
            seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{name}: seccompProfile is {seccomp or 'unset'}")
            if csc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if csc.get("privileged"):
                problems.append(f"{name}: privileged")
            if csc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}: readOnlyRootFilesystem is not true")
            caps = csc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                problems.append(f"{name}: capabilities do not drop ALL")
            if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
                problems.append(f"{name}: adds capabilities {caps['add']}")
    return problems


@policy("image-tags")
def check_image_tags(objects: list[Obj]) -> list[str]:
    """Images carry an explicit tag that is not latest; the lab's own images a version."""
    problems = []
    for pod in pod_templates(objects):
        for c in pod.containers:
            image = c.get("image", "")
            name, _, digest = image.partition("@")
            last = name.rsplit("/", 1)[-1]
            tag = last.partition(":")[2]
            where = f"{ref(pod.owner)}: container {c['name']} image {image!r}"
            if not tag and not digest:
                problems.append(f"{where} has no tag")
            elif tag == "latest":
                problems.append(f"{where} uses latest")
            elif lab_image(name) and not VERSION_TAG.match(tag):
                problems.append(f"{where}: lab images are tagged with their version")
    return problems


@policy("credentials")
def check_credentials(objects: list[Obj]) -> list[str]:
    """No credential in plain text: credential-named env only from a Secret,
    no user:password URLs, no ConfigMap keys named like credentials, and no
    Secret carrying data in the repo (the roles create them in the cluster)."""
    problems = []
    for pod in pod_templates(objects):
        for c in pod.containers:
            for env in c.get("env", []):
                where = f"{ref(pod.owner)}: container {c['name']} env {env['name']}"
                value = env.get("value")
                if value is not None and CREDENTIAL_URL.search(str(value)):
                    problems.append(f"{where} holds a URL with a password")
                if CREDENTIAL_NAME.search(env["name"]) and "secretKeyRef" not in env.get("valueFrom", {}):
                    problems.append(f"{where} looks like a credential but is not from a Secret")
    for obj in objects:
        if obj.get("kind") == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if CREDENTIAL_NAME.search(key) or CREDENTIAL_URL.search(str(value)):
                    problems.append(f"{ref(obj)}: key {key} looks like a credential")
        if obj.get("kind") == "Secret" and (obj.get("data") or obj.get("stringData")):
            problems.append(f"{ref(obj)}: a Secret with data is committed")
    return problems


def _is_default_deny(np: Obj) -> bool:
    spec = np.get("spec", {})
    return (
        spec.get("podSelector") == {}
        and set(spec.get("policyTypes", [])) == {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def _allows_dns(np: Obj) -> bool:
    spec = np.get("spec", {})
    if spec.get("podSelector") != {}:
        return False
    for rule in spec.get("egress", []):
        to_dns = any(
            selector_matches(peer.get("namespaceSelector"), {"kubernetes.io/metadata.name": "kube-system"})
            and selector_matches(peer.get("podSelector"), {"k8s-app": "kube-dns"})
            for peer in rule.get("to", [])
        )
        ports = {(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports", [])}
        if to_dns and {("UDP", 53), ("TCP", 53)} <= ports:
            return True
    return False


@policy("namespace-baseline")
def check_namespace_baseline(objects: list[Obj]) -> list[str]:
    """Every namespace the objects use is declared with PSA 'restricted' and has
    default-deny (ingress and egress), DNS egress, a ResourceQuota and a LimitRange."""
    problems = []
    used = {o["metadata"]["namespace"] for o in objects if o["metadata"].get("namespace")}
    declared = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Namespace"}
    by_ns: dict[str, list[Obj]] = defaultdict(list)
    for obj in objects:
        by_ns[obj["metadata"].get("namespace", "")].append(obj)
    for ns in sorted(used | set(declared)):
        if ns not in declared:
            problems.append(f"namespace {ns} is used but not declared")
        else:
            labels = declared[ns]["metadata"].get("labels", {})
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                problems.append(f"namespace {ns} does not enforce Pod Security 'restricted'")
        kinds = defaultdict(list)
        for obj in by_ns[ns]:
            kinds[obj["kind"]].append(obj)
        policies = kinds["NetworkPolicy"]
        if not any(_is_default_deny(np) for np in policies):
            problems.append(f"namespace {ns} has no default-deny NetworkPolicy for ingress and egress")
        if not any(_allows_dns(np) for np in policies):
            problems.append(f"namespace {ns} has no NetworkPolicy allowing DNS to kube-dns on UDP and TCP 53")
        if not kinds["ResourceQuota"]:
            problems.append(f"namespace {ns} has no ResourceQuota")
        if not kinds["LimitRange"]:
            problems.append(f"namespace {ns} has no LimitRange")
    return problems


def _port_served(pod: PodTemplate, target: int | str) -> bool:
    """A Service targetPort names a container port (string) or gives its number."""
    key = "name" if isinstance(target, str) else "containerPort"
    return any(p.get(key) == target for c in pod.spec.get("containers", []) for p in c.get("ports", []))


@policy("references")
def check_references(objects: list[Obj]) -> list[str]:
    """Services select existing pods on ports those pods serve; Ingresses, HPAs,
    PDBs and ConfigMap references point at objects and ports that exist."""
    problems = []
    pods = list(pod_templates(objects))
    index = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}
    for obj in objects:
        kind, ns = obj["kind"], obj["metadata"].get("namespace")
        spec = obj.get("spec", {})
        if kind == "Service" and spec.get("type") != "ExternalName":
            selector = spec.get("selector")
            if not selector:
                problems.append(f"{ref(obj)}: no selector")
                continue
            matched = [p for p in pods if p.namespace == ns and p.owner["kind"] in LONG_RUNNING
                       and selector_matches({"matchLabels": selector}, p.labels)]
            if not matched:
                problems.append(f"{ref(obj)}: selector {selector} matches no pod template")
            for port in spec.get("ports", []):
                target = port.get("targetPort", port["port"])
                for pod in matched:
                    if not _port_served(pod, target):
                        problems.append(f"{ref(obj)}: port {port['port']} targets {target!r}, "
                                        f"which {ref(pod.owner)} does not serve")
        elif kind == "Ingress":
            for rule in spec.get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    backend = path["backend"]["service"]
                    svc = index.get(("Service", ns, backend["name"]))
                    if svc is None:
                        problems.append(f"{ref(obj)}: backend Service {backend['name']} does not exist")
                        continue
                    want = backend["port"]
                    if not any(p.get("name") == want.get("name") if "name" in want
                               else p["port"] == want.get("number") for p in svc["spec"]["ports"]):
                        problems.append(f"{ref(obj)}: Service {backend['name']} has no port {want}")
        elif kind == "HorizontalPodAutoscaler":
            target = spec["scaleTargetRef"]
            if (target["kind"], ns, target["name"]) not in index:
                problems.append(f"{ref(obj)}: scale target {target['kind']}/{target['name']} does not exist")
        elif kind == "PodDisruptionBudget":
            if not any(p.namespace == ns and selector_matches(spec.get("selector"), p.labels) for p in pods):
                problems.append(f"{ref(obj)}: selector matches no pod template")
    for pod in pods:
        names = [e["valueFrom"]["configMapKeyRef"]["name"] for c in pod.containers
                 for e in c.get("env", []) if "configMapKeyRef" in e.get("valueFrom", {})]
        names += [v["configMap"]["name"] for v in pod.spec.get("volumes", []) if "configMap" in v]
        for name in names:
            if ("ConfigMap", pod.namespace, name) not in index:
                problems.append(f"{ref(pod.owner)}: ConfigMap {name} does not exist")
    return problems


def _max_replicas(obj: Obj, hpas: dict[str, Obj]) -> int:
    hpa = hpas.get(obj["metadata"]["name"])
    if hpa is not None:
        return hpa["spec"]["maxReplicas"]
    return obj["spec"].get("replicas", 1)


def _surge(obj: Obj, replicas: int) -> int:
    """Extra pods a rolling update creates on top of the replicas."""
    if obj["kind"] != "Deployment":
        return 0
    strategy = obj["spec"].get("strategy", {})
    if strategy.get("type") == "Recreate":
        return 0
    surge = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(replicas * int(surge[:-1]) / 100)
    return int(surge)


@dataclass
class NamespaceDemand:
    """What a namespace's workloads can claim at once: every workload at its
    maximum scale (HPA max) plus its rolling-update surge, one run of each Job."""

    pods: int = 0
    totals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    largest_pod: dict[str, float] = field(default_factory=dict)


def namespace_demand(objects: list[Obj]) -> dict[str, NamespaceDemand]:
    hpas: dict[str, dict[str, Obj]] = defaultdict(dict)
    for obj in objects:
        if obj["kind"] == "HorizontalPodAutoscaler":
            hpas[obj["metadata"]["namespace"]][obj["spec"]["scaleTargetRef"]["name"]] = obj
    demand: dict[str, NamespaceDemand] = defaultdict(NamespaceDemand)
    for pod in pod_templates(objects):
        owner = pod.owner
        if owner["kind"] in LONG_RUNNING:
            replicas = _max_replicas(owner, hpas[pod.namespace])
            count = replicas + _surge(owner, replicas)
        else:
            count = 1
        per_pod: dict[str, float] = defaultdict(float)
        for c in pod.spec.get("containers", []):
            for section in ("requests", "limits"):
                for resource, value in c.get("resources", {}).get(section, {}).items():
                    per_pod[f"{section}.{resource}"] += quantity(value)
        ns = demand[pod.namespace]
        ns.pods += count
        for key, value in per_pod.items():
            ns.totals[key] += count * value
        if sum(per_pod.values()) > sum(ns.largest_pod.values()):
            ns.largest_pod = dict(per_pod)
    return demand


@policy("quota-fits")
def check_quota_fits(objects: list[Obj]) -> list[str]:
    """Each namespace's ResourceQuota admits its workloads at full scale during a
    rollout, and every container fits its LimitRange (else admission rejects it)."""
    problems = []
    demand = namespace_demand(objects)
    for obj in objects:
        ns = obj["metadata"].get("namespace")
        if obj["kind"] == "ResourceQuota":
            hard = obj["spec"]["hard"]
            need = demand[ns]
            if "pods" in hard and need.pods > int(hard["pods"]):
                problems.append(f"{ref(obj)}: workloads need {need.pods} pods, quota allows {hard['pods']}")
            for key, total in need.totals.items():
                if key in hard and total > quantity(hard[key]) + 1e-9:
                    problems.append(f"{ref(obj)}: workloads need {key}={total:g}, quota allows {hard[key]}")
        if obj["kind"] == "LimitRange":
            for limit in obj["spec"]["limits"]:
                if limit["type"] != "Container":
                    continue
                for pod in pod_templates(objects):
                    if pod.namespace != ns:
                        continue
                    for c in pod.containers:
                        res = c.get("resources", {})
                        for resource, cap in limit.get("max", {}).items():
                            value = res.get("limits", {}).get(resource)
                            if value is not None and quantity(value) > quantity(cap):
                                problems.append(f"{ref(pod.owner)}: container {c['name']} limit "
                                                f"{resource}={value} exceeds {ref(obj)} max {cap}")
    return problems


@policy("local-images")
def check_local_images(objects: list[Obj]) -> list[str]:
    """Lab only: the lab's own images are imported into containerd, never pulled."""
    problems = []
    for pod in pod_templates(objects):
        for c in pod.containers:
            if lab_image(c.get("image", "")) and c.get("imagePullPolicy") != "Never":
                problems.append(f"{ref(pod.owner)}: container {c['name']} may pull {c['image']} "
                                f"(imagePullPolicy {c.get('imagePullPolicy', 'unset')})")
    return problems


def violations(objects: list[Obj], names: list[str] | None = None) -> dict[str, list[str]]:
    """Run the named policies (default: all) and return only the failing ones."""
    results = {name: POLICIES[name](objects) for name in (names or POLICIES)}
    return {name: found for name, found in results.items() if found}

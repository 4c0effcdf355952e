"""The lab's architecture drawn from the live cluster: nodes, pods per node, Services,
Ingresses and NetworkPolicies, as Graphviz rendered to PNG and SVG.

`snapshot()` reads the cluster into plain data; `render()` draws such data, so the
drawing is tested on recorded state and used unchanged on the live one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .kube import Cluster
from .lab_names import INGRESS_CONTROLLER_NAMESPACE, INGRESS_CONTROLLER_SELECTOR, LAB_LABEL


def _ready(conditions: list | None, kind: str = "Ready") -> bool:
    return any(c.type == kind and c.status == "True" for c in conditions or [])


def snapshot(cluster: Cluster) -> dict[str, Any]:
    core, net = cluster.core, cluster.networking
    namespaces = [ns.metadata.name for ns in core.list_namespace(label_selector=LAB_LABEL).items]
    state: dict[str, Any] = {"nodes": [], "pods": [], "services": [], "ingresses": [], "network_policies": []}
    for node in core.list_node().items:
        labels = node.metadata.labels or {}
        roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")) or ["agent"]
        address = next((a.address for a in node.status.addresses or [] if a.type == "InternalIP"), "")
        state["nodes"].append({"name": node.metadata.name, "ready": _ready(node.status.conditions),
                               "roles": roles, "internal_ip": address})
    pods = [pod for namespace in namespaces for pod in core.list_namespaced_pod(namespace).items]
    pods += core.list_namespaced_pod(INGRESS_CONTROLLER_NAMESPACE, label_selector=INGRESS_CONTROLLER_SELECTOR).items
    for pod in pods:
        state["pods"].append({
            "namespace": pod.metadata.namespace, "name": pod.metadata.name, "node": pod.spec.node_name or "",
            "phase": pod.status.phase, "ready": _ready(pod.status.conditions), "labels": pod.metadata.labels or {},
        })
    for namespace in namespaces:
        for svc in core.list_namespaced_service(namespace).items:
            state["services"].append({
                "namespace": namespace, "name": svc.metadata.name, "type": svc.spec.type,
                "selector": svc.spec.selector or {}, "ports": [p.port for p in svc.spec.ports or []],
            })
        for ing in net.list_namespaced_ingress(namespace).items:
            rules = ing.spec.rules or []
            state["ingresses"].append({
                "namespace": namespace, "name": ing.metadata.name,
                "hosts": [r.host for r in rules if r.host],
                "services": sorted({p.backend.service.name for r in rules if r.http for p in r.http.paths
                                    if p.backend.service}),
            })
        for policy in net.list_namespaced_network_policy(namespace).items:
            state["network_policies"].append({
                "namespace": namespace, "name": policy.metadata.name,
                "pod_selector": policy.spec.pod_selector.match_labels or {},
                "policy_types": policy.spec.policy_types or [],
            })
    return state


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _pod_key(pod: dict[str, Any]) -> str:
    return f"pod/{pod['namespace']}/{pod['name']}"


def build_graph(state: dict[str, Any]):
    import graphviz

    graph = graphviz.Digraph("lab", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11",
                                                "label": "k3s lab: live architecture", "labelloc": "t"},
                             node_attr={"fontname": "Helvetica", "fontsize": "10"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    graph.node("user", "User / browser", shape="oval", style="filled", fillcolor="#ffffff")
    for node in state["nodes"]:
        with graph.subgraph(name=f"cluster_node_{node['name']}") as box:
            status = "Ready" if node["ready"] else "NotReady"
            box.attr(label=f"{node['name']} ({', '.join(node['roles'])}) {node['internal_ip']} {status}",
                     style="rounded,filled", fillcolor="#eef4ff" if node["ready"] else "#ffe5e5")
            for pod in state["pods"]:
                if pod["node"] == node["name"]:
                    box.node(_pod_key(pod), f"{pod['name']}\n{pod['namespace']}", shape="box", style="filled",
                             fillcolor="#c8f0c8" if pod["ready"] else "#f8c8c8")
    for pod in state["pods"]:
        if not pod["node"]:  # Pending: not on any node yet
            graph.node(_pod_key(pod), f"{pod['name']}\n{pod['namespace']} (Pending)", shape="box", style="dashed")
    for svc in state["services"]:
        key = f"svc/{svc['namespace']}/{svc['name']}"
        graph.node(key, f"Service {svc['name']}\n{svc['namespace']} {svc['type']} {svc['ports']}",
                   shape="ellipse", style="filled", fillcolor="#fff2cc")
        if svc["type"] == "LoadBalancer":
            graph.edge("user", key, label="ServiceLB")
        for pod in state["pods"]:
            if svc["selector"] and pod["namespace"] == svc["namespace"] and _selects(svc["selector"], pod["labels"]):
                graph.edge(key, _pod_key(pod))
    for ing in state["ingresses"]:
        key = f"ing/{ing['namespace']}/{ing['name']}"
        graph.node(key, f"Ingress {ing['name']}\n{', '.join(ing['hosts'])}", shape="hexagon",
                   style="filled", fillcolor="#e1d5f5")
        graph.edge("user", key, label="HTTP")
        for service in ing["services"]:
            graph.edge(key, f"svc/{ing['namespace']}/{service}")
    for policy in state["network_policies"]:
        key = f"netpol/{policy['namespace']}/{policy['name']}"
        graph.node(key, f"NetworkPolicy {policy['name']}\n{policy['namespace']} {'/'.join(policy['policy_types'])}",
                   shape="note", fontsize="8", style="filled", fillcolor="#f4f4f4")
        for pod in state["pods"]:
            if pod["namespace"] == policy["namespace"] and _selects(policy["pod_selector"], pod["labels"]):
                graph.edge(key, _pod_key(pod), style="dashed", arrowhead="none", color="#999999")
    return graph


def render(state: dict[str, Any], out_base: Path) -> tuple[Path, Path]:
    """Write <out_base>.png, <out_base>.svg and <out_base>.json (the state drawn)."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    out_base.with_suffix(".json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    graph = build_graph(state)
    png = Path(graph.render(outfile=out_base.with_suffix(".png"), format="png", cleanup=True))
    svg = Path(graph.render(outfile=out_base.with_suffix(".svg"), format="svg", cleanup=True))
    return png, svg

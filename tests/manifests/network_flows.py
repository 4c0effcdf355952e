"""Which pod may open a connection to which pod and port, by NetworkPolicy
semantics, computed from rendered objects. Peers outside the manifests (k3s's
Traefik, CoreDNS and ServiceLB pods in kube-system) are modelled by their labels.
kube-system itself has no policies, so it is unrestricted, as in k3s."""

from __future__ import annotations

from dataclasses import dataclass

from manifest_policies import pod_templates, selector_matches


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[tuple[str, int, str], ...]  # (name, number, protocol)

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


def external(name: str, labels: dict[str, str], ports: tuple = ()) -> Pod:
    return Pod("kube-system", name, tuple(sorted(labels.items())), ports)


TRAEFIK = external("traefik", {"app.kubernetes.io/name": "traefik"})
COREDNS = external("coredns", {"k8s-app": "kube-dns"}, (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")))


def servicelb(service: str) -> Pod:
    return external(f"svclb-{service}", {"svccontroller.k3s.cattle.io/svcname": service})


class Flows:
    def __init__(self, objects: list[dict], extra_pods: tuple[Pod, ...] = ()) -> None:
        self.policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
        self.ns_labels = {"kube-system": {"kubernetes.io/metadata.name": "kube-system"}}
        for obj in objects:
            if obj["kind"] == "Namespace":
                name = obj["metadata"]["name"]
                self.ns_labels[name] = {**obj["metadata"].get("labels", {}), "kubernetes.io/metadata.name": name}
        self.pods = [
            Pod(
                t.namespace,
                t.owner["metadata"]["name"],
                tuple(sorted(t.labels.items())),
                tuple((p.get("name", ""), p["containerPort"], p.get("protocol", "TCP"))
                      for c in t.spec.get("containers", []) for p in c.get("ports", [])),
            )
            for t in pod_templates(objects)
        ] + list(extra_pods)

    def _selecting(self, pod: Pod, direction: str) -> list[dict]:
        return [
            np for np in self.policies
            if np["metadata"].get("namespace") == pod.namespace
            and direction in np["spec"].get("policyTypes", ["Ingress"])
            and selector_matches(np["spec"]["podSelector"], pod.label_map)
        ]

    def _peer_matches(self, peer: dict, policy_ns: str, pod: Pod) -> bool:
        if "ipBlock" in peer:
            return False  # pod traffic is judged by selectors here
        if "namespaceSelector" in peer:
            ns_ok = selector_matches(peer["namespaceSelector"], self.ns_labels.get(pod.namespace, {}))
        else:
            ns_ok = pod.namespace == policy_ns
        pod_ok = "podSelector" not in peer or selector_matches(peer["podSelector"], pod.label_map)
        return ns_ok and pod_ok

    @staticmethod
    def _port_matches(rule: dict, dst: Pod, port: int, protocol: str) -> bool:
        if not rule.get("ports"):
            return True
        for allowed in rule["ports"]:
            if allowed.get("protocol", "TCP") != protocol:
                continue
            want = allowed.get("port")
            if want is None:
                return True
            if isinstance(want, str):
                if any(n == want and num == port and pr == protocol for n, num, pr in dst.ports):
                    return True
            elif want <= port <= allowed.get("endPort", want):
                return True
        return False

    def _admits(self, pod: Pod, other: Pod, dst: Pod, port: int, protocol: str, direction: str) -> bool:
        selecting = self._selecting(pod, direction)
        if not selecting:
            return True
        key, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        for np in selecting:
            for rule in np["spec"].get(key, []):
                peer_ok = not rule.get(peers) or any(
                    self._peer_matches(peer, pod.namespace, other) for peer in rule[peers]
                )
                if peer_ok and self._port_matches(rule, dst, port, protocol):
                    return True
        return False

    def allowed(self, src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
        return (self._admits(src, dst, dst, port, protocol, "Egress")
                and self._admits(dst, src, dst, port, protocol, "Ingress"))

    def matrix(self) -> set[tuple[str, str, int]]:
        """Every allowed (source, destination, port) over declared container ports."""
        return {
            (src.id, dst.id, port)
            for src in self.pods
            for dst in self.pods
            if src is not dst
            for _, port, protocol in dst.ports
            if self.allowed(src, dst, port, protocol)
        }

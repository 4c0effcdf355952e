#!/usr/bin/env python3
"""Blue-green switch for the quote app (manifests/bases/blue-green).

Two Deployments run side by side, quote-blue (1.0.0) and quote-green (2.0.0); the
Service `quote` sends traffic to the colour in its selector. This script:

  status                 which colour is live and how ready each colour is
  switch --to COLOUR     switch once COLOUR is fully rolled out and ready, verify that the
                         Service's endpoints (and, with --verify-url, the answers) are all
                         COLOUR, and switch back by itself if that verification fails
  rollback               switch back to the colour recorded before the last switch

Examples (kubeconfig from KUBECONFIG or ./kubeconfig):
  python -m labtool.blue_green status
  python -m labtool.blue_green switch --to green --verify-url http://bluegreen.192.168.56.11.sslip.io
  python -m labtool.blue_green rollback

Exit status: 0 done (or nothing to do), 1 refused or verification failed (traffic left on,
or returned to, the previous colour), 2 bad input or no reachable cluster.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from labtool.kube import ClusterUnavailable, connect, wait_for
from labtool.validate_deployment import deployment_progress

COLOURS = ("blue", "green")
COLOUR_LABEL = "color"
PREVIOUS = "k3s-lab/previous-color"
SWITCHED_AT = "k3s-lab/switched-at"


# --- decisions (pure: unit-tested without a cluster) ----------------------------------------

def other(colour: str) -> str:
    return COLOURS[1 - COLOURS.index(colour)]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    version: str


def image_version(deployment: dict) -> str:
    """The tag of the Deployment's first container image: what /healthz reports as version."""
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    return image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""


def colour_readiness(deployment: dict | None) -> Readiness:
    """Fully ready: rolled out by `kubectl rollout status` rules, at least one replica,
    and every replica Ready."""
    if deployment is None:
        return Readiness(False, "no Deployment of that colour", "")
    version = image_version(deployment)
    wanted = deployment.get("spec", {}).get("replicas", 1)
    if wanted < 1:
        return Readiness(False, "scaled to 0 replicas", version)
    progress = deployment_progress(deployment)
    if not progress.done:
        return Readiness(False, progress.message, version)
    ready = deployment.get("status", {}).get("readyReplicas", 0)
    if ready < wanted:
        return Readiness(False, f"{ready} of {wanted} replicas ready", version)
    return Readiness(True, f"{ready} of {wanted} replicas ready", version)


@dataclass(frozen=True)
class Plan:
    action: str  # "switch", "nothing", "refuse"
    reason: str


def plan_switch(live: str, target: str, readiness: Readiness) -> Plan:
    if target not in COLOURS:
        return Plan("refuse", f"unknown colour {target!r}; choose one of {', '.join(COLOURS)}")
    if target == live:
        return Plan("nothing", f"{target} is already live")
    if not readiness.ready:
        return Plan("refuse", f"{target} is not fully ready ({readiness.reason}); traffic stays on {live}")
    return Plan("switch", f"{target} is ready ({readiness.reason})")


def rollback_target(live: str, previous: str | None) -> str:
    """The colour recorded before the last switch, else simply the other one."""
    return previous if previous in COLOURS and previous != live else other(live)


def endpoints_verdict(endpoints: Iterable[tuple[str, bool]], pod_colours: dict[str, str],
                      target: str, wanted: int) -> tuple[bool, str]:
    """Endpoints are (pod name, ready). Verified when every endpoint is a target pod and
    `wanted` of them are ready."""
    endpoints = list(endpoints)
    strangers = sorted({pod for pod, _ in endpoints if pod_colours.get(pod) != target})
    if strangers:
        return False, f"endpoints still include non-{target} pods: {', '.join(strangers)}"
    ready = sum(1 for _, ok in endpoints if ok)
    if ready < wanted:
        return False, f"{ready} of {wanted} {target} endpoints ready"
    return True, f"all {ready} endpoints are {target} pods"


def answers_verdict(versions: list[str], expected: str) -> tuple[bool, str]:
    wrong = [v for v in versions if v != expected]
    if not versions:
        return False, "no answers"
    if wrong:
        return False, f"{len(wrong)} of {len(versions)} answers from {sorted(set(wrong))}, not {expected}"
    return True, f"{len(versions)} answers, all version {expected}"


# --- the cluster side ----------------------------------------------------------------------

class BlueGreen:
    def __init__(self, cluster, namespace: str, service: str, app: str, log: Callable[[str], None]) -> None:
        self.cluster, self.namespace, self.service, self.app, self.log = cluster, namespace, service, app, log

    def live(self) -> tuple[str, str | None]:
        service = self.cluster.api.sanitize_for_serialization(
            self.cluster.core.read_namespaced_service(self.service, self.namespace))
        selector = service["spec"].get("selector")
        colour = (selector or {}).get(COLOUR_LABEL)
        if colour not in COLOURS:
            raise ValueError(f"Service {self.namespace}/{self.service} selects no colour (selector {selector})")
        return colour, (service["metadata"].get("annotations") or {}).get(PREVIOUS)

    def deployment(self, colour: str) -> dict | None:
        found = self.cluster.apps.list_namespaced_deployment(
            self.namespace, label_selector=f"app.kubernetes.io/name={self.app},{COLOUR_LABEL}={colour}").items
        return self.cluster.api.sanitize_for_serialization(found[0]) if found else None

    def readiness(self, colour: str) -> Readiness:
        return colour_readiness(self.deployment(colour))

    def point_at(self, colour: str, previous: str) -> None:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.cluster.core.patch_namespaced_service(self.service, self.namespace, {
            "metadata": {"annotations": {PREVIOUS: previous, SWITCHED_AT: now}},
            "spec": {"selector": {COLOUR_LABEL: colour}},
        })
        self.log(f"Service {self.namespace}/{self.service} now selects {COLOUR_LABEL}={colour} (was {previous})")

    def endpoints(self) -> tuple[list[tuple[str, bool]], dict[str, str]]:
        from kubernetes import client

        slices = client.DiscoveryV1Api(self.cluster.api).list_namespaced_endpoint_slice(
            self.namespace, label_selector=f"kubernetes.io/service-name={self.service}").items
        endpoints = [
            (e.target_ref.name, bool(e.conditions and e.conditions.ready))
            for s in slices for e in (s.endpoints or []) if e.target_ref and e.target_ref.kind == "Pod"
        ]
        pods = self.cluster.core.list_namespaced_pod(
            self.namespace, label_selector=f"app.kubernetes.io/name={self.app}").items
        return endpoints, {p.metadata.name: (p.metadata.labels or {}).get(COLOUR_LABEL, "") for p in pods}

    def verify(self, target: str, wanted: int, version: str, url: str | None, timeout: float) -> tuple[bool, str]:
        last = ""

        def endpoints_ok() -> bool:
            nonlocal last
            ok, last = endpoints_verdict(*self.endpoints(), target, wanted)
            return ok

        try:
            wait_for(endpoints_ok, timeout, f"endpoints of {self.service} all {target}", interval=1.0, progress=self.log)
        except TimeoutError:
            return False, last
        self.log(f"verified: {last}")
        if not url:
            return True, last
        versions = []
        with httpx.Client(timeout=5.0) as http:
            for _ in range(10):
                try:
                    versions.append(http.get(url.rstrip("/") + "/healthz").json().get("version", ""))
                except (httpx.HTTPError, ValueError) as exc:
                    versions.append(f"error: {type(exc).__name__}")
        return answers_verdict(versions, version)

    def switch(self, target: str, wait: float, verify_timeout: float, url: str | None) -> int:
        live, _ = self.live()
        readiness = self.readiness(target) if target in COLOURS else Readiness(False, "", "")
        if target in COLOURS and target != live and not readiness.ready and wait > 0:
            self.log(f"waiting up to {wait:g} s for {target} to be fully ready ({readiness.reason})")
            try:
                readiness, _ = wait_for(lambda: (r := self.readiness(target)).ready and r, wait,
                                        f"{target} fully ready", interval=2.0, progress=self.log)
            except TimeoutError:
                readiness = self.readiness(target)
        plan = plan_switch(live, target, readiness)
        self.log(f"{plan.action}: {plan.reason}")
        if plan.action != "switch":
            return 0 if plan.action == "nothing" else 1
        wanted = self.deployment(target)["spec"]["replicas"]
        self.point_at(target, previous=live)
        ok, why = self.verify(target, wanted, readiness.version, url, verify_timeout)
        if ok:
            self.log(f"switched to {target}: {why}")
            return 0
        self.log(f"verification failed ({why}); rolling back to {live}")
        self.point_at(live, previous=target)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespace", default="blue-green")
    parser.add_argument("--service", default="quote")
    parser.add_argument("--app", default="quote", help="app.kubernetes.io/name of both colours")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status")
    switch = sub.add_parser("switch")
    switch.add_argument("--to", required=True, choices=COLOURS)
    rollback = sub.add_parser("rollback")
    for p in (switch, rollback):
        p.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the target to be ready")
        p.add_argument("--verify-timeout", type=float, default=60.0)
        p.add_argument("--verify-url", help="base URL of the Ingress; /healthz must report the target's version")
    args = parser.parse_args(argv)
    log = functools.partial(print, flush=True)
    try:
        tool = BlueGreen(connect(), args.namespace, args.service, args.app, log)
        live, previous = tool.live()
    except (ClusterUnavailable, ValueError) as exc:
        print(f"blue_green: {exc}", file=sys.stderr)
        return 2
    if args.command == "status":
        log(f"live: {live} (previous: {previous or 'none'})")
        for colour in COLOURS:
            r = tool.readiness(colour)
            log(f"{colour}: version {r.version or '?'}, {'ready' if r.ready else 'not ready'} ({r.reason})")
        return 0
    target = args.to if args.command == "switch" else rollback_target(live, previous)
    return tool.switch(target, args.wait, args.verify_timeout, args.verify_url)


if __name__ == "__main__":
    sys.exit(main())

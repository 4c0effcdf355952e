"""The decisions of labtool.blue_green, on API objects as the cluster returns them.
Only the pure decision functions are tested here; the switch itself needs a cluster
(test_blue_green_live.py)."""

from __future__ import annotations

import pytest

from labtool.blue_green import (
    Readiness, answers_verdict, colour_readiness, endpoints_verdict, image_version, other, plan_switch,
    rollback_target,
)


def deployment(replicas=2, ready=2, updated=2, available=2, total=None, generation=3, observed=3,
               image="k3s-lab/quote:2.0.0") -> dict:
    return {
        "metadata": {"name": "quote-green", "generation": generation},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "quote", "image": image}]}}},
        "status": {"observedGeneration": observed, "replicas": updated if total is None else total,
                   "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available},
    }


def test_other_colour() -> None:
    assert other("blue") == "green" and other("green") == "blue"


def test_fully_rolled_out_and_ready_colour_is_ready() -> None:
    r = colour_readiness(deployment())
    assert r.ready and r.version == "2.0.0"


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (dict(observed=2), "observe the new spec"),
        (dict(updated=1, available=1, ready=1), "1 of 2 new replicas updated"),
        (dict(total=3), "old replicas pending termination"),
        (dict(available=1, ready=1), "1 of 2 updated replicas available"),
        (dict(replicas=0, updated=0, available=0, ready=0), "scaled to 0"),
    ],
)
def test_colour_not_ready_until_every_replica_is(state: dict, reason: str) -> None:
    r = colour_readiness(deployment(**state))
    assert not r.ready and reason in r.reason


def test_missing_colour_is_not_ready() -> None:
    assert not colour_readiness(None).ready


def test_image_version_handles_registry_ports() -> None:
    assert image_version(deployment(image="registry.local:5000/k3s-lab/quote:1.0.0")) == "1.0.0"
    assert image_version(deployment(image="registry.local:5000/k3s-lab/quote")) == ""


def test_plan_refuses_an_unready_target_and_keeps_traffic() -> None:
    plan = plan_switch("blue", "green", Readiness(False, "1 of 2 replicas ready", "2.0.0"))
    assert plan.action == "refuse" and "stays on blue" in plan.reason


def test_plan_switches_to_a_ready_target_and_ignores_the_live_one() -> None:
    assert plan_switch("blue", "green", Readiness(True, "2 of 2", "2.0.0")).action == "switch"
    assert plan_switch("green", "green", Readiness(True, "2 of 2", "2.0.0")).action == "nothing"
    assert plan_switch("blue", "purple", Readiness(True, "", "")).action == "refuse"


def test_rollback_goes_to_the_recorded_colour_else_the_other() -> None:
    assert rollback_target("green", "blue") == "blue"
    assert rollback_target("green", None) == "blue"
    assert rollback_target("green", "green") == "blue"  # a stale record never means "stay"


def test_endpoints_verified_only_when_all_are_target_pods() -> None:
    colours = {"quote-green-a": "green", "quote-green-b": "green", "quote-blue-a": "blue"}
    ok, _ = endpoints_verdict([("quote-green-a", True), ("quote-green-b", True)], colours, "green", 2)
    assert ok
    ok, why = endpoints_verdict([("quote-green-a", True), ("quote-blue-a", True)], colours, "green", 1)
    assert not ok and "quote-blue-a" in why
    ok, why = endpoints_verdict([("quote-green-a", True), ("quote-green-b", False)], colours, "green", 2)
    assert not ok and "1 of 2" in why


def test_answers_must_all_come_from_the_target_version() -> None:
    assert answers_verdict(["2.0.0"] * 10, "2.0.0")[0]
    assert not answers_verdict(["2.0.0", "1.0.0"], "2.0.0")[0]
    assert not answers_verdict(["error: ConnectError"], "2.0.0")[0]
    assert not answers_verdict([], "2.0.0")[0]

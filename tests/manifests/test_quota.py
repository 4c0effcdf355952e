"""The analytics namespace's quota is tight: it admits its two apps and nothing more,
so the second app must fit in what analytics leaves (Deploy 5 of the exercises)."""

from __future__ import annotations

import copy

import pytest

from manifest_render import lab_namespace
from manifest_policies import check_quota_fits, namespace_demand, quantity


def test_both_apps_fit_the_quota() -> None:
    objects = lab_namespace("analytics")
    names = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
    assert names == {"analytics", "catalogue"}
    assert check_quota_fits(objects) == []


@pytest.mark.parametrize("deployment", ["analytics", "catalogue"])
def test_one_more_replica_of_either_app_exceeds_the_quota(deployment: str) -> None:
    objects = copy.deepcopy(lab_namespace("analytics"))
    target = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == deployment)
    target["spec"]["replicas"] += 1
    assert check_quota_fits(objects), f"a second {deployment} replica would still fit"


def test_quota_leaves_no_slack_on_memory_limits() -> None:
    objects = lab_namespace("analytics")
    quota = next(o for o in objects if o["kind"] == "ResourceQuota")
    demand = namespace_demand(objects)["analytics"]
    assert demand.totals["limits.memory"] == quantity(quota["spec"]["hard"]["limits.memory"])

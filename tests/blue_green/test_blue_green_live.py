"""labtool.blue_green against the lab's blue-green namespace: switch to the
other colour and back, each verified by the Service's endpoints. Needs a reachable
cluster with the lab workloads; skips with the reason otherwise."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def tool():
    from labtool.kube import ClusterUnavailable, connect

    from labtool.blue_green import BlueGreen

    try:
        cluster = connect()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    return BlueGreen(cluster, "blue-green", "quote", "quote", print)


def test_switch_and_rollback_keep_traffic_on_one_verified_colour(tool) -> None:
    from labtool.blue_green import other

    start, _ = tool.live()
    target = other(start)
    try:
        assert tool.switch(target, wait=300, verify_timeout=60, url=None) == 0
        assert tool.live() == (target, start)
        assert tool.switch(start, wait=300, verify_timeout=60, url=None) == 0
        assert tool.live()[0] == start
    finally:
        if tool.live()[0] != start:
            tool.point_at(start, previous=target)

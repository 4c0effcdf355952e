"""Events and describe-like output from data in the API's JSON shape."""

from sample_data import EVENTS, POD

from labtool.evidence import describe_pod, event_time, format_events, pod_events


def test_events_table_lists_every_event_with_reason_and_object():
    table = format_events(sorted(EVENTS, key=event_time)).splitlines()
    assert table[0].split()[:4] == ["LAST", "SEEN", "TYPE", "REASON"]
    assert len(table) == 1 + len(EVENTS)
    assert table[1].split()[2] == "Killing"  # oldest first
    backoff = next(line for line in table if "BackOff" in line)
    assert "pod/quote-bad-1" in backoff and 'Back-off pulling image "k3s-lab/quote:nope"' in backoff
    assert backoff.split()[4] == "5"


def test_describe_shows_the_waiting_reason_and_only_this_pods_events():
    text = describe_pod(POD, EVENTS)
    assert "Node:         agent-2" in text
    assert "State:          Waiting, reason=ImagePullBackOff" in text
    assert "Image:          k3s-lab/quote:nope" in text
    assert "Ready                       False (ContainersNotReady)" in text
    events = text.split("Events:\n", 1)[1]
    assert "Failed to pull image" in events and "Stopping container" not in events
    assert len(pod_events(EVENTS, "quote-bad-1")) == 3


def test_describe_without_events_says_none():
    assert describe_pod(POD, []).endswith("Events:\n  <none>\n")

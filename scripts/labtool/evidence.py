"""Evidence from the cluster as plain data: events and `kubectl describe pod`-like text.

The formatters take the API's JSON shape (dicts, camelCase keys, as
ApiClient.sanitize_for_serialization returns it), so recorded data renders
exactly as live data does.
"""

from __future__ import annotations

from typing import Any

from .kube import Cluster


def list_events(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    """The namespace's events, oldest first (what `kubectl get events` lists)."""
    items = cluster.core.list_namespaced_event(namespace).items
    events = [cluster.api.sanitize_for_serialization(item) for item in items]
    return sorted(events, key=event_time)


def event_time(event: dict[str, Any]) -> str:
    return event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp") or ""


def format_events(events: list[dict[str, Any]]) -> str:
    rows = [("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE")]
    for event in events:
        involved = event.get("involvedObject", {})
        rows.append((
            event_time(event), event.get("type", ""), event.get("reason", ""),
            f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
            str(event.get("count") or 1), (event.get("message") or "").replace("\n", " "),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths)) + "  " + row[5] for row in rows
    ) + "\n"


def pod_events(events: list[dict[str, Any]], pod_name: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("involvedObject", {}).get("kind") == "Pod"
            and e.get("involvedObject", {}).get("name") == pod_name]


def _state(state: dict[str, Any] | None) -> str:
    if not state:
        return "Unknown"
    for name in ("running", "waiting", "terminated"):
        detail = state.get(name)
        if detail is None:
            continue
        parts = [name.capitalize()]
        for key in ("reason", "exitCode", "startedAt", "finishedAt", "message"):
            if detail.get(key) not in (None, ""):
                parts.append(f"{key}={detail[key]}")
        return ", ".join(parts)
    return "Unknown"


def describe_pod(pod: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The parts of `kubectl describe pod` an incident review needs."""
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    lines = [
        f"Name:         {meta.get('name', '')}",
        f"Namespace:    {meta.get('namespace', '')}",
        f"Node:         {spec.get('nodeName') or '<none>'}",
        f"Start Time:   {status.get('startTime', '<none>')}",
        f"Labels:       {', '.join(f'{k}={v}' for k, v in sorted((meta.get('labels') or {}).items()))}",
        f"Status:       {status.get('phase', 'Unknown')}" + (f" ({status['reason']})" if status.get("reason") else ""),
        f"IP:           {status.get('podIP') or '<none>'}",
        f"Deleting:     {meta['deletionTimestamp']}" if meta.get("deletionTimestamp") else "Deleting:     no",
        "Containers:",
    ]
    statuses = {s["name"]: s for s in status.get("containerStatuses") or []}
    for container in spec.get("containers", []):
        current = statuses.get(container["name"], {})
        resources = container.get("resources") or {}
        lines += [
            f"  {container['name']}:",
            f"    Image:          {container.get('image', '')}",
            f"    State:          {_state(current.get('state'))}",
            f"    Last State:     {_state(current.get('lastState')) if current.get('lastState') else '<none>'}",
            f"    Ready:          {current.get('ready', False)}",
            f"    Restart Count:  {current.get('restartCount', 0)}",
            f"    Limits:         {resources.get('limits') or '<none>'}",
            f"    Requests:       {resources.get('requests') or '<none>'}",
        ]
    lines.append("Conditions:")
    for condition in status.get("conditions") or []:
        reason = f" ({condition['reason']})" if condition.get("reason") else ""
        lines.append(f"  {condition.get('type', ''):<28}{condition.get('status', '')}{reason}")
    lines.append("Events:")
    own = pod_events(events, meta.get("name", ""))
    lines += ["  " + line for line in format_events(own).splitlines()] if own else ["  <none>"]
    return "\n".join(lines) + "\n"

"""Data for a Secret the workload_secrets role owns, without ever losing a value.

For each generated key the value already in the cluster wins (a database keeps
the password it was initialised with), else the one given through Ansible Vault,
else a new random one. Fixed keys (host, port, names) always take the given
value. Output is the Secret's base64 `data`, so re-applying it is idempotent.
"""

from __future__ import annotations

import base64
import secrets


def _b64(value: str) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _plain(value: str) -> str:
    return base64.b64decode(value).decode()


def workload_secret_data(existing: dict | None, spec: dict, provided: dict | None = None) -> dict:
    existing = existing or {}
    provided = {k: v for k, v in (provided or {}).items() if v}
    data = {key: _b64(value) for key, value in (spec.get("fixed") or {}).items()}
    for key in spec.get("generated") or []:
        if key in existing:
            data[key] = existing[key]
        elif key in provided:
            data[key] = _b64(provided[key])
        else:
            data[key] = _b64(secrets.token_urlsafe(24))
    return dict(sorted(data.items()))


def workload_secret_conflicts(existing: dict | None, spec: dict, provided: dict | None = None) -> list[str]:
    """Generated keys whose Vault value differs from the one in the cluster: names only."""
    existing = existing or {}
    return sorted(
        key for key, value in (provided or {}).items()
        if value and key in (spec.get("generated") or []) and key in existing and _plain(existing[key]) != value
    )


class FilterModule:
    def filters(self):
        return {"workload_secret_data": workload_secret_data, "workload_secret_conflicts": workload_secret_conflicts}

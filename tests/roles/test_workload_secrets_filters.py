"""workload_secrets decides each credential's value: the cluster's copy wins,
then Vault, then a fresh random one; a disagreeing Vault value is reported."""

from __future__ import annotations

import base64
import importlib.util
from labtool import REPO

PLUGIN = REPO / "roles/workload_secrets/filter_plugins/secret_data.py"
spec = importlib.util.spec_from_file_location("secret_data", PLUGIN)
secret_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(secret_data)

SPEC = {"fixed": {"POSTGRES_USER": "quote", "POSTGRES_PORT": "5432"}, "generated": ["POSTGRES_PASSWORD"]}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plain(data: dict, key: str) -> str:
    return base64.b64decode(data[key]).decode()


def test_first_run_generates_a_strong_password() -> None:
    data = secret_data.workload_secret_data(None, SPEC)
    assert plain(data, "POSTGRES_USER") == "quote"
    assert plain(data, "POSTGRES_PORT") == "5432"
    assert len(plain(data, "POSTGRES_PASSWORD")) >= 32
    assert secret_data.workload_secret_data(None, SPEC)["POSTGRES_PASSWORD"] != data["POSTGRES_PASSWORD"]


def test_vault_value_is_used_when_the_cluster_has_none() -> None:
    data = secret_data.workload_secret_data({}, SPEC, {"POSTGRES_PASSWORD": "from-vault"})
    assert plain(data, "POSTGRES_PASSWORD") == "from-vault"


def test_empty_vault_value_means_generate() -> None:
    data = secret_data.workload_secret_data({}, SPEC, {"POSTGRES_PASSWORD": ""})
    assert len(plain(data, "POSTGRES_PASSWORD")) >= 32


def test_value_in_the_cluster_is_kept_on_later_runs() -> None:
    existing = {"POSTGRES_PASSWORD": b64("in-use"), "POSTGRES_USER": b64("old")}
    data = secret_data.workload_secret_data(existing, SPEC)
    assert plain(data, "POSTGRES_PASSWORD") == "in-use"
    # Fixed keys follow the configuration.
    assert plain(data, "POSTGRES_USER") == "quote"
    # Same input, same output: re-applying the Secret changes nothing.
    assert secret_data.workload_secret_data(existing, SPEC) == data


def test_disagreeing_vault_value_is_reported_by_key_only() -> None:
    existing = {"POSTGRES_PASSWORD": b64("in-use")}
    conflicts = secret_data.workload_secret_conflicts(existing, SPEC, {"POSTGRES_PASSWORD": "new"})
    assert conflicts == ["POSTGRES_PASSWORD"]
    assert secret_data.workload_secret_conflicts(existing, SPEC, {"POSTGRES_PASSWORD": "in-use"}) == []
    assert secret_data.workload_secret_conflicts({}, SPEC, {"POSTGRES_PASSWORD": "new"}) == []

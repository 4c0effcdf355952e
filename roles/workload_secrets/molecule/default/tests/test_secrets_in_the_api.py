"""After converge: the lab's Secrets are in a real API server, written from the controller
through the admin kubeconfig the kubeconfig role fetched; the list comes from the lab catalogue."""

import base64
import os
from pathlib import Path

import pytest
from kubernetes import client, config
from labtool import catalogue

SECRETS = catalogue.secrets()
GENERATED_LENGTH = 32  # secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def core() -> client.CoreV1Api:
    kubeconfig = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "kubeconfig"
    return client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))


def decoded(core: client.CoreV1Api, name: str, namespace: str) -> dict[str, str]:
    data = core.read_namespaced_secret(name, namespace).data or {}
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


@pytest.mark.parametrize("secret", SECRETS, ids=[s["name"] for s in SECRETS])
def test_each_secret_is_the_same_in_every_namespace_with_its_keys(core, secret):
    first, *others = [decoded(core, secret["name"], namespace) for namespace in secret["namespaces"]]
    assert all(copy == first for copy in others)
    assert set(first) == set(secret.get("fixed", {})) | set(secret["generated"])
    assert all(first[key] == value for key, value in secret.get("fixed", {}).items())
    assert all(len(first[key]) == GENERATED_LENGTH for key in secret["generated"])


def test_every_generated_value_is_its_own(core):
    values = [decoded(core, s["name"], s["namespaces"][0])[key] for s in SECRETS for key in s["generated"]]
    assert len(set(values)) == len(values)

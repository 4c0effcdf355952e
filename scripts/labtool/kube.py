"""Connecting to the lab cluster with the Python kubernetes client.

`connect()` either returns a `Cluster` whose API answered, or raises
`ClusterUnavailable` with one line saying what is missing, which the live tests
use as their skip reason and the chaos CLI as its error message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from labtool import REPO

# Where roles/kubeconfig writes the admin kubeconfig (git-ignored).
REPO_KUBECONFIG = REPO / "kubeconfig"
PROBE_TIMEOUT = 5.0

T = TypeVar("T")


class ClusterUnavailable(Exception):
    """No cluster can be reached; the message says why, starting with 'no reachable cluster'."""


@dataclass
class Cluster:
    api: client.ApiClient
    api_url: str
    kubeconfig: Path

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def autoscaling(self) -> client.AutoscalingV2Api:
        return client.AutoscalingV2Api(self.api)

    @property
    def networking(self) -> client.NetworkingV1Api:
        return client.NetworkingV1Api(self.api)

    @property
    def api_host(self) -> str:
        return urlsplit(self.api_url).hostname or ""


def kubeconfig_path() -> Path:
    """KUBECONFIG (its first entry), else the kubeconfig the playbook fetched into the repo."""
    env = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ClusterUnavailable(f"no reachable cluster: KUBECONFIG={env} does not exist")
        return path
    if REPO_KUBECONFIG.is_file():
        return REPO_KUBECONFIG
    raise ClusterUnavailable(
        "no reachable cluster: KUBECONFIG unset and no ./kubeconfig "
        "(playbooks/site.yml fetches it after provisioning)"
    )


def connect(context: str | None = None, timeout: float = PROBE_TIMEOUT) -> Cluster:
    path = kubeconfig_path()
    configuration = client.Configuration()
    try:
        config.load_kube_config(config_file=str(path), context=context, client_configuration=configuration)
    except (config.ConfigException, OSError, ValueError) as exc:
        raise ClusterUnavailable(f"no reachable cluster: kubeconfig {path} is unusable: {exc}") from exc
    # One quick probe: a dead API must skip in seconds, not after urllib3's retries.
    configuration.retries = 0
    api = client.ApiClient(configuration)
    url = configuration.host
    try:
        client.VersionApi(api).get_code(_request_timeout=timeout)
    except urllib3.exceptions.MaxRetryError as exc:
        reason = exc.reason
        # NewConnectionError subclasses ConnectTimeoutError in urllib3: test it first.
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            why = f"refused ({_first_line(reason)})"
        elif isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
            why = f"did not answer within {timeout:g} s"
        else:
            why = f"failed ({_first_line(reason)})"
        raise ClusterUnavailable(f"no reachable cluster: API at {url} {why}") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ClusterUnavailable(f"no reachable cluster: API at {url} failed ({_first_line(exc)})") from exc
    except ApiException as exc:
        raise ClusterUnavailable(f"no reachable cluster: API at {url} answered {exc.status} {exc.reason}") from exc
    configuration.retries = 3
    return Cluster(api=client.ApiClient(configuration), api_url=url, kubeconfig=path)


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__


def wait_for(
    condition: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> tuple[T, float]:
    """Poll `condition` until it returns something truthy; return it and the seconds it took.

    Prints a progress line every 10 s through `progress`, so long waits show life.
    Raises TimeoutError naming `what` after `timeout` seconds.
    """
    start = time.monotonic()
    next_note = start + 10
    while True:
        result = condition()
        now = time.monotonic()
        if result:
            return result, now - start
        if now - start > timeout:
            raise TimeoutError(f"{what}: not reached within {timeout:g} s")
        if progress and now >= next_note:
            progress(f"  ... still waiting for {what} ({now - start:.0f} s)")
            next_note = now + 10
        time.sleep(interval)


@dataclass(frozen=True)
class HttpEndpoint:
    """Where to send HTTP for an Ingress: the address to connect to and the Host header."""

    base_url: str
    host: str | None

    def headers(self) -> dict[str, str]:
        return {"Host": self.host} if self.host else {}


def ingress_endpoint(cluster: Cluster, namespace: str, name: str) -> HttpEndpoint:
    """The Ingress's first host, reached at its load-balancer address.

    Connecting to the address and sending the Host header avoids depending on
    public DNS for <name>.<ip>.sslip.io. LAB_INGRESS_ADDRESS overrides the address.
    """
    ingress = cluster.networking.read_namespaced_ingress(name, namespace)
    host = ingress.spec.rules[0].host
    address = os.environ.get("LAB_INGRESS_ADDRESS", "")
    if not address:
        balancers = (ingress.status.load_balancer and ingress.status.load_balancer.ingress) or []
        addresses = [b.ip or b.hostname for b in balancers if b.ip or b.hostname]
        # ServiceLB lists every node; the server is the one a chaos run never kills.
        address = cluster.api_host if cluster.api_host in addresses or not addresses else addresses[0]
    return HttpEndpoint(base_url=f"http://{address}", host=host)


def pod_http(cluster: Cluster, namespace: str, pod: str, port: int, method: str, path: str,
             headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, str]:
    """One HTTP/1.1 request to a pod's port through the API's port-forward.

    Reaches one exact pod, also when it is out of its Service's endpoints (a
    readiness fault) and past NetworkPolicies (the kubelet connects inside the pod).
    """
    from kubernetes.stream import portforward

    forward = portforward(cluster.core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))
    try:
        sock = forward.socket(port)
        sock.setblocking(True)
        sock.settimeout(timeout)
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close", "Content-Length: 0"]
        lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
    finally:
        forward.close()
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else 0
    return status, body

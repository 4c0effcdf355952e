"""Every name the live checks (tests/cluster) and the chaos experiments look up on
the cluster: namespaces, workloads, Services, Ingresses, Secrets, labels, ports and
HTTP routes. They live here once, or come from the lab catalogue (labtool.catalogue);
tests/labtool/test_lab_names.py checks each one against the rendered lab overlay, the
catalogue and the apps' routes, so a rename breaks a test on any machine instead of a
live run on the lab.
"""

from __future__ import annotations

from dataclasses import dataclass

from labtool import catalogue

NAME_LABEL = "app.kubernetes.io/name"
# Every lab namespace carries it (labtool.diagram lists the lab's namespaces by it).
LAB_LABEL = "app.kubernetes.io/part-of=k3s-lab"
# Every lab app listens here inside its container (apps/README.md).
APP_PORT = 8000
# Present on every node (imported by roles/app_images), runs Python: the probe pods' image.
PROBE_IMAGE = "k3s-lab/{name}:{version}".format(**catalogue.images()[0])
# k3s's bundled Traefik: outside the lab's namespaces, but it carries every request.
INGRESS_CONTROLLER_NAMESPACE = "kube-system"
INGRESS_CONTROLLER_APP = "traefik"


def selector(app: str) -> str:
    """The label selector of an app's pods."""
    return f"{NAME_LABEL}={app}"


INGRESS_CONTROLLER_SELECTOR = selector(INGRESS_CONTROLLER_APP)


@dataclass(frozen=True)
class Ref:
    """One object a check reads, by kind, namespace and name."""

    kind: str
    namespace: str
    name: str


# --- quote app (Lab 85, Deploy 1, 2, 4) and its database ---------------------------
QUOTE_NS = "quote-app"
QUOTE_APP = "quote"  # Deployment, its container, Service, Ingress, HPA and pod label
QUOTE_LB_SERVICE = "quote-lb"
QUOTE_CONFIG_PREFIX = "quote-config"  # kustomize appends the content hash
QUOTE_MESSAGE_KEY = "APP_MESSAGE"
QUOTE_SELECTOR = selector(QUOTE_APP)
# The variable the missing-env experiment removes; the app must refuse to start without it.
QUOTE_REQUIRED_ENV = "POSTGRES_HOST"
# The probe-fault experiments' bearer token: Secret name and key, read by the quote
# container as ADMIN_TOKEN.
ADMIN_SECRET, ADMIN_TOKEN_KEY = "quote-admin", "ADMIN_TOKEN"

DB_NS = catalogue.database()["namespace"]
POSTGRES_APP = "postgres"  # StatefulSet, Service and pod label
POSTGRES_SELECTOR = selector(POSTGRES_APP)
POSTGRES_PORT = 5432

# --- blue-green (Advanced 1) ---------------------------------------------------------
BLUE_GREEN_NS = "blue-green"
BLUE_GREEN_APP = "quote"  # the Service and Ingress in front of both colours
BLUE_GREEN_COLOURS = ("blue", "green")  # Deployments quote-<colour>
COLOUR_LABEL = "color"  # in the Service's selector: the colour that is live

# --- multi-tier (Deploy 3) -----------------------------------------------------------
MULTI_TIER_NS = "multi-tier"
BACKEND_SERVICE = "backend"  # ClusterIP only, never behind an Ingress
FRONTEND_INGRESS = "frontend"

# --- analytics (Deploy 5) ------------------------------------------------------------
ANALYTICS_NS = "analytics"
ANALYTICS_APP = "analytics"  # Deployment, Ingress and pod label
ANALYTICS_QUOTA = "analytics"
ANALYTICS_SELECTOR = selector(ANALYTICS_APP)

# --- microservices (Advanced 2) ------------------------------------------------------
MICRO_NS = "microservices"
GATEWAY = "gateway"  # the only public service: Deployment, Service and Ingress
AUTHORS = "authors"
RATINGS = "ratings"
# The key a service accepts (its API_KEYS) and its callers send: Secret name -> key.
API_KEY_SECRETS = {AUTHORS: "authors-api-key", RATINGS: "ratings-api-key"}
API_KEY_SECRET_KEY = "API_KEY"
# The header the keyed services read (labkit.auth; repeated here so the live checks
# need no app dependencies, and compared with it by the names test).
API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Route:
    """An HTTP route of one app; `path` is the FastAPI template, `url()` fills it in."""

    app: str  # package under apps/ (labkit: routes every app gets)
    method: str
    path: str

    def url(self, **params: object) -> str:
        return self.path.format(**params)


QUOTE_PAGE = Route("quote", "GET", "/")
QUOTES = Route("quote", "GET", "/api/quotes")
QUOTE_CREATE = Route("quote", "POST", "/api/quotes")
QUOTE_RANDOM = Route("quote", "GET", "/api/quotes/random")
QUOTE_BY_ID = Route("quote", "GET", "/api/quotes/{quote_id}")
FAULT_INJECT = Route("labkit", "POST", "/admin/faults/{probe}")
FAULT_CLEAR = Route("labkit", "DELETE", "/admin/faults/{probe}")
ANALYTICS_STATS = Route("analytics", "GET", "/api/stats")
GATEWAY_RATE = Route("gateway", "POST", "/api/authors/{author_id}/ratings")
GATEWAY_AUTHOR = Route("gateway", "GET", "/api/authors/{author_id}")
AUTHORS_AUTHOR = Route("authors", "GET", "/api/authors/{author_id}")
RATINGS_RATE = Route("ratings", "POST", "/api/ratings")
RATINGS_SUMMARY = Route("ratings", "GET", "/api/ratings/{author_id}")
ROUTES = (QUOTE_PAGE, QUOTES, QUOTE_CREATE, QUOTE_RANDOM, QUOTE_BY_ID, FAULT_INJECT, FAULT_CLEAR,
          ANALYTICS_STATS, GATEWAY_RATE, GATEWAY_AUTHOR, AUTHORS_AUTHOR, RATINGS_RATE, RATINGS_SUMMARY)

# Every object the checks read by name.
OBJECTS = (
    Ref("Namespace", "", QUOTE_NS),
    Ref("Deployment", QUOTE_NS, QUOTE_APP),
    Ref("Service", QUOTE_NS, QUOTE_APP),
    Ref("Service", QUOTE_NS, QUOTE_LB_SERVICE),
    Ref("Ingress", QUOTE_NS, QUOTE_APP),
    Ref("HorizontalPodAutoscaler", QUOTE_NS, QUOTE_APP),
    Ref("Namespace", "", DB_NS),
    Ref("StatefulSet", DB_NS, POSTGRES_APP),
    Ref("Service", DB_NS, POSTGRES_APP),
    Ref("Namespace", "", BLUE_GREEN_NS),
    Ref("Service", BLUE_GREEN_NS, BLUE_GREEN_APP),
    Ref("Ingress", BLUE_GREEN_NS, BLUE_GREEN_APP),
    *(Ref("Deployment", BLUE_GREEN_NS, f"{BLUE_GREEN_APP}-{colour}") for colour in BLUE_GREEN_COLOURS),
    Ref("Namespace", "", MULTI_TIER_NS),
    Ref("Service", MULTI_TIER_NS, BACKEND_SERVICE),
    Ref("Ingress", MULTI_TIER_NS, FRONTEND_INGRESS),
    Ref("Namespace", "", ANALYTICS_NS),
    Ref("Deployment", ANALYTICS_NS, ANALYTICS_APP),
    Ref("Ingress", ANALYTICS_NS, ANALYTICS_APP),
    Ref("ResourceQuota", ANALYTICS_NS, ANALYTICS_QUOTA),
    Ref("Namespace", "", MICRO_NS),
    Ref("Ingress", MICRO_NS, GATEWAY),
    *(Ref(kind, MICRO_NS, name) for name in (GATEWAY, AUTHORS, RATINGS) for kind in ("Deployment", "Service")),
)

# Pod label selectors the checks list pods with: (namespace, selector).
SELECTORS = (
    (QUOTE_NS, QUOTE_SELECTOR),
    (DB_NS, POSTGRES_SELECTOR),
    (ANALYTICS_NS, ANALYTICS_SELECTOR),
    *((MICRO_NS, selector(name)) for name in (GATEWAY, AUTHORS, RATINGS)),
)

# Secret keys the checks read: (namespace, Secret, key). Created by roles/workload_secrets.
SECRET_KEYS = (
    (QUOTE_NS, ADMIN_SECRET, ADMIN_TOKEN_KEY),
    *((MICRO_NS, secret, API_KEY_SECRET_KEY) for secret in API_KEY_SECRETS.values()),
)

"""Who is answering: lets a user who scales to N replicas see the load spread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from .config import Env


@dataclass(frozen=True)
class Identity:
    service: str
    version: str
    pod: str

    @classmethod
    def from_env(cls, env: Env, service: str, default_version: str) -> Identity:
        """APP_VERSION (the image bakes it in) and POD_NAME (the downward API), as every app reads them."""
        return cls(service=service, version=env.optional("APP_VERSION", default_version), pod=env.pod_name())

    def fields(self) -> dict[str, str]:
        """The fields every JSON response body carries."""
        return {"pod": self.pod, "version": self.version}


async def _who(request: Request) -> dict[str, str]:  # async: FastAPI runs plain functions in a thread
    return request.app.state.identity.fields()


# A route's parameter `who: Who` is the answering app's Identity.fields() (labkit.setup
# keeps the Identity on app.state), for routers that live outside create_app.
Who = Annotated[dict[str, str], Depends(_who)]


def from_app_state(name: str) -> Any:
    """A dependency giving `app.state.<name>`: the object create_app built for a router's routes,
    e.g. `Items = Annotated[Catalogue, from_app_state("catalogue")]`."""

    async def get(request: Request) -> Any:  # async: FastAPI runs plain functions in a thread
        return getattr(request.app.state, name)

    return Depends(get)

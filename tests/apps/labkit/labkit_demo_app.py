"""A small app wired with labkit, used by the labkit tests."""

import logging

from fastapi import FastAPI
from pydantic import BaseModel, Field

import labkit

IDENTITY = labkit.Identity(service="demo", version="1.2.3", pod="demo-pod-1")


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=20)


def build_app(readiness_check=None, admin_token="", readiness_timeout=1.0):
    app = FastAPI()
    health = labkit.setup(app, IDENTITY, readiness_check=readiness_check, admin_token=admin_token,
                          max_body_bytes=1000, readiness_timeout=readiness_timeout)

    @app.get("/items/{item_id}")
    async def get_item(item_id: int):
        logging.getLogger("demo").info("fetching item", extra={"item_id": item_id})
        return {"id": item_id, **IDENTITY.fields()}

    @app.post("/items", status_code=201)
    async def create_item(item: Item):
        return {"name": item.name}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret connection string postgres://u:p@db")

    app.state.health = health
    return app

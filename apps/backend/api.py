"""The backend's REST API over the item catalogue; create_app keeps its Catalogue on app.state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from labkit import Health, Who, from_app_state
from labkit.openapi import LOCATION, STRICT_INTEGER, Id, Limit, Offset, Served, error_responses
from labkit.pg import UNAVAILABLE, from_database, text_input

from .store import DESCRIPTION_MAX, NAME_MAX, PRICE_MAX_CENTS, ItemStore, NameTaken

log = logging.getLogger("backend")

Name = text_input(NAME_MAX)
Description = text_input(DESCRIPTION_MAX, min_length=0)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    price_cents: Annotated[int, Field(strict=True, ge=0, le=PRICE_MAX_CENTS, description=STRICT_INTEGER)]


class ItemOut(Served):
    id: int
    name: str
    description: str
    price_cents: int
    created_at: str
    updated_at: str


class ItemPage(Served):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


# A write body can be malformed (400), too large or invalid.
BODY_ERRORS = error_responses(400, 413, 422)


@dataclass(frozen=True)
class Catalogue:
    store: ItemStore
    health: Health

    async def call(self, operation, *args):
        try:
            return await from_database(self.health, operation, *args)
        except NameTaken as exc:
            raise HTTPException(409, "an item with this name already exists") from exc


Items = Annotated[Catalogue, from_app_state("catalogue")]
router = APIRouter(prefix="/api")


@router.get("/items", response_model=ItemPage, responses={**error_responses(422), **UNAVAILABLE})
async def list_items(items: Items, who: Who, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    page, total = await items.call(items.store.page, limit, offset)
    return JSONResponse(
        {"items": [{**item, **who} for item in page], "total": total, "limit": limit, "offset": offset, **who}
    )


@router.get("/items/{item_id}", response_model=ItemOut, responses={**error_responses(404, 422), **UNAVAILABLE})
async def get_item(item_id: Id, items: Items, who: Who) -> JSONResponse:
    item = await items.call(items.store.get, item_id)
    if item is None:
        raise HTTPException(404, f"item {item_id} not found")
    return JSONResponse({**item, **who})


@router.post(
    "/items",
    status_code=201,
    response_model=ItemOut,
    responses={201: {"headers": LOCATION}, **BODY_ERRORS, **error_responses(409), **UNAVAILABLE},
)
async def create_item(body: ItemIn, items: Items, who: Who) -> JSONResponse:
    item = await items.call(items.store.create, body.name, body.description, body.price_cents)
    log.info("item created", extra={"item_id": item["id"]})
    return JSONResponse({**item, **who}, status_code=201, headers={"Location": f"/api/items/{item['id']}"})


@router.put(
    "/items/{item_id}", response_model=ItemOut, responses={**BODY_ERRORS, **error_responses(404, 409), **UNAVAILABLE}
)
async def replace_item(item_id: Id, body: ItemIn, items: Items, who: Who) -> JSONResponse:
    item = await items.call(items.store.replace, item_id, body.name, body.description, body.price_cents)
    if item is None:
        raise HTTPException(404, f"item {item_id} not found")
    return JSONResponse({**item, **who})


@router.delete("/items/{item_id}", status_code=204, responses={**error_responses(404, 422), **UNAVAILABLE})
async def delete_item(item_id: Id, items: Items) -> Response:
    if not await items.call(items.store.delete, item_id):
        raise HTTPException(404, f"item {item_id} not found")
    return Response(status_code=204)

"""A test-only reverse proxy in front of a real service that misbehaves on request.

Run under uvicorn like the apps (`flaky_proxy:app`, FLAKY_TARGET=<url>). Control it with
POST /_flaky {"fail_next": N, "status": 503} (the next N requests get that status) or
{"down": true} (every request fails until {"down": false}); GET /_flaky returns counters
and the last traceparent header it saw.
"""

import os

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TARGET = os.environ["FLAKY_TARGET"]
state = {"fail_next": 0, "status": 503, "down": False, "requests": 0, "failed": 0, "last_traceparent": None}
client = httpx.AsyncClient(base_url=TARGET, timeout=5)
HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


async def control(request: Request) -> JSONResponse:
    if request.method == "POST":
        state.update(await request.json())
    return JSONResponse(state)


async def proxy(request: Request) -> Response:
    state["requests"] += 1
    state["last_traceparent"] = request.headers.get("traceparent")
    if state["down"] or state["fail_next"] > 0:
        state["fail_next"] = max(0, state["fail_next"] - 1)
        state["failed"] += 1
        return JSONResponse({"error": "injected failure"}, status_code=state["status"])
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
    upstream = await client.request(
        request.method, request.url.path, params=request.query_params, headers=headers, content=await request.body()
    )
    return Response(upstream.content, status_code=upstream.status_code, media_type=upstream.headers.get("content-type"))


app = Starlette(routes=[
    Route("/_flaky", control, methods=["GET", "POST"]),
    Route("/{path:path}", proxy, methods=["GET", "POST", "PUT", "DELETE"]),
])

"""The framework's floor for bench_quote.py: one bare FastAPI endpoint on the quote app's
path, with no middleware, logging, metrics or database. It answers the JSON object the
quote app itself just served (BENCH_FLOOR_BODY), encoded per request by the framework's
JSONResponse, so both send the same bytes."""

import json
import os

from fastapi import FastAPI
from fastapi.responses import JSONResponse

BODY = json.loads(os.environ["BENCH_FLOOR_BODY"])

app = FastAPI()


@app.get("/api/quotes/random")
async def random_quote() -> JSONResponse:
    return JSONResponse(BODY)

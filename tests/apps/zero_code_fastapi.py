"""A FastAPI app with no tracing code, for the zero-code tests: ``opentelemetry-instrument
python zero_code_fastapi.py`` serves it on a free port of 127.0.0.1.

``GET /hello`` answers JSON; ``GET /headers`` answers the request's headers (lowercase
names), which shows what a caller propagated.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "fastapi"}


@app.get("/headers")
async def headers(request: Request) -> dict[str, str]:
    return {key.lower(): value for key, value in request.headers.items()}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=0, log_level="info")

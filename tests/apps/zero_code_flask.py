"""A Flask app with no tracing code, for the zero-code tests: ``opentelemetry-instrument
python zero_code_flask.py`` serves it on a free port of 127.0.0.1 and prints
``listening on http://127.0.0.1:PORT``.

``GET /hello`` answers JSON; ``GET /chain?url=URL`` calls ``URL`` with ``requests`` and
answers ``{"status": ..., "answer": <its JSON>}``.
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask, request
from werkzeug.serving import make_server

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "flask"}


@app.get("/chain")
def chain() -> dict[str, Any]:
    answer = requests.get(request.args["url"], timeout=10)
    return {"status": answer.status_code, "answer": answer.json()}


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()

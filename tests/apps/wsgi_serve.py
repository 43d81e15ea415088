"""Serve a WSGI application on a free port of 127.0.0.1 with Werkzeug's threaded
server: ``python wsgi_serve.py module:attribute``; prints ``listening on URL``."""

from __future__ import annotations

import importlib
import sys

from werkzeug.serving import make_server


def main() -> None:
    module_name, attribute = sys.argv[1].split(":")
    application = getattr(importlib.import_module(module_name), attribute)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""``ldn-compound serve``: run the web app with uvicorn."""

from __future__ import annotations

import sys
from typing import TextIO

from ldn_compound.web.app import WebConfig, create_app, is_loopback

__all__ = ["serve"]


def address(host: str, port: int) -> str:
    """The URL a browser opens: ``http://127.0.0.1:8765/``."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def serve(host: str, port: int, config: WebConfig, *, out: TextIO | None = None) -> None:
    """Serve the app on ``host``:``port`` until interrupted; print the address first.

    Behind a reverse proxy on the same computer (for TLS), the proxy's ``X-Forwarded-Proto``
    and ``X-Forwarded-For`` are trusted from loopback only, so cookies are marked ``Secure``
    when the browser's connection is HTTPS.
    """
    import uvicorn

    stream = out or sys.stdout
    app = create_app(config)
    where = "this computer only" if is_loopback(host) else "the network: sign-in required"
    stream.write(f"ldn-compound serving on {address(host, port)} ({where}); press Ctrl+C to stop\n")
    stream.flush()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1,::1",
        server_header=False,
        access_log=False,
    )

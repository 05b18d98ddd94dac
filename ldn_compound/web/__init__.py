"""The bench pages and the HTTP API: ``ldn-compound serve``.

HTTP only: forms, JSON bodies, status codes, templates.  Every rule, calculation and
document comes from the application layer, :mod:`ldn_compound.service`, which the
command line uses too.  Starlette, uvicorn and Jinja2 are imported only here (the
``web`` extra), never on the command line's calculation path.
"""

from __future__ import annotations

from ldn_compound.web.app import WebConfig, create_app, is_loopback

__all__ = ["WebConfig", "create_app", "is_loopback"]

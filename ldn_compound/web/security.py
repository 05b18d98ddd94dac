"""What keeps the web app safe: size-limited request bodies, security headers, CSRF tokens, cookies.

- Every request body is read at most up to a limit (:data:`MAX_BODY`); a larger one gets
  413 before any handler runs.
- Every response carries a Content-Security-Policy that allows only the app's own
  stylesheet (no inline script, no frames), ``nosniff`` and ``no-referrer``.
- Forms that change state carry a CSRF token: a random value kept in an ``HttpOnly``,
  ``SameSite=Lax`` cookie and repeated in a hidden field; a form whose field does not
  match its cookie, or whose ``Origin`` is another site, is refused (403).
- Cookies are ``Secure`` when the request came over TLS (the reverse proxy's
  ``X-Forwarded-Proto``, trusted from loopback only).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "MAX_BODY",
    "SESSION_COOKIE",
    "BodyLimitMiddleware",
    "SecurityHeadersMiddleware",
    "Sessions",
    "check_csrf",
    "csrf_token",
    "set_cookie",
]

#: The largest request body accepted, in bytes (a batch request is well under 10 KiB).
MAX_BODY: Final = 256 * 1024
CSRF_COOKIE: Final = "ldn_csrf"
CSRF_FIELD: Final = "csrf_token"

_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


class BodyLimitMiddleware:
    """Refuse a request body larger than ``limit`` bytes with 413, before the app reads it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body up to the limit, then hand it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        code = "body-too-large"
        detail = f"the request body must be at most {self.limit} bytes"
        path = str(scope.get("path", ""))
        if path.startswith("/api/"):
            body = json.dumps(
                {
                    "type": f"urn:ldn-compound:problem:{code}",
                    "title": "Request body too large",
                    "status": 413,
                    "detail": detail,
                    "field": None,
                    "code": code,
                },
                sort_keys=True,
            ).encode()
            media = b"application/problem+json"
        else:
            body = f"Request body too large: {detail}.\n".encode()
            media = b"text/plain; charset=utf-8"
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        headers += [(key.encode(), value.encode()) for key, value in _HEADERS.items()]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Add the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in _HEADERS.items():
                    headers.setdefault(key, value)
                headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def is_tls(request: Request) -> bool:
    """Whether the request came over TLS (directly, or through a trusted reverse proxy)."""
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    """Set a cookie the way every cookie of the app is set: HttpOnly, SameSite=Lax, Secure over TLS."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=is_tls(request))


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser: its cookie's, or a new one (set by :func:`remember_csrf`)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum():
        return token
    token = request.scope.setdefault("ldn_new_csrf", secrets.token_urlsafe(32))
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when :func:`csrf_token` made a new token for this response."""
    token = request.scope.get("ldn_new_csrf")
    if token:
        set_cookie(response, request, CSRF_COOKIE, str(token))


def check_csrf(request: Request, submitted: object) -> bool:
    """Whether a submitted form is this browser's own: the token matches its cookie and the origin is ours."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and isinstance(submitted, str) and hmac.compare_digest(cookie.encode(), submitted.encode())


SESSION_COOKIE: Final = "ldn_session"
#: How long a sign-in lasts: one working day.
SESSION_SECONDS: Final = 12 * 3600


class Sessions:
    """Signed session cookies: the user's name and when they signed in, with an HMAC of the server's key.

    The key is made when the server starts, so a restart signs everyone out.  Nothing
    secret is in the cookie; it only proves that this server signed the user in.
    """

    def __init__(self, key: bytes | None = None, seconds: int = SESSION_SECONDS) -> None:
        self.key = key or secrets.token_bytes(32)
        self.seconds = seconds

    def _mac(self, payload: str) -> str:
        return hmac.new(self.key, payload.encode(), "sha256").hexdigest()

    def issue(self, name: str, now: float) -> str:
        """A cookie value for ``name`` signed in at ``now`` (seconds since the epoch)."""
        payload = base64.urlsafe_b64encode(json.dumps([name, int(now)]).encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def read(self, value: str | None, now: float) -> str | None:
        """The user name of a valid, unexpired cookie value, else None."""
        if not value or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            name, issued = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            return None
        if not isinstance(name, str) or not isinstance(issued, int) or not 0 <= now - issued <= self.seconds:
            return None
        return name

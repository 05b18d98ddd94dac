"""The Starlette application: the bench pages and the JSON API over the application layer.

Everything here is HTTP: reading forms and JSON bodies, choosing a status, rendering a
template.  Every rule, calculation and document comes from :mod:`ldn_compound.service`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, Final
from urllib.parse import quote

import attrs
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ldn_compound import service
from ldn_compound._version import __version__
from ldn_compound.exceptions import FormulaNotFoundError, LDNError
from ldn_compound.jsonio import dumps, formula_to_dict, formulas_to_dict
from ldn_compound.web import forms, security
from ldn_compound.web.openapi import openapi_document
from ldn_compound.web.problems import problem, problem_for_error, status_for_error

__all__ = ["WebConfig", "create_app", "is_loopback"]

log = logging.getLogger("ldn_compound.web")

_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9.-]+")
_JSON: Final = "application/json"


@attrs.frozen(kw_only=True)
class WebConfig:
    """How the app is served: the server's formula folder and pharmacy, and whether sign-in is required."""

    formula_dir: str | None = None
    pharmacy_config: str | None = None
    register: str | None = None
    require_sign_in: bool = False
    max_body: int = security.MAX_BODY
    #: The key that signs session cookies; None makes one when the app starts.  The worker
    #: processes of one server share the key their supervisor made, so a sign-in holds on
    #: whichever process answers.
    session_key: bytes | None = attrs.field(default=None, repr=False)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def safe_filename(kind: str, lot: str) -> str:
    """A file name for a download that is safe in any header and file system: ``record-L2026-000123.pdf``."""
    stem = _SAFE_NAME.sub("-", lot).strip(".-")[:64] or "batch"
    return f"{kind}-{stem}.pdf"


def pdf_response(data: bytes, kind: str, lot: str) -> Response:
    """A PDF download with a safe file name."""
    name = safe_filename(kind, lot)
    return Response(
        data, media_type="application/pdf", headers={"content-disposition": f'attachment; filename="{name}"'}
    )


# --------------------------------------------------------------------------- templates


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ldn_compound.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    return env


class App:
    """The handlers, with the configuration and the templates they share."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.templates = _environment()
        self._stocks: list[tuple[str, str]] | None = None
        from ldn_compound.web.register_views import RegisterViews

        self.views = RegisterViews(self)

    # ------------------------------------------------------------------ helpers

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        """A rendered template, with the CSRF token of this browser."""
        context = {
            "request": request,
            "csrf_token": security.csrf_token(request),
            "path": request.url.path,
            "user": request.scope.get("ldn_user"),
            **context,
        }
        response = HTMLResponse(self.templates.get_template(name).render(context), status_code=status)
        security.remember_csrf(request, response)
        return response

    def error_page(self, request: Request, status: int, title: str, detail: str) -> HTMLResponse:
        return self.page(request, "error.html", {"title": title, "detail": detail, "status": status}, status)

    def stocks(self) -> list[tuple[str, str]]:
        if self._stocks is None:
            self._stocks = service.label_stocks()
        return self._stocks

    def formulas(self) -> list[Any]:
        return service.list_formulas(self.config.formula_dir)

    def formula_dict(self, formula: Any) -> dict[str, Any]:
        """A formula's document, naming its file without the server's folder."""
        data = formula_to_dict(formula)
        source = str(data.get("source", ""))
        if not source.startswith("built-in "):
            data["source"] = source.replace("\\", "/").rsplit("/", 1)[-1]
        return data

    # ------------------------------------------------------------------ pages

    async def home(self, _request: Request) -> Response:
        return RedirectResponse("/batch", status_code=303)

    async def formulas_page(self, request: Request) -> Response:
        formulas = [self.formula_dict(f) for f in self.formulas()]
        return self.page(request, "formulas.html", {"formulas": formulas, "title": "Formulas"})

    async def formula_page(self, request: Request) -> Response:
        formula_id = request.path_params["formula_id"]
        found = next((f for f in self.formulas() if f.id == formula_id), None)
        if found is None:
            return self.error_page(request, 404, "Formula not found", f"There is no formula {formula_id!r}.")
        data = self.formula_dict(found)
        return self.page(request, "formula.html", {"formula": data, "title": data["name"]})

    def batch_context(self, formula_id: str | None, values: dict[str, object]) -> dict[str, Any]:
        formulas = self.formulas()
        chosen = next((f for f in formulas if f.id == formula_id), None)
        return {
            "title": "New batch",
            "formulas": formulas,
            "formula": chosen,
            "groups": forms.GROUPS,
            "values": values,
            "stocks": self.stocks(),
            "result": None,
            "error": None,
            "error_field": None,
            "field_names": list(forms.FIELDS),
        }

    async def batch_page(self, request: Request) -> Response:
        formula_id = request.query_params.get("formula") or None
        context = self.batch_context(formula_id, {})
        if formula_id is not None and context["formula"] is None:
            context["error"] = f"Formula {formula_id!r} is not one of this pharmacy's formulas."
            context["error_field"] = "formula"
        return self.page(request, "batch.html", context, 200 if context["error"] is None else 404)

    async def read_form(self, request: Request) -> tuple[dict[str, object], Response | None]:
        """The submitted form's values, or the response refusing it (CSRF, not a form)."""
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - a malformed body is the client's fault, whatever the parser raised
            return {}, self.error_page(request, 400, "Bad request", "The form could not be read.")
        if not security.check_csrf(request, form.get(security.CSRF_FIELD)):
            return {}, self.error_page(
                request,
                403,
                "Form expired",
                "This form is not from this page (or it expired): reload the page and send it again.",
            )
        lists = {name: [str(v) for v in form.getlist(name)] for name in ("lots", "other_medicines")}
        plain = {key: value for key, value in form.items() if isinstance(value, str)}
        return forms.form_values(plain, lists), None

    async def read_plain_form(self, request: Request) -> tuple[dict[str, str], Response | None]:
        """A submitted form's text fields, or the response refusing it (CSRF, not a form)."""
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - a malformed body is the client's fault, whatever the parser raised
            return {}, self.error_page(request, 400, "Bad request", "The form could not be read.")
        if not security.check_csrf(request, form.get(security.CSRF_FIELD)):
            return {}, self.error_page(
                request,
                403,
                "Form expired",
                "This form is not from this page (or it expired): reload the page and send it again.",
            )
        return {key: value for key, value in form.items() if isinstance(value, str)}, None

    async def batch_submit(self, request: Request, document: str | None = None) -> Response:
        values, refused = await self.read_form(request)
        if refused is not None:
            return refused
        formula_id = values.get("formula")
        context = self.batch_context(formula_id if isinstance(formula_id, str) else None, values)
        labels = document == "labels"
        batch: service.BatchRequest | None = None
        try:
            batch = forms.form_request(
                values,
                record=document == "record",
                labels=labels,
                formula_dir=self.config.formula_dir,
                pharmacy_config=self.config.pharmacy_config,
            )
            outcome = await run_in_threadpool(service.run_batch, batch) if document else service.run_batch(batch)
        except LDNError as error:
            status = status_for_error(error)
            if status >= 500:
                log.exception("batch page: %s", error.code)
                return self.error_page(request, status, "The server cannot answer", "The server's log says why.")
            context["error"] = service.describe_error(error, forms.field_label, batch)
            context["error_field"] = service.error_field(error, batch)
            context["error_code"] = error.code
            return self.page(request, "batch.html", context, 422)
        lot = outcome.result.lot_number
        if document == "record" and outcome.record is not None:
            return pdf_response(outcome.record, "record", lot)
        if document == "labels" and outcome.labels is not None:
            return pdf_response(outcome.labels, "labels", lot)
        context["result"] = outcome.result.to_dict()
        context["label_fields"] = forms.label_fields_given(values)
        return self.page(request, "batch.html", context)

    async def docs_page(self, request: Request) -> Response:
        document = json.loads(openapi_document())
        return self.page(request, "docs.html", {"api": document, "title": "HTTP API"})

    async def stylesheet(self, _request: Request) -> Response:
        text = resources.files("ldn_compound.web").joinpath("static/style.css").read_text(encoding="utf-8")
        return Response(text, media_type="text/css", headers={"cache-control": "max-age=3600"})

    # ------------------------------------------------------------------ API

    async def api_formulas(self, request: Request) -> Response:
        try:
            formulas = self.formulas()
        except LDNError as error:
            log.exception("formulas: %s", error.code)
            return problem_for_error(error, request)
        data = formulas_to_dict(formulas)
        data["formulas"] = [self.formula_dict(f) for f in formulas]
        return Response(dumps(data), media_type=_JSON)

    async def api_formula(self, request: Request) -> Response:
        formula_id = request.path_params["formula_id"]
        try:
            formulas = {formula.id: formula for formula in self.formulas()}
        except LDNError as error:
            log.exception("formula %s: %s", formula_id, error.code)
            return problem_for_error(error, request)
        if formula_id not in formulas:
            return problem_for_error(FormulaNotFoundError(formula_id, sorted(formulas)), request, status=404)
        return Response(dumps(self.formula_dict(formulas[formula_id])), media_type=_JSON)

    async def read_json(self, request: Request) -> tuple[object, Response | None]:
        """The decoded JSON body, or the problem refusing it."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != _JSON and not (media.startswith("application/") and media.endswith("+json")):
            return None, problem(
                415, "the body must be application/json", code="unsupported-media-type", instance=request.url.path
            )
        body = await request.body()
        try:
            return json.loads(body.decode("utf-8")), None
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None, problem(
                400, "the body must be a JSON object (UTF-8)", code="malformed-json", instance=request.url.path
            )

    async def api_batch(self, request: Request, document: str | None = None) -> Response:
        data, refused = await self.read_json(request)
        if refused is not None:
            return refused
        batch: service.BatchRequest | None = None
        try:
            batch = service.request_from_mapping(data, record=document == "record", labels=document == "labels")
            batch = attrs.evolve(
                batch,
                formula_dir=self.config.formula_dir,
                pharmacy_config=self.config.pharmacy_config if document else None,
            )
            outcome = await run_in_threadpool(service.run_batch, batch) if document else service.run_batch(batch)
        except LDNError as error:
            if status_for_error(error) >= 500:
                log.exception("%s: %s", request.url.path, error.code)
            return problem_for_error(error, request, batch)
        if document == "record" and outcome.record is not None:
            return pdf_response(outcome.record, "record", outcome.result.lot_number)
        if document == "labels" and outcome.labels is not None:
            return pdf_response(outcome.labels, "labels", outcome.result.lot_number)
        return Response(outcome.result.to_json(), media_type=_JSON)

    async def api_calculate(self, request: Request) -> Response:
        return await self.api_batch(request)

    async def openapi(self, _request: Request) -> Response:
        return Response(openapi_document(), media_type=_JSON)


# --------------------------------------------------------------------------- errors


def _http_error(app: App) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        if request.url.path.startswith("/api/"):
            code = "http-error"
            detail = str(exc.detail)
            if status == 404:
                code = "not-found"
                detail = f"there is no {request.url.path}"
            elif status == 405:
                code = "method-not-allowed"
                detail = f"{request.method} is not allowed here"
            return problem(status, detail, code=code, instance=request.url.path, headers=dict(exc.headers or {}))
        titles = {404: "Page not found", 405: "Method not allowed"}
        return app.error_page(request, status, titles.get(status, "Error"), str(exc.detail))

    return handler


def _server_error(app: App) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        incident = secrets.token_hex(4)
        log.error("internal error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
        if request.url.path.startswith("/api/"):
            return problem(
                500, f"internal error (incident {incident})", code="internal-error", instance=request.url.path
            )
        return app.error_page(request, 500, "Internal error", f"Something went wrong (incident {incident}).")

    return handler


def _guarded(
    handlers: App, endpoint: Callable[[Request], Awaitable[Response]], *, api: bool = False, public: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` behind sign-in: with sign-in required, an anonymous request goes to the sign-in page (401 for the API)."""

    async def guarded(request: Request) -> Response:
        user = await handlers.views.user(request)
        if user is None and handlers.config.require_sign_in and not public:
            if api:
                return problem(
                    401,
                    "sign in first: this server requires a signed-in user",
                    code="sign-in-required",
                    instance=request.url.path,
                    headers={"www-authenticate": 'Bearer realm="ldn-compound"'},
                )
            return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
        return await endpoint(request)

    return guarded


def create_app(config: WebConfig | None = None) -> Starlette:
    """The web app: the bench pages, the JSON API under ``/api/v1/``, ``/openapi.json`` and ``/docs``."""
    handlers = App(config or WebConfig())
    views = handlers.views

    def page(
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        methods: list[str] | None = None,
        *,
        public: bool = False,
    ) -> Route:
        return Route(path, _guarded(handlers, endpoint, public=public), methods=methods)

    def api(path: str, endpoint: Callable[[Request], Awaitable[Response]], methods: list[str] | None = None) -> Route:
        return Route(path, _guarded(handlers, endpoint, api=True), methods=methods)

    routes = [
        page("/", handlers.home),
        page("/formulas", handlers.formulas_page),
        page("/formulas/{formula_id}", handlers.formula_page),
        page("/batch", handlers.batch_page, methods=["GET"]),
        page("/batch", handlers.batch_submit, methods=["POST"]),
        page("/batch/register", views.register_batch, methods=["POST"]),
        page("/lots", views.lots_page),
        page("/lots/{lot}", views.lot_page),
        page("/lots/{lot}/weigh", views.weigh, methods=["POST"]),
        page("/lots/{lot}/accept", views.accept, methods=["POST"]),
        page("/lots/{lot}/act/{action}", views.act, methods=["POST"]),
        page("/lots/{lot}/{kind:str}.pdf", views.reprint_page, methods=["POST"]),
        page("/recall", views.recall_page),
        page("/sign-in", views.sign_in_page, methods=["GET"], public=True),
        page("/sign-in", views.sign_in, methods=["POST"], public=True),
        page("/sign-out", views.sign_out, methods=["POST"], public=True),
        page("/docs", handlers.docs_page),
        Route("/static/style.css", handlers.stylesheet),
        page("/openapi.json", handlers.openapi),
        api("/api/v1/formulas", handlers.api_formulas),
        api("/api/v1/formulas/{formula_id}", handlers.api_formula),
        api("/api/v1/calculate", handlers.api_calculate, methods=["POST"]),
        api("/api/v1/lots", views.api_lots_root, methods=["GET", "POST"]),
        api("/api/v1/lots/{lot}", views.api_lot),
        api("/api/v1/lots/{lot}/{kind:str}.pdf", views.api_reprint),
        api("/api/v1/lots/{lot}/{action}", views.api_act, methods=["POST"]),
        api("/api/v1/recall/{component_lot}", views.api_recall),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error(handlers), Exception: _server_error(handlers)},
    )
    app.add_middleware(security.BodyLimitMiddleware, limit=handlers.config.max_body)
    app.add_middleware(security.SecurityHeadersMiddleware)
    app.state.handlers = handlers
    return app

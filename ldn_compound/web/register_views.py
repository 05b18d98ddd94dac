"""The register's pages and API: queues by status, a lot's page, weights, signatures, lifecycle, recall, sign-in.

Every action is a use case of :mod:`ldn_compound.service` on the server's register;
signing (weights, each lifecycle step) takes the user's PIN every time, as on the
command line.  Register calls run in a worker thread (a wrong PIN waits on purpose).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, Final

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ldn_compound import service
from ldn_compound.exceptions import LDNError
from ldn_compound.jsonio import dumps
from ldn_compound.render.register_text import lots_dict, recall_dict
from ldn_compound.web import forms, security
from ldn_compound.web.problems import problem, problem_for_error, status_for_error

if TYPE_CHECKING:
    from ldn_compound.register.store import User
    from ldn_compound.web.app import App

__all__ = ["QUEUES"]

log = logging.getLogger("ldn_compound.web")

#: The queues: (title, statuses, whose).
QUEUES: Final = {
    "technician": ("To compound", ("prepared", "needs-changes"), "technician"),
    "pharmacist": ("To check", ("compounded", "verified", "quarantined"), "pharmacist"),
}
_ACTION_TITLES: Final = {
    "compound": "Sign as compounded",
    "verify": "Verify",
    "release": "Release",
    "quarantine": "Quarantine",
    "reject": "Reject",
    "return": "Send back for changes",
}
_PAGE_NAMES: Final = {"user": "User", "pin": "PIN", "reason": "Reason", "line": "Actual amounts", "lot": "Lot"}


def _page_name(field: str) -> str:
    return _PAGE_NAMES.get(field, field)


class RegisterViews:
    """The register's handlers, sharing the app's templates and configuration."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.sessions = security.Sessions(app.config.session_key)

    @property
    def register(self) -> str | None:
        return self.app.config.register

    # ------------------------------------------------------------------ who is signed in

    async def user(self, request: Request) -> User | None:
        """The signed-in user of this request (its session cookie), or None."""
        if "ldn_user" in request.scope:
            found: User | None = request.scope["ldn_user"]
            return found
        user = None
        authorization = request.headers.get("authorization", "")
        if request.url.path.startswith("/api/") and authorization[:7].lower() == "bearer ":
            try:
                user = await run_in_threadpool(service.token_user, authorization[7:].strip(), register=self.register)
            except LDNError:
                log.exception("token check")
            request.scope["ldn_user"] = user
            return user
        name = self.sessions.read(request.cookies.get(security.SESSION_COOKIE), time.time())
        if name is not None:
            try:
                user = await run_in_threadpool(service.signed_in_user, name, register=self.register)
            except LDNError:
                log.exception("session check")
        request.scope["ldn_user"] = user
        return user

    async def sign_in_page(self, request: Request) -> Response:
        return self.app.page(
            request, "sign_in.html", {"title": "Sign in", "next": _safe_next(request.query_params.get("next"))}
        )

    async def sign_in(self, request: Request) -> Response:
        values, refused = await self.app.read_plain_form(request)
        if refused is not None:
            return refused
        name, pin = values.get("user", ""), values.get("pin", "")
        target = _safe_next(values.get("next"))
        try:
            user = await run_in_threadpool(service.sign_in, name, pin, register=self.register)
        except LDNError as error:
            context = {"title": "Sign in", "next": target, "name": name}
            context["error"] = service.describe_error(error, _page_name)
            context["error_field"] = "pin" if error.code == "wrong-pin" else "user"
            return self.app.page(request, "sign_in.html", context, 401 if status_for_error(error) < 500 else 500)
        response = RedirectResponse(target, status_code=303)
        security.set_cookie(
            response,
            request,
            security.SESSION_COOKIE,
            self.sessions.issue(user.name, time.time()),
            max_age=self.sessions.seconds,
        )
        log.info("signed in: %s (%s)", user.name, user.role)
        return response

    async def sign_out(self, request: Request) -> Response:
        _, refused = await self.app.read_plain_form(request)
        if refused is not None:
            return refused
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(security.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    # ------------------------------------------------------------------ pages

    async def lots_page(self, request: Request) -> Response:
        user = await self.user(request)
        queue = request.query_params.get("queue") or (user.role if user is not None else "technician")
        status = request.query_params.get("status") or None
        if queue not in QUEUES and status is None:
            queue = "technician"
        statuses = (status,) if status else QUEUES[queue][1]
        try:
            found = []
            for one in statuses:
                found += await run_in_threadpool(service.list_lots, status=one, limit=200, register=self.register)
        except LDNError as error:
            return self.app.error_page(
                request, status_for_error(error), "Lots", service.describe_error(error, _page_name)
            )
        found.sort(key=lambda lot: lot.registered_at, reverse=True)
        title = f"Lots: {status}" if status else QUEUES[queue][0]
        return self.app.page(
            request,
            "lots.html",
            {"title": title, "lots": found, "queue": None if status else queue, "status": status, "queues": QUEUES},
        )

    async def lot_context(self, request: Request, lot: str) -> dict[str, Any] | Response:
        try:
            record = await run_in_threadpool(service.show_lot, lot, register=self.register)
            events = await run_in_threadpool(service.audit_log, lot, register=self.register)
        except LDNError as error:
            status = status_for_error(error)
            return self.app.error_page(request, status, "Lot", service.describe_error(error, _page_name))
        from ldn_compound.register.lifecycle import ACTIONS, REASON_REQUIRED, Action, Role, Status

        user = await self.user(request)
        actions = []
        for action in record.to_dict()["next_actions"]:
            roles = ACTIONS[Action(action)][2]
            if user is not None and Role(user.role) in roles:
                actions.append(
                    {"name": action, "title": _ACTION_TITLES[action], "reason": Action(action) in REASON_REQUIRED}
                )
        can_weigh = user is not None and Status(record.status) in {Status.PREPARED, Status.NEEDS_CHANGES}
        return {
            "title": f"Lot {record.lot_number}",
            "record": record,
            "lot": record.to_dict(),
            "events": events,
            "actions": actions,
            "can_weigh": can_weigh,
            "is_pharmacist": user is not None and user.role == "pharmacist",
            "error": None,
            "error_field": None,
            "error_form": None,
            "values": {},
        }

    async def lot_page(self, request: Request) -> Response:
        context = await self.lot_context(request, request.path_params["lot"])
        if isinstance(context, Response):
            return context
        return self.app.page(request, "lot.html", context)

    async def _signed(self, request: Request) -> tuple[User | None, dict[str, str], Response | None]:
        values, refused = await self.app.read_plain_form(request)
        if refused is not None:
            return None, values, refused
        user = await self.user(request)
        if user is None:
            return None, values, RedirectResponse(f"/sign-in?next=/lots/{request.path_params['lot']}", status_code=303)
        return user, values, None

    async def _lot_error(
        self, request: Request, lot: str, error: LDNError, form: str, values: dict[str, str]
    ) -> Response:
        context = await self.lot_context(request, lot)
        if isinstance(context, Response):
            return context
        context["error"] = service.describe_error(error, _page_name)
        context["error_field"] = service.error_field(error)
        context["error_form"] = form
        context["values"] = values
        return self.app.page(request, "lot.html", context, status_for_error(error))

    async def weigh(self, request: Request) -> Response:
        lot = request.path_params["lot"]
        user, values, refused = await self._signed(request)
        if refused is not None or user is None:
            return refused or Response(status_code=401)
        lines = [f"{key[7:]}={value}" for key, value in values.items() if key.startswith("amount-") and value.strip()]
        try:
            await run_in_threadpool(
                service.weigh, lot, lines, user=user.name, pin=values.get("pin", ""), register=self.register
            )
        except LDNError as error:
            return await self._lot_error(request, lot, error, "weigh", values)
        return RedirectResponse(f"/lots/{lot}", status_code=303)

    async def accept(self, request: Request) -> Response:
        lot = request.path_params["lot"]
        user, values, refused = await self._signed(request)
        if refused is not None or user is None:
            return refused or Response(status_code=401)
        try:
            await run_in_threadpool(
                service.accept_amount,
                lot,
                values.get("line", ""),
                user=user.name,
                pin=values.get("pin", ""),
                reason=values.get("reason") or None,
                register=self.register,
            )
        except LDNError as error:
            return await self._lot_error(request, lot, error, "accept-" + values.get("line", ""), values)
        return RedirectResponse(f"/lots/{lot}", status_code=303)

    async def act(self, request: Request) -> Response:
        lot, action = request.path_params["lot"], request.path_params["action"]
        user, values, refused = await self._signed(request)
        if refused is not None or user is None:
            return refused or Response(status_code=401)
        try:
            await run_in_threadpool(
                service.lot_action,
                lot,
                action,
                user=user.name,
                pin=values.get("pin", ""),
                reason=values.get("reason") or None,
                register=self.register,
            )
        except LDNError as error:
            return await self._lot_error(request, lot, error, "action-" + action, values)
        return RedirectResponse(f"/lots/{lot}", status_code=303)

    async def reprint_page(self, request: Request) -> Response:
        lot, kind = request.path_params["lot"], request.path_params["kind"]
        values, refused = await self.app.read_plain_form(request)
        if refused is not None:
            return refused
        user = await self.user(request)
        try:
            files = await run_in_threadpool(
                service.reprint,
                lot,
                record=kind == "record",
                labels=kind == "labels",
                user=None if user is None else user.name,
                register=self.register,
            )
        except LDNError as error:
            return await self._lot_error(request, lot, error, "print", values)
        from ldn_compound.web.app import pdf_response

        return pdf_response(files[kind], kind, lot)

    async def recall_page(self, request: Request) -> Response:
        lot = (request.query_params.get("lot") or "").strip()
        context: dict[str, Any] = {"title": "Recall", "query": lot, "hits": None, "error": None}
        if lot:
            try:
                context["hits"] = await run_in_threadpool(service.recall, lot, register=self.register)
            except LDNError as error:
                context["error"] = service.describe_error(error, _page_name)
                return self.app.page(request, "recall.html", context, status_for_error(error))
        return self.app.page(request, "recall.html", context)

    async def register_batch(self, request: Request) -> Response:
        """``POST /batch/register``: register the batch of the form, print its record (and labels), go to its lot."""
        values, refused = await self.app.read_form(request)
        if refused is not None:
            return refused
        labels = forms.label_fields_given(values)
        batch: service.BatchRequest | None = None
        formula = values.get("formula")
        context = self.app.batch_context(formula if isinstance(formula, str) else None, values)
        try:
            batch = forms.form_request(
                values,
                record=True,
                labels=labels,
                formula_dir=self.app.config.formula_dir,
                pharmacy_config=self.app.config.pharmacy_config,
            )
            batch = attrs.evolve(batch, register=self.register)
            outcome = await run_in_threadpool(service.run_batch, batch)
        except LDNError as error:
            if status_for_error(error) >= 500:
                log.exception("register batch: %s", error.code)
                return self.app.error_page(request, 500, "The server cannot answer", "The server's log says why.")
            context["error"] = service.describe_error(error, forms.field_label, batch)
            context["error_field"] = service.error_field(error, batch)
            return self.app.page(request, "batch.html", context, 422)
        return RedirectResponse(f"/lots/{outcome.result.lot_number}", status_code=303)

    # ------------------------------------------------------------------ API

    async def api_lots_root(self, request: Request) -> Response:
        """``/api/v1/lots``: GET lists, POST registers (one route, so a 405 names both methods)."""
        return await (self.api_register(request) if request.method == "POST" else self.api_lots(request))

    async def api_register(self, request: Request) -> Response:
        data, refused = await self.app.read_json(request)
        if refused is not None:
            return refused
        batch: service.BatchRequest | None = None
        try:
            labels = isinstance(data, dict) and any(
                key in data for key in ("rx", "patient", "prescriber", "directions")
            )
            batch = service.request_from_mapping(data, record=True, labels=labels)
            batch = attrs.evolve(
                batch,
                formula_dir=self.app.config.formula_dir,
                pharmacy_config=self.app.config.pharmacy_config,
                register=self.register,
            )
            outcome = await run_in_threadpool(service.run_batch, batch)
            record = await run_in_threadpool(service.show_lot, outcome.result.lot_number, register=self.register)
        except LDNError as error:
            return problem_for_error(error, request, batch)
        return Response(
            dumps(record.to_dict()),
            status_code=201,
            media_type="application/json",
            headers={"location": f"/api/v1/lots/{record.lot_number}"},
        )

    async def api_lots(self, request: Request) -> Response:
        try:
            found = await run_in_threadpool(
                service.list_lots,
                status=request.query_params.get("status"),
                formula=request.query_params.get("formula"),
                since=request.query_params.get("since"),
                limit=500,
                register=self.register,
            )
        except LDNError as error:
            return problem_for_error(error, request)
        return Response(dumps(lots_dict(found)), media_type="application/json")

    async def api_lot(self, request: Request) -> Response:
        try:
            record = await run_in_threadpool(service.show_lot, request.path_params["lot"], register=self.register)
        except LDNError as error:
            return problem_for_error(error, request)
        return Response(dumps(record.to_dict()), media_type="application/json")

    async def api_reprint(self, request: Request) -> Response:
        lot, kind = request.path_params["lot"], request.path_params["kind"]
        try:
            files = await run_in_threadpool(
                service.reprint, lot, record=kind == "record", labels=kind == "labels", register=self.register
            )
        except LDNError as error:
            return problem_for_error(error, request)
        from ldn_compound.web.app import pdf_response

        return pdf_response(files[kind], kind, lot)

    async def api_recall(self, request: Request) -> Response:
        try:
            hits = await run_in_threadpool(service.recall, request.path_params["component_lot"], register=self.register)
        except LDNError as error:
            return problem_for_error(error, request)
        return Response(dumps(recall_dict(request.path_params["component_lot"], hits)), media_type="application/json")

    async def api_act(self, request: Request) -> Response:  # noqa: PLR0911 - one answer for each refusal
        """``POST /api/v1/lots/{lot}/{action}``: ``{"user": NAME, "pin": PIN, "reason": …}`` (weigh: ``"lines"``)."""
        lot, action = request.path_params["lot"], request.path_params["action"]
        if action in {"record.pdf", "labels.pdf"}:
            return problem(
                405,
                f"{request.method} is not allowed here",
                code="method-not-allowed",
                instance=request.url.path,
                headers={"allow": "GET, HEAD"},
            )
        data, refused = await self.app.read_json(request)
        if refused is not None:
            return refused
        if not isinstance(data, dict) or not all(isinstance(v, str | dict | type(None)) for v in data.values()):
            return problem(
                422, "the body must be a JSON object of text fields", code="request-not-an-object", field="request"
            )
        user, pin, reason = str(data.get("user") or ""), str(data.get("pin") or ""), data.get("reason")
        token_user = await self.user(request)
        if token_user is not None:  # the token says who signs: a body naming someone else is refused
            if user and user != token_user.name:
                return problem(
                    403,
                    f"user {json.dumps(user)}: must be the token's own user, {token_user.name}",
                    code="not-permitted",
                    field="user",
                    instance=request.url.path,
                )
            user = token_user.name
        try:
            if action == "weigh":
                lines = data.get("lines")
                if not isinstance(lines, dict):
                    return problem(
                        422, 'lines must be an object {"line id": "amount"}', code="invalid-type", field="lines"
                    )
                await run_in_threadpool(
                    service.weigh,
                    lot,
                    [f"{k}={v}" for k, v in lines.items()],
                    user=user,
                    pin=pin,
                    register=self.register,
                )
            else:
                await run_in_threadpool(
                    service.lot_action,
                    lot,
                    action,
                    user=user,
                    pin=pin,
                    reason=reason if isinstance(reason, str) else None,
                    register=self.register,
                )
            record = await run_in_threadpool(service.show_lot, lot, register=self.register)
        except LDNError as error:
            return problem_for_error(error, request)
        return Response(dumps(record.to_dict()), media_type="application/json")


def _safe_next(target: object) -> str:
    """A place to go after sign-in: a path of this site only (never another site)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/lots"


def lot_json(record: Any) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True, indent=2)

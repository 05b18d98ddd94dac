"""Plain-text output of the batch register: lot lists, a lot, recalls, users and the audit trail.

The command line prints these; they take the register's values and do no arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ldn_compound.render.text import table

if TYPE_CHECKING:
    from ldn_compound.register.store import AuditReport, Event, LotRecord, LotSummary, RecallHit, User

__all__ = ["audit_report_text", "audit_text", "lot_text", "lots_table", "recall_dict", "recall_text", "users_table"]


def lots_table(lots: Sequence[LotSummary], *, limit: int | None = None) -> str:
    """``lots list``: one line per batch, newest first."""
    if not lots:
        return "No registered batches match.\n"
    rows = [
        [x.lot_number, x.status, x.formula_id, x.compounding_date, x.quantity, x.rx_number or "", x.patient or ""]
        for x in lots
    ]
    lines = table(["Lot", "Status", "Formula", "Compounded", "Quantity", "Rx", "Patient"], rows, indent="")
    if limit is not None and len(lots) >= limit:
        lines.append(f"(the newest {limit}; use --limit for more)")
    return "\n".join(lines) + "\n"


def lot_text(lot: LotRecord) -> str:
    """``lots show``: the batch, its status, the amounts entered and the signatures."""
    doc = lot.document
    lines = [
        f"Lot          {lot.lot_number} ({lot.status})",
        f"Formula      {doc['formula']['name']} ({lot.formula_id} v{lot.formula_version})",
        f"Strength     {doc['strength']['text']}",
        f"Quantity     {lot.quantity}, compounded {lot.compounding_date}, beyond use {doc['beyond_use_date']}",
        f"Registered   {lot.registered_at}" + (f" by {lot.registered_by}" if lot.registered_by else ""),
        f"Fingerprint  {lot.fingerprint}",
    ]
    if lot.prescription:
        rx = lot.prescription
        lines.append(f"Rx           {rx['number']}: {rx['patient']} (prescriber {rx['prescriber']})")
    if lot.prints:
        lines.append(
            "Printed      " + ", ".join(f"{kind} (sha256 {sha[:12]})" for kind, sha in sorted(lot.prints.items()))
        )
    weights = {w.line: w for w in lot.weights}
    rows = []
    for line in doc["ingredients"]:
        weight = weights.get(line["id"])
        amount = ("q.s. to " if line["qs"] else "") + str(line["amount"])
        if weight is None:
            rows.append([line["id"], amount, "", "", ""])
            continue
        check = "ok" if weight.within else ("accepted" if weight.accepted_by else "OUT OF TOLERANCE")
        rows.append([line["id"], amount, weight.amount, f"{weight.low} to {weight.high}", check])
    lines += ["", *table(["Line", "To measure", "Actual", "Accepted range", "Check"], rows, indent="  ")]
    for weight in lot.weights:
        if weight.accepted_by:
            lines.append(f"  {weight.line}: accepted by {weight.accepted_by}: {weight.accepted_reason}")
    if lot.signatures:
        lines.append("")
        lines.append("Signatures")
        for s in lot.signatures:
            reason = f": {s.reason}" if s.reason else ""
            lines.append(f"  {s.meaning} by {s.user} ({s.role}) at {s.signed_at_local} [{s.fingerprint}]{reason}")
    actions = lot.to_dict()["next_actions"]
    lines += ["", "Next         " + (", ".join(actions) if actions else "nothing (final)")]
    return "\n".join(lines) + "\n"


def recall_text(lot: str, hits: Sequence[RecallHit]) -> str:
    """``lots recall``: every batch that used the lot, with its patient."""
    if not hits:
        return f"No registered batch used {lot}.\n"
    rows = [
        [
            h.lot_number,
            h.status,
            h.formula_id,
            h.compounding_date,
            h.quantity,
            h.rx_number or "",
            h.patient or "",
            h.component or "(the batch itself)",
        ]
        for h in hits
    ]
    headers = ["Lot", "Status", "Formula", "Compounded", "Quantity", "Rx", "Patient", "Used as"]
    count = len(hits)
    return (
        f"{count} registered batch{'es' if count != 1 else ''} with {lot}:\n"
        + "\n".join(table(headers, rows, indent=""))
        + "\n"
    )


def recall_dict(lot: str, hits: Sequence[RecallHit]) -> dict[str, Any]:
    """``lots recall --json`` and ``GET /api/v1/recall/LOT``: ``schemas/recall.schema.json``."""
    import attrs

    return {"schema": "ldn-compound/recall/1", "lot": lot, "batches": [attrs.asdict(h) for h in hits]}


def lots_dict(lots: Sequence[LotSummary]) -> dict[str, Any]:
    """``lots list --json`` and ``GET /api/v1/lots``: ``schemas/lots.schema.json``."""
    import attrs

    return {"schema": "ldn-compound/lots/1", "lots": [attrs.asdict(lot) for lot in lots]}


def users_table(users: Sequence[User]) -> str:
    """``users list``."""
    if not users:
        return "No users yet: add one with 'ldn-compound users add NAME --role technician|pharmacist'.\n"
    rows = [[u.name, u.role, "disabled" if u.disabled else "active", str(u.failures), u.created_at] for u in users]
    return "\n".join(table(["User", "Role", "State", "Failed PINs", "Added"], rows, indent="")) + "\n"


def _event_line(event: Event) -> str:
    data = event.data
    details: dict[str, Callable[[], str]] = {
        "registered": lambda: f"registered ({data.get('formula')}, fingerprint {data.get('fingerprint')})",
        "weighed": lambda: (
            "amounts: "
            + ", ".join(
                f"{k}={v['amount']}{'' if v['within'] else ' (out of tolerance)'}" for k, v in data["lines"].items()
            )
        ),
        "amount-accepted": lambda: f"accepted {data['line']}={data['amount']}: {data['reason']}",
        "reprinted": lambda: "reprinted " + ", ".join(sorted(data.get("prints", {}))),
        "printed": lambda: f"printed {data['kind']}",
        "wrong-pin": lambda: f"wrong PIN ({data['failures']} in a row)",
        "pin-accepted": lambda: f"PIN accepted after {data['after_failures']} failures",
        "user-added": lambda: f"user {event.user} added ({data['role']})" + _signed_by(data),
        "user-disabled": lambda: f"user {event.user} disabled" + _signed_by(data),
        "token-created": lambda: f"API token made for {event.user} ({data.get('token', '')}…)",
    }
    if event.kind in {"user-added", "user-disabled", "token-created"}:  # about a user, not by them
        return f"{event.seq:>6}  {event.at}  {details[event.kind]()}"
    detail = details.get(event.kind)
    if detail is not None:
        text = detail()
    elif "from" in data:
        text = f"{data['meaning']}: {data['from']} -> {data['to']}" + (
            f" ({data['reason']})" if data.get("reason") else ""
        )
    else:  # pragma: no cover - every kind written is listed above
        text = event.kind
    who = f" by {event.user}" if event.user else ""
    lot = f"{event.lot_number}  " if event.lot_number else ""
    return f"{event.seq:>6}  {event.at}  {lot}{text}{who}"


def _signed_by(data: dict[str, Any]) -> str:
    """``; signed by paul``, or that no one signed (the register's first pharmacist, or before 0.3)."""
    signer = data.get("by")
    return f"; signed by {signer}" if signer else "; no signature"


def audit_text(events: Sequence[Event]) -> str:
    """``audit log``: one line per event, oldest first."""
    if not events:
        return "No events.\n"
    return "\n".join(_event_line(e) for e in events) + "\n"


def audit_report_text(report: AuditReport) -> str:
    """``audit verify`` when the trail is intact."""
    return (
        f"Audit trail intact: {report.events} events in an unbroken hash chain; "
        f"{report.batches} batches and {report.users} users as their last events left them.\n"
    )

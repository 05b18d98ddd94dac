"""The register's lifecycle, actual amounts, users, e-signatures and the audit trail (both engines)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import attrs
import pytest
import sqlalchemy as sa

from ldn_compound import InputError, calculate_batch
from ldn_compound.register import (
    Action,
    ForbiddenTransitionError,
    NotPermittedError,
    Status,
    UnknownUserError,
    UserDisabledError,
    UserExistsError,
    VerificationBlockedError,
    WrongPinError,
    open_register,
)
from ldn_compound.register.lifecycle import ACTIONS, allowed_actions, next_status
from ldn_compound.settings import default_settings
from tests.test_register import sql

PINS = {"tina": "1111", "tom": "2222", "paul": "3333", "pia": "4444"}


def _staffed(register):
    register.add_user("tina", "technician", PINS["tina"])
    register.add_user("tom", "technician", PINS["tom"])
    register.add_user("paul", "pharmacist", PINS["paul"])
    register.add_user("pia", "pharmacist", PINS["pia"], by="paul", by_pin=PINS["paul"])
    return register


@pytest.fixture
def reg(register):
    """A register with two technicians and two pharmacists, on each engine."""
    return _staffed(register)


@pytest.fixture
def sreg(sqlite_register):
    """The same on SQLite only: for the lifecycle graph, which is the same logic on every engine."""
    return _staffed(sqlite_register)


def new_lot(register) -> str:
    batch = calculate_batch("ldn-capsules", quantity=100, date="2026-03-01", lots=["naltrexone-hcl=NX1"])
    return register.record(batch)


GOOD = {"naltrexone-hcl": "451.3 mg", "mcc": "22.6 g"}


def act(register, lot, action, user, reason=None):
    return register.transition(lot, action, user=user, pin=PINS[user], reason=reason)


def drive(register, lot, status: Status) -> None:
    """Take a new batch to ``status`` by the usual path."""
    if status is Status.PREPARED:
        return
    if status is Status.QUARANTINED:
        act(register, lot, "quarantine", "paul", "suspected mix-up")
        return
    if status is Status.REJECTED:
        act(register, lot, "reject", "paul", "spilled")
        return
    register.weigh(lot, GOOD, user="tina", pin=PINS["tina"])
    act(register, lot, "compound", "tina")
    if status is Status.NEEDS_CHANGES:
        act(register, lot, "return", "paul", "label the beaker")
        return
    if status is Status.COMPOUNDED:
        return
    act(register, lot, "verify", "paul")
    if status is Status.RELEASED:
        act(register, lot, "release", "pia")


# --------------------------------------------------------------------------- the graph


def test_the_lifecycle_graph():
    assert allowed_actions(Status.PREPARED) == (Action.COMPOUND, Action.QUARANTINE, Action.REJECT)
    assert allowed_actions(Status.REJECTED) == ()
    assert allowed_actions(Status.RELEASED) == (Action.QUARANTINE,)
    assert next_status(Status.NEEDS_CHANGES, Action.COMPOUND) is Status.COMPOUNDED
    assert next_status(Status.PREPARED, Action.VERIFY) is None


ALLOWED = [(status, action) for status in Status for action in Action if next_status(status, action) is not None]
FORBIDDEN = [(status, action) for status in Status for action in Action if next_status(status, action) is None]


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=str)
def test_each_allowed_transition(sreg, status, action):
    lot = new_lot(sreg)
    drive(sreg, lot, status)
    if action is Action.COMPOUND and status is Status.PREPARED:
        sreg.weigh(lot, GOOD, user="tina", pin=PINS["tina"])
    if action is Action.RELEASE and status is Status.QUARANTINED:  # only a batch verified before
        lot = new_lot(sreg)
        drive(sreg, lot, Status.VERIFIED)
        act(sreg, lot, "quarantine", "paul", "check the seal")
    user = {Action.COMPOUND: "tom", Action.VERIFY: "pia"}.get(action, "pia")
    reason = "a reason" if action in {Action.QUARANTINE, Action.REJECT, Action.RETURN} else None
    assert act(sreg, lot, action, user, reason) is ACTIONS[action][1]
    held = sreg.get(lot)
    assert held.status == ACTIONS[action][1].value
    assert held.signatures[-1].meaning == action.meaning


@pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=str)
def test_each_forbidden_transition_is_refused(sreg, status, action):
    lot = new_lot(sreg)
    drive(sreg, lot, status)
    before = sreg.audit_log(lot)
    with pytest.raises(ForbiddenTransitionError) as caught:
        act(sreg, lot, action, "pia", "a reason")
    assert caught.value.code == "forbidden-transition"
    assert f"allow '{action.value}'" in str(caught.value)
    assert sreg.get(lot).status == status.value
    assert sreg.audit_log(lot) == before


def test_release_from_quarantine_needs_a_verification(reg):
    lot = new_lot(reg)
    act(reg, lot, "quarantine", "paul", "hold")
    with pytest.raises(ForbiddenTransitionError, match="not verified"):
        act(reg, lot, "release", "paul")


@pytest.mark.parametrize("action", ["verify", "release", "quarantine", "reject", "return"])
def test_a_technician_may_only_compound(sreg, action):
    lot = new_lot(sreg)
    drive(sreg, lot, Status.VERIFIED if action == "release" else Status.COMPOUNDED)
    with pytest.raises(NotPermittedError, match="be a pharmacist"):
        act(sreg, lot, action, "tom", "a reason")


def test_nobody_verifies_their_own_batch_unless_the_setting_allows(reg, register_url, quick_hasher):
    lot = new_lot(reg)
    reg.weigh(lot, GOOD, user="paul", pin=PINS["paul"])
    act(reg, lot, "compound", "paul")
    with pytest.raises(NotPermittedError, match="they compounded"):
        act(reg, lot, "verify", "paul")
    settings = attrs.evolve(default_settings(), self_verification=True)
    with open_register(register_url, settings=settings, pin_hasher=quick_hasher) as lenient:
        assert lenient.verify(lot, user="paul", pin=PINS["paul"]) is Status.VERIFIED


@pytest.mark.parametrize("action", ["quarantine", "reject", "return"])
def test_these_actions_need_a_reason(sreg, action):
    lot = new_lot(sreg)
    drive(sreg, lot, Status.COMPOUNDED)
    for reason in (None, "   "):
        with pytest.raises(InputError) as caught:
            act(sreg, lot, action, "paul", reason)
        assert caught.value.code == "reason-required"


def test_an_unknown_action(reg):
    with pytest.raises(InputError, match="action must be one of"):
        reg.transition(new_lot(reg), "bless", user="paul", pin=PINS["paul"])


# --------------------------------------------------------------------------- actual amounts


def test_tolerance_ranges_worked_by_hand(reg):
    lot = new_lot(reg)
    weights = {w.line: w for w in reg.weigh(lot, GOOD, user="tina", pin=PINS["tina"])}
    # the active: 450 mg ± 5 % ± the readability 0.1 mg = 427.4 mg to 472.6 mg
    assert (weights["naltrexone-hcl"].low, weights["naltrexone-hcl"].high) == ("427.4 mg", "472.6 mg")
    # the filler: 22.55 g ± 10 % ± 0.1 mg = 20.2949 g to 24.8051 g
    assert (weights["mcc"].low, weights["mcc"].high) == ("20.2949 g", "24.8051 g")
    assert all(w.within and w.ok and w.entered_by == "tina" for w in weights.values())


def test_the_range_is_rounded_by_the_balance_and_checked_as_printed(reg):
    batch = calculate_batch("ldn-capsules", quantity=30, strength="1.5 mg", date="2026-03-01")
    lot = reg.record(batch)
    # 45 mg x 0.95 - 0.1 mg = 42.65 mg and 45 mg x 1.05 + 0.1 mg = 47.35 mg, each rounded half up to 0.1 mg
    for amount, within in (("42.7 mg", True), ("42.6 mg", False), ("47.4 mg", True), ("47.5 mg", False)):
        (weight,) = reg.weigh(lot, {"naltrexone-hcl": amount}, user="tina", pin=PINS["tina"])
        assert (weight.low, weight.high, weight.within) == ("42.7 mg", "47.4 mg", within)


def test_a_volume_range_is_rounded_to_the_liquid_resolution(reg):
    batch = calculate_batch("ldn-topical-cream", quantity="30 g", date="2026-03-01")
    lot = reg.record(batch)
    water = next(line for line in batch.ingredients if line.measure == "measure")
    (weight,) = reg.weigh(lot, {water.id: "0.6 mL"}, user="tina", pin=PINS["tina"])
    # 0.6 mL x 0.9 - 0.1 mL = 0.44 mL and 0.6 mL x 1.1 + 0.1 mL = 0.76 mL, rounded half up to 0.1 mL
    assert (weight.expected, weight.low, weight.high) == ("0.6 mL", "0.4 mL", "0.8 mL")


@pytest.mark.parametrize(
    ("amount", "within"), [("427.4 mg", True), ("427.3 mg", False), ("472.6 mg", True), ("0.4727 g", False)]
)
def test_the_edges_of_the_active_tolerance(sreg, amount, within):
    lot = new_lot(sreg)
    (weight,) = sreg.weigh(lot, {"naltrexone-hcl": amount}, user="tina", pin=PINS["tina"])
    assert weight.within is within


def test_a_volume_is_checked_with_the_liquid_resolution(reg):
    batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", date="2026-03-01")
    lot = reg.record(batch)
    glycerin = next(line for line in batch.ingredients if line.measure == "measure")
    (weight,) = reg.weigh(lot, {glycerin.id: "25.3 mL"}, user="tina", pin=PINS["tina"])
    # 24 mL ± 10 % ± 0.1 mL
    assert (weight.expected, weight.low, weight.high, weight.within) == ("24 mL", "21.5 mL", "26.5 mL", True)


def test_an_amount_out_of_tolerance_blocks_verification_until_accepted(reg):
    lot = new_lot(reg)
    reg.weigh(lot, {**GOOD, "naltrexone-hcl": "400 mg"}, user="tina", pin=PINS["tina"])
    act(reg, lot, "compound", "tina")
    with pytest.raises(VerificationBlockedError, match="out of tolerance: naltrexone-hcl"):
        act(reg, lot, "verify", "paul")
    with pytest.raises(NotPermittedError):
        reg.accept(lot, "naltrexone-hcl", user="tom", pin=PINS["tom"], reason="ok")
    with pytest.raises(InputError, match="reason"):
        reg.accept(lot, "naltrexone-hcl", user="paul", pin=PINS["paul"], reason="")
    with pytest.raises(InputError, match="out of tolerance"):
        reg.accept(lot, "mcc", user="paul", pin=PINS["paul"], reason="fine")
    accepted = reg.accept(lot, "naltrexone-hcl", user="paul", pin=PINS["paul"], reason="assay shows 99 %")
    assert (accepted.accepted_by, accepted.accepted_reason, accepted.ok) == ("paul", "assay shows 99 %", True)
    assert act(reg, lot, "verify", "pia") is Status.VERIFIED


def test_every_line_is_weighed_before_compounding(reg):
    lot = new_lot(reg)
    reg.weigh(lot, {"mcc": "22.55 g"}, user="tina", pin=PINS["tina"])
    with pytest.raises(VerificationBlockedError, match="missing: naltrexone-hcl"):
        act(reg, lot, "compound", "tina")


@pytest.mark.parametrize(
    ("amounts", "message"),
    [
        ({"nope": "1 mg"}, "line must be one of naltrexone-hcl, mcc"),
        ({"mcc": "22.5 mL"}, "line mcc must be a mass"),
        ({"mcc": "heavy"}, "line mcc must be a mass"),
        ({}, "at least once"),
    ],
)
def test_bad_amounts(sreg, amounts, message):
    lot = new_lot(sreg)
    with pytest.raises(InputError, match=message):
        sreg.weigh(lot, amounts, user="tina", pin=PINS["tina"])
    assert sreg.get(lot).weights == ()


def test_amounts_are_entered_only_before_compounding(reg):
    lot = new_lot(reg)
    drive(reg, lot, Status.COMPOUNDED)
    with pytest.raises(ForbiddenTransitionError, match="prepared or needs-changes"):
        reg.weigh(lot, GOOD, user="tina", pin=PINS["tina"])
    act(reg, lot, "return", "paul", "weigh the filler again")
    reg.weigh(lot, {"mcc": "22.54 g"}, user="tom", pin=PINS["tom"])
    assert {w.line: w.amount for w in reg.get(lot).weights} == {"mcc": "22.54 g", "naltrexone-hcl": "451.3 mg"}


# --------------------------------------------------------------------------- users and signatures


def test_signatures_say_who_what_when_and_on_which_document(reg):
    lot = new_lot(reg)
    drive(reg, lot, Status.RELEASED)
    held = reg.get(lot)
    assert [(s.user, s.role, s.meaning) for s in held.signatures] == [
        ("tina", "technician", "compounded"),
        ("paul", "pharmacist", "verified"),
        ("pia", "pharmacist", "released"),
    ]
    for signature in held.signatures:
        assert signature.fingerprint == held.document["fingerprint"]
        utc = dt.datetime.strptime(signature.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        local = dt.datetime.fromisoformat(signature.signed_at_local)
        assert local.tzinfo is not None
        assert abs((utc - local).total_seconds()) < 1
    assert [e.kind for e in reg.audit_log(lot)] == ["registered", "weighed", "compound", "verify", "release"]


def test_pins_are_stored_as_argon2_hashes(reg):
    (stored,) = sql(reg, "SELECT pin_hash FROM users WHERE name = 'tina'")
    assert stored[0].startswith("$argon2id$")
    assert PINS["tina"] not in stored[0]


def test_a_wrong_pin_waits_is_counted_and_written_to_the_audit_trail(reg, monkeypatch):
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    lot = new_lot(reg)
    for count in (1, 2):
        with pytest.raises(WrongPinError, match=f"{count} wrong in a row") as caught:
            reg.weigh(lot, GOOD, user="tina", pin="9999")
        assert caught.value.code == "wrong-pin"
        assert "9999" not in str(caught.value)
    assert waits == [reg.settings.wrong_pin_delay] * 2
    assert reg.user("tina").failures == 2
    failures = [e for e in reg.audit_log() if e.kind == "wrong-pin"]
    assert [(e.user, e.data["failures"]) for e in failures] == [("tina", 1), ("tina", 2)]
    assert reg.get(lot).weights == ()
    reg.weigh(lot, GOOD, user="tina", pin=PINS["tina"])
    assert reg.user("tina").failures == 0
    assert reg.audit_log()[-2].kind == "pin-accepted"
    assert reg.verify_audit().ok


def test_a_disabled_user_cannot_sign(reg):
    lot = new_lot(reg)
    assert reg.disable_user("tom", by="pia", by_pin=PINS["pia"]).disabled
    with pytest.raises(UserDisabledError) as caught:
        reg.weigh(lot, GOOD, user="tom", pin=PINS["tom"])
    assert caught.value.code == "user-disabled"
    assert [(u.name, u.disabled) for u in reg.users()] == [
        ("paul", False),
        ("pia", False),
        ("tina", False),
        ("tom", True),
    ]


@pytest.mark.parametrize(
    ("name", "role", "pin", "error"),
    [
        ("tina", "technician", "5555", UserExistsError),
        ("bob", "boss", "5555", InputError),
        ("bob", "technician", "12", InputError),
        ("bob", "technician", " 12345", InputError),
        ("bad name", "technician", "12345", InputError),
    ],
)
def test_bad_users(sreg, name, role, pin, error):
    with pytest.raises(error):
        sreg.add_user(name, role, pin, by="paul", by_pin=PINS["paul"])


def test_once_there_is_a_pharmacist_only_a_pharmacist_adds_or_disables_users(reg):
    for change in (
        lambda by, pin: reg.add_user("bob", "pharmacist", "5555", by=by, by_pin=pin),
        lambda by, pin: reg.disable_user("tom", by=by, by_pin=pin),
    ):
        with pytest.raises(NotPermittedError) as caught:
            change(None, None)
        assert (caught.value.field, caught.value.value, caught.value.code) == ("signer", None, "not-permitted")
        with pytest.raises(NotPermittedError) as caught:
            change("tina", PINS["tina"])
        assert (caught.value.field, caught.value.value) == ("signer", "tina")
        with pytest.raises(NotPermittedError):  # a name without a PIN signs nothing
            change("paul", None)
        with pytest.raises(WrongPinError):  # a signer's name is checked with their PIN, inside the register
            change("paul", "0000")
    assert [u.name for u in reg.users()] == ["paul", "pia", "tina", "tom"]
    assert not reg.user("tom").disabled
    assert reg.add_user("bob", "pharmacist", "5555", by="paul", by_pin=PINS["paul"]).role == "pharmacist"
    reg.disable_user("paul", by="pia", by_pin=PINS["pia"])
    with pytest.raises((NotPermittedError, UserDisabledError)):  # a disabled pharmacist signs for nothing
        reg.add_user("eve", "technician", "5555", by="paul", by_pin=PINS["paul"])
    added = [e for e in reg.audit_log() if e.kind in {"user-added", "user-disabled"}][-2:]
    assert [(e.kind, e.user, e.data.get("by")) for e in added] == [
        ("user-added", "bob", "paul"),
        ("user-disabled", "paul", "pia"),
    ]
    assert reg.verify_audit().ok


def test_the_last_enabled_pharmacist_stays_and_a_register_without_one_still_needs_a_signer(reg):
    """Disabling every pharmacist would leave no one to sign, or let anyone add themselves as one."""
    reg.disable_user("pia", by="paul", by_pin=PINS["paul"])
    with pytest.raises(NotPermittedError) as caught:
        reg.disable_user("paul", by="paul", by_pin=PINS["paul"])
    assert (caught.value.field, caught.value.value) == ("user", "paul")
    assert "last enabled pharmacist" in caught.value.rule
    assert not reg.user("paul").disabled
    with pytest.raises(NotPermittedError):  # a register that had pharmacists never takes one unsigned again
        reg.add_user("evil", "pharmacist", "3333")


def test_unknown_users(reg):
    for call in (
        lambda: reg.user("zed"),
        lambda: reg.disable_user("zed", by="paul", by_pin=PINS["paul"]),
        lambda: reg.authenticate("zed", "1234"),
    ):
        with pytest.raises(UnknownUserError):
            call()


# --------------------------------------------------------------------------- the audit trail


def busy(reg) -> list[str]:
    lots = [new_lot(reg) for _ in range(3)]
    drive(reg, lots[0], Status.RELEASED)
    reg.weigh(lots[1], {**GOOD, "mcc": "30 g"}, user="tina", pin=PINS["tina"])
    reg.reprint(lots[2], [])
    return lots


def test_an_untouched_trail_verifies(reg):
    busy(reg)
    report = reg.verify_audit()
    assert report.ok and report.problem is None
    assert (report.events, report.batches, report.users) == (len(reg.audit_log()), 3, 4)
    hashes = [e.hash for e in reg.audit_log()]
    assert len(set(hashes)) == len(hashes) and all(re.fullmatch("[0-9a-f]{64}", h) for h in hashes)


TAMPERING = [
    ("UPDATE events SET data = replace(data, '451.3 mg', '450 mg') WHERE seq = 8", "event 8 (weighed L2026-000001)", 8),
    ("UPDATE events SET user_name = 'tom' WHERE seq = 9", "event 9 (compound L2026-000001) was changed", 9),
    ("UPDATE events SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 9", "event 9 ", 9),
    ("DELETE FROM events WHERE seq = 8", "event 8 is missing", 8),
    ("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)", "is missing: the trail ends", None),
    (
        "UPDATE batches SET status = 'released' WHERE lot_number = 'L2026-000002'",
        "batch L2026-000002 was changed",
        None,
    ),
    (
        "UPDATE weights SET amount = '22.55 g' WHERE line_id = 'mcc' AND within = false",
        "batch L2026-000002 was changed",
        None,
    ),
    ("UPDATE signatures SET user_name = 'pia' WHERE meaning = 'verified'", "batch L2026-000001 was changed", None),
    ("UPDATE prints SET sha256 = 'x' WHERE 1 = 0", None, None),
    (
        "UPDATE batch_components SET component_lot = 'NX2' WHERE component_lot = 'NX1' AND batch_id = 3",
        "batch L2026-000003 was changed",
        None,
    ),
    ("UPDATE users SET role = 'pharmacist' WHERE name = 'tom'", "user tom was changed", None),
    ("UPDATE users SET disabled = true WHERE name = 'pia'", "user pia was changed", None),
    ("DELETE FROM signatures WHERE meaning = 'released'", "batch L2026-000001 was changed", None),
]


@pytest.mark.parametrize(("statement", "named", "event"), TAMPERING, ids=itertools.count())
def test_an_edit_behind_the_registers_back_is_found(reg, statement, named, event):
    busy(reg)
    sql(reg, statement)
    report = reg.verify_audit()
    if named is None:  # the statement changed nothing
        assert report.ok
        return
    assert not report.ok
    assert named in report.problem
    if event is not None:
        assert report.event == event


def test_a_deleted_or_added_batch_is_found(reg):
    busy(reg)
    sql(reg, "DELETE FROM batch_components WHERE batch_id = 3")
    sql(reg, "DELETE FROM prints WHERE batch_id = 3")
    sql(reg, "DELETE FROM batches WHERE id = 3")
    report = reg.verify_audit()
    assert not report.ok and "batch L2026-000003 of event" in report.problem and "was deleted" in report.problem


def test_a_batch_added_behind_the_back_is_found(reg):
    busy(reg)
    sql(
        reg,
        "INSERT INTO batches (lot_number, status, formula_id, formula_version, compounding_date, registered_at,"
        " fingerprint, quantity, document) SELECT 'FAKE-1', status, formula_id, formula_version,"
        " compounding_date, registered_at, fingerprint, quantity, document FROM batches WHERE id = 1",
    )
    report = reg.verify_audit()
    assert not report.ok and report.problem.startswith("batch FAKE-1 is not in the audit trail")


def test_events_are_only_appended(reg):
    lots = busy(reg)
    before = reg.audit_log()
    act(reg, lots[2], "reject", "paul", "dropped")
    after = reg.audit_log()
    assert after[: len(before)] == before
    assert after[-1].kind == "reject" and after[-1].data["reason"] == "dropped"
    engine = sa.create_engine(reg._engine.url)
    with engine.connect() as conn:
        prev = [r.prev_hash for r in conn.execute(sa.text("SELECT prev_hash FROM events ORDER BY seq"))]
    engine.dispose()
    assert prev == ["0" * 64] + [e.hash for e in after[:-1]]


def test_five_wrong_pins_in_a_row_lock_the_pin_for_a_while_even_the_right_one(reg, monkeypatch):
    from ldn_compound.register import PinLockedError, store

    for count in range(1, 6):
        with pytest.raises(WrongPinError, match=f"{count} wrong in a row"):
            reg.authenticate("tina", "9999")
    with pytest.raises(PinLockedError) as caught:  # the right PIN too: a guess that is right tells nothing
        reg.authenticate("tina", PINS["tina"])
    assert caught.value.code == "pin-locked"
    assert "5 wrong PINs in a row lock the PIN for 300 s after the last" in caught.value.rule
    assert reg.user("tina").failures == 5  # a refused attempt is not a guess: not counted
    assert reg.authenticate("tom", PINS["tom"]).name == "tom"  # only tina's PIN is locked
    later = store._now() + dt.timedelta(seconds=301)
    monkeypatch.setattr(store, "_now", lambda: later)
    assert reg.authenticate("tina", PINS["tina"]).name == "tina"
    assert reg.user("tina").failures == 0
    assert reg.verify_audit().ok

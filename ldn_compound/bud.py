"""Beyond-use dates: USP <795> (2023) by preparation class, the legacy rules, site evidence.

The date is counted from the compounding date (see
``Settings.compounding_day_is_day_zero``) and is never later than the
earliest expiry of any component lot given.  A batch whose beyond-use date
would fall on its compounding day (0 days) is refused, and a batch for which
no component expiry was given carries a warning: its date was checked against
no lot.  An expiry given as month and year (``2027-06``) means the last day of
that month (USP General Notices, "Expiration Date and Beyond-Use Date").

>>> read_expiry("2027-06")
datetime.date(2027, 6, 30)

>>> import datetime as dt
>>> from ldn_compound.model import PreparationClass
>>> maximum_days(PreparationClass.AQUEOUS_PRESERVED)
(35, 'room temperature or refrigerator')
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable

from ldn_compound.exceptions import InputError
from ldn_compound.model import BatchWarning, BeyondUse, Lot, MasterFormula, PreparationClass, StabilityEvidence, Step
from ldn_compound.settings import BudSystem, Settings

__all__ = ["USP_795_2023", "beyond_use", "expiry_warnings", "maximum_days", "read_expiry"]

#: USP <795> (official 1 November 2023): maximum BUD without a monograph or stability data.
USP_795_2023: dict[PreparationClass, tuple[int, str]] = {
    PreparationClass.AQUEOUS_UNPRESERVED: (14, "refrigerator"),
    PreparationClass.AQUEOUS_PRESERVED: (35, "room temperature or refrigerator"),
    PreparationClass.NONAQUEOUS_ORAL_LIQUID: (90, "room temperature or refrigerator"),
    PreparationClass.NONAQUEOUS_OTHER: (180, "room temperature or refrigerator"),
}


def maximum_days(preparation_class: PreparationClass) -> tuple[int, str]:
    """The USP <795> (2023) maximum BUD in days and the storage it assumes."""
    return USP_795_2023[preparation_class]


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def read_expiry(value: object, field: str = "expiry") -> dt.date:
    """An expiry date: ``YYYY-MM-DD``, or ``YYYY-MM`` meaning the last day of that month.

    USP General Notices ("Expiration Date and Beyond-Use Date"): an expiry given
    as month and year is the last day of that month.

    >>> read_expiry("2028-02"), read_expiry("2027-06-15")
    (datetime.date(2028, 2, 29), datetime.date(2027, 6, 15))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        month = _MONTH_RE.match(text)
        if month and 1 <= int(month[2]) <= 12:
            year, number = int(month[1]), int(month[2])
            return dt.date(year, number, calendar.monthrange(year, number)[1])
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(
        field, value, "be a date written YYYY-MM-DD, or YYYY-MM for the last day of that month, e.g. 2027-06"
    )


def expiry_warnings(lots: Iterable[Lot]) -> list[BatchWarning]:
    """A warning when no component lot with an expiry date was given: the BUD was checked against no lot."""
    if any(lot.expiry is not None for lot in lots):
        return []
    return [
        BatchWarning(
            "no-expiry-dates",
            "no component expiry date was given: the beyond-use date was not checked against any lot",
        )
    ]


def _add_months(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 + months
    year = date.year + month // 12
    month = month % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def _legacy(formula: MasterFormula, date: dt.date) -> tuple[dt.date, str]:
    cls = formula.preparation_class
    if not cls.aqueous:
        return _add_months(date, 6), "legacy USP <795>: nonaqueous preparation, at most 6 months"
    if formula.dosage_form.route == "topical":
        return date + dt.timedelta(days=30), "legacy USP <795>: water-containing topical, at most 30 days"
    return date + dt.timedelta(days=14), "legacy USP <795>: water-containing oral, at most 14 days refrigerated"


def beyond_use(
    formula: MasterFormula,
    date: dt.date,
    lots: Iterable[Lot],
    settings: Settings,
    evidence: StabilityEvidence | None = None,
) -> tuple[BeyondUse, list[Step]]:
    """The beyond-use date of a batch compounded on ``date``, and the steps that set it."""
    steps: list[Step] = []
    shift = dt.timedelta(days=0 if settings.compounding_day_is_day_zero else -1)
    counting = "compounding day is day 0" if settings.compounding_day_is_day_zero else "compounding day is day 1"
    storage = formula.storage
    if evidence is not None:
        bud = date + dt.timedelta(days=evidence.days) + shift
        rule = (
            f"site stability evidence '{evidence.id}': {evidence.days} days, {evidence.storage} ({evidence.citation})"
        )
        storage = evidence.storage
    elif settings.bud_system is BudSystem.LEGACY:
        raw, rule = _legacy(formula, date)
        bud = raw + shift
    else:
        days, assumed = maximum_days(formula.preparation_class)
        bud = date + dt.timedelta(days=days) + shift
        rule = f"USP <795> (2023) {formula.preparation_class.value}: at most {days} days, {assumed}"
    steps.append(Step("Beyond-use date", f"{rule}; {counting}: {date.isoformat()} → {bud.isoformat()}"))

    limited_by = ""
    capped_by: Lot | None = None
    dated = [lot for lot in lots if lot.expiry is not None]
    for lot in dated:
        assert lot.expiry is not None
        if lot.expiry < date:
            raise InputError(
                f"lot {lot.component}={lot.lot} expiry", lot.expiry.isoformat(), "not be before the compounding date"
            )
    if dated:
        earliest = min(dated, key=lambda lot: (lot.expiry, lot.component))
        assert earliest.expiry is not None
        if earliest.expiry < bud:
            limited_by = f"lot {earliest.lot} of {earliest.component} expires {earliest.expiry.isoformat()}"
            steps.append(Step("Beyond-use date", f"capped by the earliest component expiry: {limited_by}"))
            bud, capped_by = earliest.expiry, earliest
    else:
        steps.append(Step("Beyond-use date", "not checked against any component expiry: no expiry date was given"))
    if bud <= date:  # a preparation that may not be used after the day it is made cannot be dispensed
        if capped_by is not None:
            raise InputError(
                f"lot {capped_by.component}={capped_by.lot} expiry",
                bud.isoformat(),
                "be after the compounding date: it would give a beyond-use date of 0 days",
                code="bud-zero-days",
            )
        raise InputError(
            "beyond-use date",
            f"{bud.isoformat()} ({rule}; {counting})",
            "be at least 1 day after the compounding date",
            code="bud-zero-days",
        )
    return BeyondUse(date=bud, days=(bud - date).days, storage=storage, rule=rule, limited_by=limited_by), steps

"""The batch register: unique lot numbers, the lifecycle, actual amounts, e-signatures, audit trail, recall.

>>> from ldn_compound.register import open_register          # doctest: +SKIP
>>> register = open_register("register.sqlite3")             # doctest: +SKIP
>>> lot = register.record(batch, prescription)               # doctest: +SKIP

:func:`open_register` and :class:`Register` import SQLAlchemy on first use; the
lifecycle and the errors do not, so importing this package stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ldn_compound.register.errors import (
    ForbiddenTransitionError,
    LotExistsError,
    NotPermittedError,
    PinLockedError,
    RegisterError,
    RegisterUnavailableError,
    RegisterVersionError,
    UnknownLotError,
    UnknownUserError,
    UserDisabledError,
    UserExistsError,
    VerificationBlockedError,
    WrongPinError,
)
from ldn_compound.register.lifecycle import Action, Role, Status

if TYPE_CHECKING:
    from ldn_compound.register.store import (
        AuditReport,
        Event,
        LotRecord,
        LotSummary,
        RecallHit,
        Register,
        Signature,
        User,
        Weight,
        open_register,
    )

__all__ = [
    "Action",
    "AuditReport",
    "Event",
    "ForbiddenTransitionError",
    "LotExistsError",
    "LotRecord",
    "LotSummary",
    "NotPermittedError",
    "PinLockedError",
    "RecallHit",
    "Register",
    "RegisterError",
    "RegisterUnavailableError",
    "RegisterVersionError",
    "Role",
    "Signature",
    "Status",
    "UnknownLotError",
    "UnknownUserError",
    "User",
    "UserDisabledError",
    "UserExistsError",
    "VerificationBlockedError",
    "Weight",
    "WrongPinError",
    "open_register",
]

_LAZY = {
    "AuditReport",
    "Event",
    "LotRecord",
    "LotSummary",
    "RecallHit",
    "Register",
    "Signature",
    "User",
    "Weight",
    "open_register",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ldn_compound.register import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

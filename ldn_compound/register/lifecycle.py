"""The lifecycle of a registered batch: its statuses, the actions that move it, who may act.

::

    prepared ──compound──▶ compounded ──verify──▶ verified ──release──▶ released
                              ▲   │                  │                    │
                   compound   │   └──return──▶ needs-changes ◀──return───┘ (from verified)
                              └─────────────────────┘
    quarantine: from prepared, compounded, needs-changes, verified, released → quarantined
    reject:     from every status but released and rejected → rejected (final)
    from quarantined: release (if it had been verified), return, reject

>>> next_status(Status.COMPOUNDED, Action.VERIFY)
<Status.VERIFIED: 'verified'>
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["ACTIONS", "REASON_REQUIRED", "ROLES", "Action", "Role", "Status", "allowed_actions", "next_status"]


class Status(enum.StrEnum):
    """Where a registered batch is in its lifecycle."""

    PREPARED = "prepared"  # registered, record printed
    COMPOUNDED = "compounded"  # made, actual amounts entered, signed by who made it
    NEEDS_CHANGES = "needs-changes"  # sent back by a pharmacist, with a reason
    VERIFIED = "verified"  # checked and signed by a pharmacist
    RELEASED = "released"  # may be dispensed
    QUARANTINED = "quarantined"  # on hold, with a reason
    REJECTED = "rejected"  # scrapped, with a reason (final)


class Action(enum.StrEnum):
    """What a user does to a batch; each is signed with the user's PIN."""

    COMPOUND = "compound"
    VERIFY = "verify"
    RELEASE = "release"
    QUARANTINE = "quarantine"
    REJECT = "reject"
    RETURN = "return"  # send back: needs changes

    @property
    def meaning(self) -> str:
        """What the signature means, as printed in the audit trail."""
        return {
            Action.COMPOUND: "compounded",
            Action.VERIFY: "verified",
            Action.RELEASE: "released",
            Action.QUARANTINE: "quarantined",
            Action.REJECT: "rejected",
            Action.RETURN: "returned for changes",
        }[self]


class Role(enum.StrEnum):
    """A user's role."""

    TECHNICIAN = "technician"
    PHARMACIST = "pharmacist"


ROLES: Final = tuple(role.value for role in Role)

#: Each action: the statuses it may start from, the status it leads to, the roles allowed.
ACTIONS: Final[dict[Action, tuple[frozenset[Status], Status, frozenset[Role]]]] = {
    Action.COMPOUND: (
        frozenset({Status.PREPARED, Status.NEEDS_CHANGES}),
        Status.COMPOUNDED,
        frozenset({Role.TECHNICIAN, Role.PHARMACIST}),
    ),
    Action.VERIFY: (frozenset({Status.COMPOUNDED}), Status.VERIFIED, frozenset({Role.PHARMACIST})),
    Action.RELEASE: (frozenset({Status.VERIFIED, Status.QUARANTINED}), Status.RELEASED, frozenset({Role.PHARMACIST})),
    Action.QUARANTINE: (
        frozenset({Status.PREPARED, Status.COMPOUNDED, Status.NEEDS_CHANGES, Status.VERIFIED, Status.RELEASED}),
        Status.QUARANTINED,
        frozenset({Role.PHARMACIST}),
    ),
    Action.REJECT: (
        frozenset({Status.PREPARED, Status.COMPOUNDED, Status.NEEDS_CHANGES, Status.VERIFIED, Status.QUARANTINED}),
        Status.REJECTED,
        frozenset({Role.PHARMACIST}),
    ),
    Action.RETURN: (
        frozenset({Status.COMPOUNDED, Status.VERIFIED, Status.QUARANTINED}),
        Status.NEEDS_CHANGES,
        frozenset({Role.PHARMACIST}),
    ),
}

#: Actions that need a reason.
REASON_REQUIRED: Final = frozenset({Action.QUARANTINE, Action.REJECT, Action.RETURN})


def next_status(status: Status, action: Action) -> Status | None:
    """The status ``action`` leads to from ``status``, or ``None`` when the lifecycle forbids it."""
    sources, target, _roles = ACTIONS[action]
    return target if status in sources else None


def allowed_actions(status: Status) -> tuple[Action, ...]:
    """The actions the lifecycle allows from ``status``."""
    return tuple(action for action in Action if next_status(status, action) is not None)

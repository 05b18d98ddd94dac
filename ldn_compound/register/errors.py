"""The errors of the batch register (importing this module does not import SQLAlchemy)."""

from __future__ import annotations

from ldn_compound.exceptions import InputError, LDNError

__all__ = [
    "ForbiddenTransitionError",
    "LotExistsError",
    "NotPermittedError",
    "PinLockedError",
    "RegisterError",
    "RegisterUnavailableError",
    "RegisterVersionError",
    "UnknownLotError",
    "UnknownUserError",
    "UserDisabledError",
    "UserExistsError",
    "VerificationBlockedError",
    "WrongPinError",
]


class RegisterError(LDNError, RuntimeError):
    """The register cannot do what was asked (not the caller's input): e.g. a failed backup."""

    code = "register-error"


class RegisterUnavailableError(RegisterError):
    """The register's database cannot be opened or reached."""

    code = "register-unavailable"


class RegisterVersionError(RegisterError):
    """The register was made by a newer ldn_compound: its schema is not one this version knows."""

    code = "register-too-new"


class UnknownLotError(InputError, LookupError):
    """A lot number that is not in the register."""

    code = "unknown-lot"


class LotExistsError(InputError):
    """A lot number that the register already holds."""

    code = "lot-exists"


class UnknownUserError(InputError, LookupError):
    """A user name that is not in the register."""

    code = "unknown-user"


class UserExistsError(InputError):
    """A user name that the register already holds."""

    code = "user-exists"


class UserDisabledError(InputError):
    """A disabled user tried to sign."""

    code = "user-disabled"


class WrongPinError(InputError):
    """A PIN that does not match the user's (the failure is counted in the audit trail).

    ``value`` is the user's name; the PIN is never in a message.
    """

    code = "wrong-pin"


class PinLockedError(InputError):
    """A user's PIN refused for a while after too many wrong ones in a row (whatever PIN is given)."""

    code = "pin-locked"


class NotPermittedError(InputError):
    """A user whose role (or relation to the batch) does not allow the action."""

    code = "not-permitted"


class ForbiddenTransitionError(InputError):
    """A status change that the lifecycle does not allow from the batch's status."""

    code = "forbidden-transition"


class VerificationBlockedError(InputError):
    """Verification refused: amounts missing, or out of tolerance and not accepted."""

    code = "verification-blocked"

r"""Text safety: the one place that says which characters and how much text are accepted.

Every value that ends up printed (a formula's name, a lot, a patient's name, a
pharmacy's address) goes on a label, a record or a terminal, where a control
character can rewrite the screen and a bidirectional override or a zero-width
character can reorder or hide text ("Smith\u202eevil" prints as "Smithlive").
:func:`check_text` refuses them, naming the field and the code point; model
validators, the formula loader, the pharmacy config and the command line all
use it.  :func:`terminal` escapes what must still be shown (an error that
quotes bad input), and :func:`excerpt` clips a bad value before it is echoed,
so a 100,000-character value gives a one-line error.

>>> check_text("patient", "Zoë Łukasiewicz-Núñez")
'Zoë Łukasiewicz-Núñez'
>>> check_text("patient", "Smith\u202eevil")
Traceback (most recent call last):
...
ldn_compound.exceptions.InputError: patient must not contain U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control that reorders printed text) (got 'Smith\u202eevil')
>>> terminal("lot \x1b[2J")
'lot \\x1b[2J'
>>> excerpt("x" * 500, limit=8)
"'xxxxxxxx…' (500 characters)"
"""

from __future__ import annotations

import json
import unicodedata
from typing import Final

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE",
    "MAX_LIST_ITEMS",
    "MAX_NAME",
    "MAX_PARAGRAPH",
    "MAX_VALUE",
    "check_text",
    "excerpt",
    "forbidden_character",
    "terminal",
]

#: The longest one-line value: a name, a lot, a storage statement, a command-line value.
MAX_NAME: Final = 200
#: The longest line of free text: directions, a procedure step, a citation, an override reason.
MAX_LINE: Final = 1000
#: The longest paragraph: a formula's description.
MAX_PARAGRAPH: Final = 4000
#: The longest value accepted on the command line (paths included).
MAX_VALUE: Final = 4096
#: The most items in a list of a data file (procedure steps, components, address lines…).
MAX_LIST_ITEMS: Final = 200
#: The largest data file read (formula, pharmacy config, label stocks): 1 MiB.
MAX_FILE_BYTES: Final = 1 << 20

#: How much of a bad value an error message quotes.
_EXCERPT: Final = 80
#: How much of a value the command line and the web quote in an error (they say which field it was).
_QUOTED: Final = 120

#: Characters that reorder text: the bidirectional embeddings, overrides and isolates, and the marks.
_BIDI: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
#: Characters that print as nothing: zero-width space, joiners, word joiner, byte-order mark…
_INVISIBLE: Final = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")


def _name(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    return f"{code} {name}" if name else code


def forbidden_character(text: str, *, newlines: bool = False) -> tuple[str, str] | None:
    """The first character ``text`` must not contain and why, or ``None``.

    Refused: control characters (C0, DEL, C1; line breaks unless ``newlines``),
    bidirectional controls, zero-width and other invisible format characters,
    line and paragraph separators, lone surrogates (bytes that were not UTF-8)
    and unassigned or private-use code points.
    """
    if text.isprintable() and _BIDI.isdisjoint(text) and _INVISIBLE.isdisjoint(text):
        return None  # every character passes the loop's first test
    for char in text:
        if char.isprintable() and char not in _BIDI and char not in _INVISIBLE:
            continue
        if char == " " or (newlines and char == "\n"):
            continue
        category = unicodedata.category(char)
        if char in _BIDI:
            why = "a bidirectional control that reorders printed text"
        elif char in _INVISIBLE or category == "Cf":
            why = "an invisible character that hides text"
        elif category == "Cs":
            why = "a byte that is not UTF-8"
        elif category == "Cc":
            why = "a control character"
        elif category in {"Zl", "Zp"}:
            why = "a line break"
        elif category == "Zs":
            continue  # other spaces (no-break, thin) print as spaces
        else:
            why = "a character that cannot be printed"
        return _name(char), why
    return None


def check_text(field: str, value: str, *, limit: int = MAX_NAME, newlines: bool = False) -> str:
    """``value`` if it is safe to print and at most ``limit`` characters, else an :class:`InputError`.

    The error names ``field`` and the offending code point, and quotes a clipped excerpt.
    """
    from ldn_compound.exceptions import InputError

    if len(value) > limit:
        raise InputError(field, value, f"be at most {limit} characters (got {len(value)})", code="text-too-long")
    bad = forbidden_character(value, newlines=newlines)
    if bad is not None:
        raise InputError(field, value, f"not contain {bad[0]} ({bad[1]})", code="unsafe-character")
    return value


def excerpt(value: object, limit: int = _EXCERPT) -> str:
    """``repr(value)``, clipped to about ``limit`` characters with its full length, for an error message.

    >>> excerpt("4.5 mg")
    "'4.5 mg'"
    """
    if isinstance(value, str | bytes) and len(value) > limit:
        clipped = repr(value[:limit])
        return f"{clipped[:-1]}…{clipped[-1]} ({len(value)} characters)"
    text = repr(value)
    if len(text) > limit + 20:
        return text[:limit] + "…"
    return text


def quote(value: object, limit: int = _QUOTED) -> str:
    r"""A value as the user typed it, in double quotes, on one line: ``"4.5 mL"``.

    A long value is clipped to ``limit`` characters with its full length; anything that is
    not printable (a line or paragraph separator, a control character) is written as its
    escape, so a message quoting it stays one line.

    >>> print(quote("4.5 mL"), quote("a\u2028b"), quote("x" * 200, limit=3))
    "4.5 mL" "a\u2028b" "xxx…" (200 characters)
    """
    text = str(value)
    shown = json.dumps(text[:limit], ensure_ascii=False)  # quotes, backslashes and C0 controls escaped
    shown = "".join(char if char.isprintable() else char.encode("unicode_escape").decode() for char in shown)
    return shown[:-1] + f'…" ({len(text)} characters)' if len(text) > limit else shown


def terminal(text: str) -> str:
    r"""``text`` safe for a terminal: control, bidirectional and invisible characters escaped (``\x1b``, ``\u202e``).

    Line breaks and tabs are kept.
    """
    if all(char.isprintable() or char in "\n\t" for char in text) and not any(
        char in _BIDI or char in _INVISIBLE for char in text
    ):
        return text
    out = []
    for char in text:
        if char in "\n\t" or (char.isprintable() and char not in _BIDI and char not in _INVISIBLE):
            out.append(char)
        elif unicodedata.category(char) == "Zs":
            out.append(" ")
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)

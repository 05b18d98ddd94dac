"""ldn_compound.text: which characters a printed field may hold, and how bad values are quoted."""

from __future__ import annotations

import pytest

from ldn_compound.exceptions import InputError
from ldn_compound.text import MAX_NAME, check_text, excerpt, forbidden_character, terminal


@pytest.mark.parametrize(
    ("char", "code", "why"),
    [
        ("\x1b", "U+001B", "a control character"),
        ("\x07", "U+0007", "a control character"),
        ("\t", "U+0009", "a control character"),
        ("\n", "U+000A", "a control character"),
        ("\x7f", "U+007F", "a control character"),
        ("\x9b", "U+009B", "a control character"),
        ("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING", "a bidirectional control"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", "a bidirectional control"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE", "a bidirectional control"),
        ("\u2069", "U+2069 POP DIRECTIONAL ISOLATE", "a bidirectional control"),
        ("\u200f", "U+200F RIGHT-TO-LEFT MARK", "a bidirectional control"),
        ("\u200b", "U+200B ZERO WIDTH SPACE", "an invisible character"),
        ("\u200d", "U+200D ZERO WIDTH JOINER", "an invisible character"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "an invisible character"),
        ("\u2028", "U+2028 LINE SEPARATOR", "a line break"),
        ("\udcff", "U+DCFF", "a byte that is not UTF-8"),
        ("\ue000", "U+E000", "a character that cannot be printed"),
    ],
)
def test_every_unsafe_character_is_refused_with_its_code_point(char: str, code: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        check_text("patient", f"Smith{char}evil")
    assert caught.value.field == "patient"
    assert caught.value.code == "unsafe-character"
    assert caught.value.rule.startswith(f"not contain {code} ({why}")


@pytest.mark.parametrize("text", ["Zoë Łukasiewicz-Núñez", "Dr. A. Reyes", "Šťastná Lékárna", "1\u00a0000 mg", "患者"])
def test_printable_text_in_any_script_passes(text: str) -> None:
    assert check_text("name", text) == text
    assert forbidden_character(text) is None


def test_newlines_pass_only_where_asked() -> None:
    assert check_text("description", "one\ntwo", newlines=True) == "one\ntwo"


def test_text_longer_than_the_limit_is_refused_with_the_limit() -> None:
    with pytest.raises(InputError, match=rf"must be at most {MAX_NAME} characters \(got 50000\)") as caught:
        check_text("formula name", "x" * 50_000)
    assert caught.value.code == "text-too-long"
    assert len(str(caught.value)) < 200  # the value is quoted as a short excerpt


def test_excerpts_are_short_and_say_how_long_the_value_was() -> None:
    assert excerpt(" " * 100_000) == repr(" " * 80)[:-1] + "…' (100000 characters)"
    assert excerpt([1] * 1000).endswith("…")
    assert excerpt("4.5 mg") == "'4.5 mg'"


def test_terminal_text_escapes_what_would_move_the_cursor_or_reorder_text() -> None:
    assert terminal("lot \x1b[2J\x07") == "lot \\x1b[2J\\x07"
    assert terminal("Smith\u202eevil") == "Smith\\u202eevil"
    assert terminal("a\u00a0b") == "a b"
    assert terminal("line one\n\tline two") == "line one\n\tline two"
    assert terminal("\U000e0001") == "\\U000e0001"

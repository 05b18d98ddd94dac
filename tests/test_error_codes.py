"""Every error and warning code the library can give is listed, once, in docs/errors.md."""

from __future__ import annotations

import re
from pathlib import Path

import ldn_compound
from ldn_compound import exceptions

ROOT = Path(__file__).parents[1]
#: How code is given in the source: a class's ``code = "…"``, a raise's ``code="…"``, a warning's first argument.
_IN_SOURCE = (
    re.compile(r'\bcode\s*=\s*"([a-z0-9]+(?:-[a-z0-9]+)*)"'),
    re.compile(r'\.warn\(\s*"([a-z0-9]+(?:-[a-z0-9]+)*)"'),
    re.compile(r'BatchWarning\(\s*"([a-z0-9]+(?:-[a-z0-9]+)*)"'),
)
_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| (error|warning) \| ([^|]*\S[^|]*) \|$", re.MULTILINE)


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "ldn_compound").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _IN_SOURCE:
            found.update(pattern.findall(text))
    return found


def codes_in_docs() -> dict[str, str]:
    rows = _ROW.findall((ROOT / "docs" / "errors.md").read_text(encoding="utf-8"))
    listed = [code for code, _, _ in rows]
    assert len(listed) == len(set(listed)), "a code is listed twice"
    return {code: kind for code, kind, _ in rows}


def test_every_code_in_the_source_is_documented_with_a_meaning() -> None:
    missing = sorted(codes_in_source() - set(codes_in_docs()))
    assert missing == [], f"add these to docs/errors.md: {missing}"


def test_every_documented_code_exists() -> None:
    assert sorted(set(codes_in_docs()) - codes_in_source()) == []


def test_every_error_class_has_its_own_code() -> None:
    classes = [getattr(exceptions, name) for name in exceptions.__all__ if isinstance(getattr(exceptions, name), type)]
    errors = [cls for cls in classes if issubclass(cls, ldn_compound.LDNError)]
    codes = [cls.code for cls in errors]
    assert len(codes) == len(set(codes)), codes
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code) for code in codes)


def test_an_input_error_may_carry_a_more_specific_code() -> None:
    error = ldn_compound.InputError("strength", "99 mg", "be within the formula's range", code="strength-out-of-range")
    assert (error.code, type(error).code) == ("strength-out-of-range", "invalid-input")

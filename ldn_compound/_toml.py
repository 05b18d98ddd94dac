"""Reading the package's TOML data files, with every failure as the file kind's own error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ldn_compound.exceptions import DataFileError, Problem

__all__ = ["parse_toml", "read_text"]


def read_text(path: str | Path, error: type[DataFileError]) -> str:
    """The UTF-8 text of ``path``; an unreadable or non-UTF-8 file raises ``error`` naming it."""
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(str(file), [Problem("$", f"cannot be read: {problem.strerror or problem}")]) from None
    except UnicodeDecodeError:
        raise error(str(file), [Problem("$", "must be UTF-8 text")]) from None


def parse_toml(text: str, source: str, error: type[DataFileError]) -> dict[str, Any]:
    """Parse TOML ``text``; a syntax error raises ``error`` with the parser's line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(source, [Problem("$", f"is not valid TOML: {problem}")]) from None

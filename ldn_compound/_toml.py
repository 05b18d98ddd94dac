"""Reading the package's TOML data files, with every failure as the file kind's own error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ldn_compound.exceptions import DataFileError, Problem
from ldn_compound.inputs import InputFileError, read_file

__all__ = ["parse_toml", "read_text"]


def read_text(path: str | Path, error: type[DataFileError]) -> str:
    """The UTF-8 text of ``path`` (at most 1 MiB, noted as read); a failure raises ``error`` naming it."""
    file = Path(path)
    try:
        return read_file(file).decode("utf-8")
    except InputFileError as problem:
        raise error(str(file), [Problem("$", problem.reason)]) from None
    except UnicodeDecodeError:
        raise error(str(file), [Problem("$", "must be UTF-8 text")]) from None


def parse_toml(text: str, source: str, error: type[DataFileError]) -> dict[str, Any]:
    """Parse TOML ``text``; a syntax error raises ``error`` with the parser's line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(source, [Problem("$", f"is not valid TOML: {problem}")]) from None
    except RecursionError:  # hundreds of nested brackets
        raise error(source, [Problem("$", "must not nest arrays or tables hundreds deep")]) from None

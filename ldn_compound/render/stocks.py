"""Label stocks: the size and arrangement of the labels a pharmacy prints on.

The built-in stocks live in ``stocks.toml`` next to this module; the file's
header explains the grammar.  A pharmacy adds its own stocks with a file of the
same grammar:

>>> sorted(load_stocks())
['a4-2x4', 'a4-2x7', 'letter-2x5', 'roll-3x2in', 'roll-4x2.5in', 'roll-4x2in', 'roll-4x6in']
>>> stock = get_stock("roll-3x2in")
>>> stock.label_width, stock.label_height
(76.2, 50.8)

All lengths are millimetres; points are computed only where drawing happens.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import attrs

from ldn_compound.exceptions import InputError, LabelStockFileError, Problem
from ldn_compound.inputs import InputFileError, read_file

__all__ = ["LabelStock", "get_stock", "load_stocks", "read_stocks"]

_NAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
_SLACK_MM: Final = 0.05  # rounding in published templates


@attrs.frozen
class LabelStock:
    """One label stock; lengths in millimetres, measured from the page's top-left corner.

    ``columns`` × ``rows`` labels of ``label_width`` × ``label_height`` sit on a
    page of ``page_width`` × ``page_height``; the first label's edges are
    ``left_margin`` and ``top_margin`` from the page's edges and the next
    label's are ``column_pitch`` and ``row_pitch`` further on.  Nothing is
    printed within ``padding`` of a label's edge.
    """

    name: str
    description: str
    kind: Literal["roll", "sheet"]
    label_width: float
    label_height: float
    page_width: float
    page_height: float
    padding: float
    columns: int = 1
    rows: int = 1
    left_margin: float = 0.0
    top_margin: float = 0.0
    column_pitch: float = attrs.field(default=attrs.Factory(lambda self: self.label_width, takes_self=True))
    row_pitch: float = attrs.field(default=attrs.Factory(lambda self: self.label_height, takes_self=True))

    def __attrs_post_init__(self) -> None:
        """Refuse a stock whose labels overlap, leave the page or have no room inside the padding."""
        if not _NAME.match(self.name):
            raise InputError("name", self.name, "be lower-case letters, digits, '.', '-' or '_'")
        if self.kind not in ("roll", "sheet"):
            raise InputError("kind", self.kind, "be 'roll' or 'sheet'")
        if self.label_width <= 0 or self.label_height <= 0:
            raise InputError("label", [self.label_width, self.label_height], "be two lengths above 0 mm")
        if self.page_width <= 0 or self.page_height <= 0:
            raise InputError("page", [self.page_width, self.page_height], "be two lengths above 0 mm")
        if self.columns < 1 or self.rows < 1:
            raise InputError("grid", [self.columns, self.rows], "be two whole numbers of at least 1")
        if self.left_margin < 0 or self.top_margin < 0:
            raise InputError("margin", [self.left_margin, self.top_margin], "be two lengths of at least 0 mm")
        if self.column_pitch < self.label_width or self.row_pitch < self.label_height:
            raise InputError(
                "pitch", [self.column_pitch, self.row_pitch], "be at least the label size, so labels do not overlap"
            )
        if not 0 <= 2 * self.padding < min(self.label_width, self.label_height):
            raise InputError("padding", self.padding, "be at least 0 mm and leave room inside the label")
        right = self.left_margin + (self.columns - 1) * self.column_pitch + self.label_width
        bottom = self.top_margin + (self.rows - 1) * self.row_pitch + self.label_height
        if right > self.page_width + _SLACK_MM or bottom > self.page_height + _SLACK_MM:
            raise InputError(
                "grid",
                [self.columns, self.rows],
                f"fit on the {self.page_width:g} x {self.page_height:g} mm page "
                f"(the labels reach {right:g} mm across and {bottom:g} mm down)",
            )

    @property
    def per_page(self) -> int:
        """How many labels a page holds."""
        return self.columns * self.rows

    @property
    def content_width(self) -> float:
        """Width in mm that text may use on one label."""
        return self.label_width - 2 * self.padding

    @property
    def content_height(self) -> float:
        """Height in mm that text may use on one label."""
        return self.label_height - 2 * self.padding

    def label_origin(self, position: int) -> tuple[float, float]:
        """Lower-left corner, in mm from the page's lower-left corner, of the label at ``position``.

        Positions count from 0 along the top row, left to right, then row by row.

        >>> get_stock("a4-2x7").label_origin(1)
        (106.25, 243.75)
        """
        if not 0 <= position < self.per_page:
            raise InputError("position", position, f"be from 0 to {self.per_page - 1}")
        row, column = divmod(position, self.columns)
        x = self.left_margin + column * self.column_pitch
        y = self.page_height - self.top_margin - row * self.row_pitch - self.label_height
        return round(x, 6), round(y, 6)

    def content_origin(self, position: int) -> tuple[float, float]:
        """Lower-left corner in mm of the printable area (inside the padding) of a label."""
        x, y = self.label_origin(position)
        return round(x + self.padding, 6), round(y + self.padding, 6)


# --------------------------------------------------------------------------- reading

_KEYS: Final = frozenset({"description", "kind", "label", "page", "grid", "margin", "pitch", "padding"})


def _pair(table: Mapping[str, Any], key: str, default: tuple[float, float] | None, *, whole: bool = False) -> Any:
    """Read a two-number key; raise InputError naming the key if it is not one."""
    if key not in table:
        if default is None:
            raise InputError(key, None, "be given")
        return default
    value = table[key]
    kinds: tuple[type, ...] = (int,) if whole else (int, float)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, kinds) and not isinstance(v, bool) for v in value)
    ):
        rule = "be two whole numbers, [columns, rows]" if whole else "be two numbers in mm, e.g. [101.6, 50.8]"
        raise InputError(key, value, rule)
    return (value[0], value[1]) if whole else (float(value[0]), float(value[1]))


def _stock(name: str, table: Any) -> LabelStock:
    """Build one stock from its TOML table; InputError names the offending key."""
    if not isinstance(table, dict):
        raise InputError("", table, "be a table of keys")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise InputError(unknown[0], table[unknown[0]], f"be one of the known keys: {', '.join(sorted(_KEYS))}")
    for key in ("description", "kind"):
        if not isinstance(table.get(key), str):
            raise InputError(key, table.get(key), "be given as text")
    padding = table.get("padding")
    if not isinstance(padding, (int, float)) or isinstance(padding, bool):
        raise InputError("padding", padding, "be given as a number in mm")
    label = _pair(table, "label", None)
    page = _pair(table, "page", label if table["kind"] == "roll" else None)
    columns, rows = _pair(table, "grid", (1, 1), whole=True)
    left, top = _pair(table, "margin", (0.0, 0.0))
    across, down = _pair(table, "pitch", label)
    return LabelStock(
        name=name,
        description=table["description"],
        kind=table["kind"],
        label_width=label[0],
        label_height=label[1],
        page_width=page[0],
        page_height=page[1],
        padding=float(padding),
        columns=columns,
        rows=rows,
        left_margin=left,
        top_margin=top,
        column_pitch=across,
        row_pitch=down,
    )


def read_stocks(text: str, source: str = "<text>") -> dict[str, LabelStock]:
    """Read label stocks from TOML text of the ``stocks.toml`` grammar.

    Every problem in the text is reported at once, each with its path
    (``$.stock.roll-3x2in.padding``), in one InputError.
    """
    problems: list[Problem] = []
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems.append(Problem("$", f"is not valid TOML: {error}"))
        document = {}
    except RecursionError:  # hundreds of nested brackets
        problems.append(Problem("$", "must not nest arrays or tables hundreds deep"))
        document = {}
    stocks: dict[str, LabelStock] = {}
    extra = sorted(set(document) - {"stock"})
    problems.extend(Problem(f"$.{key}", 'is not a known key; stocks go in [stock."<name>"] tables') for key in extra)
    tables = document.get("stock", {})
    if not isinstance(tables, dict):
        problems.append(Problem("$.stock", "must be tables of stocks"))
        tables = {}
    for name, table in tables.items():
        try:
            stocks[name] = _stock(name, table)
        except InputError as error:
            path = f"$.stock.{name}" + (f".{error.field}" if error.field and error.field != "name" else "")
            problems.append(Problem(path, str(error).removeprefix(f"{error.field} ").strip()))
    if problems:
        raise LabelStockFileError(source, problems)
    return stocks


@functools.cache
def _builtin() -> dict[str, LabelStock]:
    """The stocks shipped with ldn_compound."""
    text = resources.files("ldn_compound.render").joinpath("stocks.toml").read_text(encoding="utf-8")
    return read_stocks(text, "stocks.toml")


def load_stocks(extra_path: str | os.PathLike[str] | None = None) -> dict[str, LabelStock]:
    """The built-in stocks, plus those in ``extra_path`` (a TOML file of the same grammar).

    A stock name may be defined only once: a file that redefines a built-in
    stock is refused, so a label never silently changes size.
    """
    stocks = dict(_builtin())
    if extra_path is None:
        return stocks
    path = Path(extra_path)
    try:
        text = read_file(path).decode("utf-8")
    except (InputFileError, UnicodeDecodeError) as error:
        raise InputError("label stock file", str(path), f"be a readable UTF-8 TOML file ({error})") from None
    extra = read_stocks(text, str(path))
    clashes = sorted(set(extra) & set(stocks))
    if clashes:
        raise InputError(
            f"label stock file {path}",
            clashes,
            "use names that are not built in (rename the stock, e.g. 'my-roll-4x2in')",
        )
    stocks.update(extra)
    return stocks


def get_stock(name: str, *, extra_path: str | os.PathLike[str] | None = None) -> LabelStock:
    """The stock called ``name``; an unknown name raises InputError listing the known ones.

    >>> get_stock("roll-5x3in")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ldn_compound.exceptions.InputError: stock must be one of a4-2x4, a4-2x7, letter-2x5, ... (got 'roll-5x3in')
    """
    stocks = load_stocks(extra_path)
    try:
        return stocks[name]
    except KeyError:
        raise InputError("stock", name, f"be one of {', '.join(sorted(stocks))}") from None

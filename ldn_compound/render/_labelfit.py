"""Fitting label text into a label: wrap, shrink towards the minimum sizes, or refuse.

A label is an ordered list of :class:`TextBlock` (directions first and largest,
per USP <17>).  :func:`fit_box` lays them out top-down with word wrapping at
their preferred sizes; when they do not fit it shrinks every block by the same
fraction of the way from its preferred size to its minimum size, in small
steps, and takes the largest sizes that fit.  If even the minimum sizes do not
fit it raises :class:`~ldn_compound.exceptions.LabelFitError` naming the first
block that falls off the label.  Text is never shrunk below a minimum and never
cut: every character of every block is placed.

Measuring uses the embedded fonts' advance widths (cached per font and word),
so fitting a thousand labels takes a fraction of a second.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal

import attrs
from reportlab.pdfbase import pdfmetrics

from ldn_compound.exceptions import LabelFitError, RenderError
from ldn_compound.render._pdf import FONT, FONT_BOLD, _normalize, check_glyphs, pt, register_fonts

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from ldn_compound.render.stocks import LabelStock

__all__ = ["FittedBlock", "LabelLayout", "TextBlock", "draw_layout", "fit_box", "fit_stock"]

_LEADING: Final = 1.2  # line height as a multiple of the type size
_STEP_PT: Final = 0.25  # the finest change in type size tried while shrinking
_MM_PER_PT: Final = 25.4 / 72.0


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise RenderError(f"{attribute.name} must be above 0 pt (got {value!r})")


@attrs.frozen
class TextBlock:
    r"""One piece of label text: what it says and how large it may print.

    ``name`` identifies the block in errors (``"directions"``).  Sizes are in
    points: the block prints at ``preferred_size`` when there is room and is
    never printed smaller than ``min_size``.  A ``\n`` in the text starts a new line.
    """

    name: str
    text: str
    preferred_size: float = attrs.field(validator=_positive)
    min_size: float = attrs.field(validator=_positive)
    bold: bool = False
    align: Literal["left", "center"] = "left"

    def __attrs_post_init__(self) -> None:
        if self.min_size > self.preferred_size:
            raise RenderError(
                f"{self.name} min_size must be at most preferred_size {self.preferred_size} pt (got {self.min_size})"
            )
        if self.align not in ("left", "center"):
            raise RenderError(f"{self.name} align must be 'left' or 'center' (got {self.align!r})")

    @property
    def font(self) -> str:
        """The registered font the block prints in."""
        return FONT_BOLD if self.bold else FONT


@attrs.frozen
class FittedBlock:
    """A block placed on the label: its size and its lines after wrapping."""

    block: TextBlock
    size: float
    lines: tuple[str, ...]

    @property
    def leading(self) -> float:
        """Distance between baselines, in points."""
        return self.size * _LEADING

    @property
    def height(self) -> float:
        """Height of the block, in mm."""
        return len(self.lines) * self.leading * _MM_PER_PT


@attrs.frozen
class LabelLayout:
    """The fitted text of one label: the box it fills (mm) and its blocks, top to bottom."""

    width: float
    height: float
    gap: float
    blocks: tuple[FittedBlock, ...]

    @property
    def used_height(self) -> float:
        """Height in mm the blocks take, gaps included."""
        return _stack_height([b.height for b in self.blocks], self.gap)


# --------------------------------------------------------------------------- measuring


@functools.cache
def _widths(font: str) -> tuple[dict[int, float], float]:
    """Advance widths (per 1 pt of type size) of every character of a font, and the default."""
    register_fonts()
    face = pdfmetrics.getFont(font).face
    return {code: width / 1000.0 for code, width in face.charWidths.items()}, face.defaultWidth / 1000.0


@functools.lru_cache(maxsize=65536)
def _word_width(word: str, font: str) -> float:
    """Width of ``word`` at 1 pt."""
    widths, default = _widths(font)
    return sum(widths.get(ord(c), default) for c in word)


def _break_word(word: str, font: str, room: float) -> list[str]:
    """Split a word wider than ``room`` (at 1 pt) into pieces that fit, without losing a character."""
    widths, default = _widths(font)
    pieces: list[str] = []
    current, used = "", 0.0
    for char in word:
        width = widths.get(ord(char), default)
        if current and used + width > room:
            pieces.append(current)
            current, used = "", 0.0
        current += char
        used += width
    pieces.append(current)
    return pieces


#: What separates a label line's fields ("Qty: 30 capsules · Refills: 2 · Lot: L2026-000001").
FIELD_SEPARATOR: Final = " · "


@functools.lru_cache(maxsize=16384)
def _wrap(text: str, font: str, room: float) -> tuple[str, ...] | None:
    """Wrap ``text`` into lines no wider than ``room`` (measured at 1 pt), keeping fields whole where it costs no line.

    A line of fields joined by :data:`FIELD_SEPARATOR` breaks between fields, each
    separator ending a line, so no line starts with "·" and "Prescriber: Dr Amira
    Haddad" or "Lot: L2026-000001" is not split, as long as that takes no more lines
    than a plain word wrap (the label's type size never shrinks for it; else the word
    wrap stands, which puts a "·" first on a line only when the line before is full); a
    field longer than a line is wrapped by words.  Returns None when a single character is wider
    than the room.
    """
    plain = _wrap_words(text, font, room)
    if plain is None or FIELD_SEPARATOR not in text:
        return plain
    fields = _wrap_fields(text, font, room)
    return fields if fields is not None and len(fields) <= len(plain) else plain


def _wrap_fields(text: str, font: str, room: float) -> tuple[str, ...] | None:
    """Wrap each paragraph field by field: a field moves whole to the next line when it does not fit."""
    lines: list[str] = []
    separator = FIELD_SEPARATOR.rstrip()
    for paragraph in text.split("\n"):
        fields = paragraph.split(FIELD_SEPARATOR)
        line = ""
        for index, field in enumerate(fields):
            piece = field + (separator if index < len(fields) - 1 else "")
            joined = f"{line} {piece}" if line else piece
            if _word_width(joined, font) <= room:
                line = joined
                continue
            if line:
                lines.append(line)
            wrapped = _wrap_words(piece, font, room)
            if wrapped is None:
                return None
            lines.extend(wrapped[:-1])
            line = wrapped[-1]
        lines.append(line)
    return tuple(lines)


def _wrap_words(text: str, font: str, room: float) -> tuple[str, ...] | None:
    """Greedy word wrap of ``text`` into lines no wider than ``room`` (measured at 1 pt)."""
    space = _word_width(" ", font)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in filter(None, paragraph.split(" ")):
            width = _word_width(word, font)
            if line and used + space + width <= room:
                line, used = f"{line} {word}", used + space + width
                continue
            if line:
                lines.append(line)
            if width <= room:
                line, used = word, width
                continue
            pieces = _break_word(word, font, room)
            if any(_word_width(p, font) > room for p in pieces):
                return None
            lines.extend(pieces[:-1])
            line, used = pieces[-1], _word_width(pieces[-1], font)
        lines.append(line)
    return tuple(lines)


def _stack_height(heights: Sequence[float], gap: float) -> float:
    """Total height of blocks stacked with ``gap`` between neighbours."""
    return sum(heights) + gap * max(len(heights) - 1, 0)


def _layout(blocks: Sequence[TextBlock], step: int, steps: int, width_pt: float) -> tuple[FittedBlock, ...] | None:
    """The blocks wrapped at shrink step ``step`` of ``steps`` (0 = preferred sizes, ``steps`` = minimum)."""
    fitted: list[FittedBlock] = []
    for block in blocks:
        shrink = (block.preferred_size - block.min_size) * step / steps if steps else 0.0
        # whole tenths of a point, never below the minimum
        size = max(block.min_size, math.floor((block.preferred_size - shrink) * 10 + 1e-9) / 10)
        lines = _wrap(block.text, block.font, width_pt / size)
        if lines is None:
            return None
        fitted.append(FittedBlock(block, size, lines))
    return tuple(fitted)


def _height(fitted: tuple[FittedBlock, ...] | None, gap: float) -> float:
    return math.inf if fitted is None else _stack_height([b.height for b in fitted], gap)


# --------------------------------------------------------------------------- fitting


@functools.lru_cache(maxsize=4096)
def _fit(blocks: tuple[TextBlock, ...], width: float, height: float, gap: float, where: str) -> LabelLayout:
    if width <= 0 or height <= 0:
        raise RenderError(f"label box must be above 0 mm each way (got {width} x {height} mm)")
    blocks = tuple(attrs.evolve(b, text=_normalize(b.text)) for b in blocks)
    for block in blocks:
        check_glyphs(block.text, block.name, font=block.font)
    width_pt = pt(width)
    steps = math.ceil(max((b.preferred_size - b.min_size for b in blocks), default=0) / _STEP_PT)
    best = _layout(blocks, 0, steps, width_pt)
    if _height(best, gap) > height:
        smallest = _layout(blocks, steps, steps, width_pt)
        if _height(smallest, gap) > height:
            raise _misfit(blocks, smallest, width=width, height=height, gap=gap, where=where)
        low, high = 0, steps  # step ``low`` does not fit, step ``high`` does
        best = smallest
        while high - low > 1:
            middle = (low + high) // 2
            candidate = _layout(blocks, middle, steps, width_pt)
            if _height(candidate, gap) <= height:
                high, best = middle, candidate
            else:
                low = middle
    assert best is not None  # _height(None) is infinite, so None never fits
    return LabelLayout(width=width, height=height, gap=gap, blocks=best)


def _misfit(
    blocks: tuple[TextBlock, ...],
    fitted: tuple[FittedBlock, ...] | None,
    *,
    width: float,
    height: float,
    gap: float,
    where: str,
) -> LabelFitError:
    """The error for blocks that do not fit at their minimum sizes: names the first block that falls off."""
    if fitted is None:  # a single character wider than the label
        block = next(b for b in blocks if _wrap(b.text, b.font, pt(width) / b.min_size) is None)
        return LabelFitError(
            f"{block.name} must fit the {width:g} mm text width of {where} at {block.min_size:g} pt "
            f"(got a character wider than that)"
        )
    top = 0.0
    for index, item in enumerate(fitted):
        bottom = top + item.height
        if bottom > height + 1e-9:
            left = max(height - top, 0.0)
            return LabelFitError(
                f"{item.block.name} must fit {where} at {item.block.min_size:g} pt or larger "
                f"(got {len(item.block.text)} characters needing {item.height:.1f} mm "
                f"where {left:.1f} mm of the {height:.1f} mm text height is left"
                + (f" after {', '.join(b.block.name for b in fitted[:index])})" if index else ")")
            )
        top = bottom + gap
    raise AssertionError("unreachable: the blocks fit")  # pragma: no cover


def fit_box(
    blocks: Sequence[TextBlock],
    *,
    width: float,
    height: float,
    gap: float = 1.0,
    where: str = "the label",
) -> LabelLayout:
    """Lay ``blocks`` out top-down in a ``width`` × ``height`` mm box, ``gap`` mm apart.

    Shrinks towards the minimum sizes only as far as needed; raises
    LabelFitError naming the first block that does not fit even at the minimum
    sizes, and ``where`` (e.g. ``"label stock roll-3x2in (71.2 x 45.8 mm)"``).
    Results are cached, so a thousand identical labels are fitted once.
    """
    return _fit(tuple(blocks), float(width), float(height), float(gap), where)


def fit_stock(blocks: Sequence[TextBlock], stock: LabelStock, *, gap: float = 1.0) -> LabelLayout:
    """Lay ``blocks`` out inside the padding of one label of ``stock`` (see :func:`fit_box`)."""
    where = f"label stock {stock.name} ({stock.content_width:g} x {stock.content_height:g} mm inside the padding)"
    return fit_box(blocks, width=stock.content_width, height=stock.content_height, gap=gap, where=where)


# --------------------------------------------------------------------------- drawing


def draw_layout(canvas: Canvas, layout: LabelLayout, *, x: float, y: float) -> None:
    """Draw a fitted layout with the lower-left corner of its box at (``x``, ``y``) mm."""
    top = pt(y + layout.height)
    left, width = pt(x), pt(layout.width)
    for item in layout.blocks:
        face = pdfmetrics.getFont(item.block.font).face
        ascent, descent = face.ascent / 1000.0, -face.descent / 1000.0
        # centre the glyphs' full height (ascent + descent) in each line box
        first = (item.leading - (ascent + descent) * item.size) / 2 + ascent * item.size
        canvas.setFont(item.block.font, item.size)
        for number, line in enumerate(item.lines):
            baseline = top - first - number * item.leading
            if item.block.align == "center":
                canvas.drawCentredString(left + width / 2, baseline, line)
            else:
                canvas.drawString(left, baseline, line)
        top -= pt(item.height + layout.gap)

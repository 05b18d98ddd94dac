"""Shared PDF machinery for the renderers: fonts, escaping, styles, pages, tables, output.

Everything that reaches reportlab passes through here first:

* every piece of data that goes into Paragraph markup passes through
  :func:`markup` (which calls :func:`escape`), so text such as
  ``<img src="...">`` prints literally and never opens a file;
* every piece of data is checked against the embedded font with
  :func:`check_glyphs`, so a character the font lacks raises
  :class:`~ldn_compound.exceptions.RenderError` instead of printing a black box;
* documents are built with :func:`build_pdf` or :func:`render_canvas`, which
  give byte-identical output for the same inputs (fixed dates, fixed document
  id, no random font-subset names);
* lengths are given in millimetres and converted with :func:`pt` only where
  reportlab is called.

Files are written with :func:`write_pdf`, which never leaves a partial file.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any, Final, Literal

import attrs
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from ldn_compound.exceptions import RenderError

__all__ = [
    "FONT",
    "FONT_BOLD",
    "FONT_MONO",
    "PAGE_SIZES",
    "DocumentInfo",
    "PageDecoration",
    "PageGeometry",
    "PageInfo",
    "RunningText",
    "Styles",
    "build_pdf",
    "check_glyphs",
    "clean",
    "code128",
    "data_table",
    "draw_code128",
    "escape",
    "markup",
    "pt",
    "register_fonts",
    "render_canvas",
    "styles",
    "write_pdf",
]

_log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- units

_PT_PER_MM: Final = 72.0 / 25.4


def pt(mm: float) -> float:
    """Millimetres to PDF points (1/72 in); call it only where reportlab is called.

    >>> round(pt(25.4), 6)
    72.0
    """
    return mm * _PT_PER_MM


#: Page sizes in millimetres (width, height), portrait.
PAGE_SIZES: Final[dict[str, tuple[float, float]]] = {
    "A4": (210.0, 297.0),
    "Letter": (215.9, 279.4),
}

# --------------------------------------------------------------------------- fonts

#: Names the embedded fonts are registered under with reportlab.
FONT: Final = "LDNSans"
FONT_BOLD: Final = "LDNSans-Bold"
FONT_MONO: Final = "LDNSansMono"

_FONT_FILES: Final = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_MONO: "DejaVuSansMono.ttf",
}


_FONTS_LOCK: Final = threading.Lock()


def register_fonts() -> None:
    """Register the embedded DejaVu fonts with reportlab (once, on first use; thread-safe).

    reportlab's registry is global and ``registerFont`` resets a family's bold
    mapping, so registration runs exactly once, under a lock, and no thread
    renders until the whole family is in place.
    """
    with _FONTS_LOCK:
        _register_fonts_once()


@functools.cache
def _register_fonts_once() -> None:
    fonts = resources.files("ldn_compound.render").joinpath("fonts")
    for name, filename in _FONT_FILES.items():
        data = fonts.joinpath(filename).read_bytes()
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


@functools.cache
def _cmap(font: str) -> dict[int, int]:
    """The font's map from code point to glyph index."""
    register_fonts()
    face = pdfmetrics.getFont(font).face
    return dict(face.charToGlyph)


# --------------------------------------------------------------------------- text

_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def escape(text: str) -> str:
    """Escape text for reportlab Paragraph markup, so it prints exactly as given.

    Every piece of data passes through this function before it reaches markup;
    tags in data (``<img src=...>``, ``<font>``, ``<a href>``) print literally.

    >>> escape('<img src="/etc/passwd"> & more')
    '&lt;img src=&quot;/etc/passwd&quot;&gt; &amp; more'
    """
    return str(text).translate(_ESCAPES)


def _normalize(text: str) -> str:
    r"""NFC form with ``\n`` line ends, so ``e`` + combining diaeresis prints as one ``ë``."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def check_glyphs(text: str, field: str, *, font: str = FONT) -> None:
    r"""Raise RenderError if ``font`` cannot print a character of ``text``.

    ``field`` names the data in the message.  Line breaks (``\n``) are allowed:
    the helpers turn them into new lines.

    >>> check_glyphs("Zoë Łukasiewicz-Núñez", "patient")
    >>> check_glyphs("患者", "patient")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ldn_compound.exceptions.RenderError: patient must use characters the font can print (got U+60A3 CJK ...)
    """
    cmap = _cmap(font)
    for char in _normalize(text):
        if char != "\n" and not cmap.get(ord(char)):
            name = unicodedata.name(char, "unnamed character")
            raise RenderError(
                f"{field} must use characters the font can print (got U+{ord(char):04X} {name} in {text!r})"
            )


def clean(text: str, field: str, *, font: str = FONT) -> str:
    r"""Text ready for drawing with canvas calls: normalized and checked against ``font``.

    >>> clean("Zoe\u0308", "patient")
    'Zoë'
    """
    check_glyphs(text, field, font=font)
    return _normalize(text)


def markup(text: str, field: str, *, font: str = FONT) -> str:
    r"""Data as Paragraph markup: checked, normalized, escaped, line breaks kept.

    >>> markup("Take 1 capsule\nat bedtime <with water>", "directions")
    'Take 1 capsule<br/>at bedtime &lt;with water&gt;'
    """
    return escape(clean(text, field, font=font)).replace("\n", "<br/>")


# --------------------------------------------------------------------------- styles


@attrs.frozen
class Styles:
    """The paragraph styles of records (sizes in points; body text is never below 9 pt)."""

    body: ParagraphStyle
    small: ParagraphStyle
    heading1: ParagraphStyle
    heading2: ParagraphStyle
    heading3: ParagraphStyle
    cell: ParagraphStyle
    cell_header: ParagraphStyle
    mono: ParagraphStyle


@functools.cache
def styles() -> Styles:
    """The shared paragraph styles (built once; treat them as read-only)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13, alignment=TA_LEFT, spaceAfter=4)
    return Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=9, leading=11.5),
        heading1=ParagraphStyle(
            "heading1", parent=body, fontName=FONT_BOLD, fontSize=16, leading=20, spaceBefore=0, spaceAfter=8
        ),
        heading2=ParagraphStyle(
            "heading2", parent=body, fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=5
        ),
        heading3=ParagraphStyle(
            "heading3", parent=body, fontName=FONT_BOLD, fontSize=10.5, leading=13.5, spaceBefore=6, spaceAfter=3
        ),
        cell=ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5, spaceAfter=0, splitLongWords=1),
        cell_header=ParagraphStyle(
            "cell_header", parent=body, fontName=FONT_BOLD, fontSize=9, leading=11.5, spaceAfter=0, splitLongWords=1
        ),
        mono=ParagraphStyle("mono", parent=body, fontName=FONT_MONO, fontSize=9, leading=11.5),
    )


# --------------------------------------------------------------------------- tables

_CELL_PADDING_MM: Final = 1.2


class _Table(Table):  # type: ignore[misc]  # reportlab ships no type hints
    """A Table that splits a row across pages only when the row starts a fresh page.

    Without this, a row too tall for the space left on a page is split there,
    after a second copy of the header row; with it, the row moves to the next
    page and splits only if it is taller than a whole page.
    """

    splitInRow: int  # noqa: N815 - reportlab's name; the minimum height of a split part, 0 for no splitting within rows

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 - reportlab's names
        frame = getattr(self, "_frame", None)
        in_row = self.splitInRow
        if frame is not None and not frame._atTop:  # noqa: SLF001 - the frame tells no other way
            self.splitInRow = 0
        try:
            parts = list(super().split(availWidth, availHeight))
        finally:
            self.splitInRow = in_row
        for part in parts:  # the parts inherit the switched-off setting
            if isinstance(part, _Table):
                part.splitInRow = in_row
        return parts


class _CellParagraph(Paragraph):  # type: ignore[misc]  # reportlab ships no type hints
    """A table cell's Paragraph that remembers its last wrap.

    reportlab wraps every cell when it measures a table and again when it draws
    it.  A paragraph's lines depend only on the width, so a second wrap at the
    same width returns the first one's result; the output is unchanged, the
    line breaking is done once.
    """

    _last_wrap: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        last = self._last_wrap
        if last is not None and last[0] == availWidth:
            return last[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._last_wrap = (availWidth, size)
        return size


def _cell(text: str, field: str, width: float, style: ParagraphStyle) -> Flowable | str:
    """A cell: plain text when each of its lines fits ``width`` (points) as it stands, else a Paragraph.

    Plain text is drawn exactly as given, line by line (no markup is parsed), in
    the style's font, which the table style gives its row.  Text with a line too
    wide for the cell, or with repeated or edge spaces, becomes a wrapping
    Paragraph.
    """
    plain = clean(text, field, font=style.fontName)
    room = width - 2 * pt(_CELL_PADDING_MM)
    if all(
        line == " ".join(line.split()) and pdfmetrics.stringWidth(line, style.fontName, style.fontSize) <= room
        for line in plain.split("\n")
    ):
        return plain
    return _CellParagraph(markup(text, field, font=style.fontName), style)


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width_mm: float,
    field: str,
    weights: Sequence[float] | None = None,
) -> Table:
    """A table of text whose cells wrap and whose header row repeats on every page.

    Every cell is checked against the font and prints literally: a cell whose
    lines (a newline separates them) each fit its column as they stand is drawn as
    plain text (the quick path: no markup is parsed), any other cell is a
    Paragraph built with :func:`markup`, so long text wraps (long unbroken words
    are split) instead of overflowing.
    ``width_mm`` is the whole table's width; ``weights`` share it out between the
    columns (equal shares by default).  A row taller than a page splits across
    pages.  ``field`` names the table in error messages
    (``"ingredients row 2, Lot"``).
    """
    columns = len(header)
    if columns == 0:
        raise RenderError(f"{field} must have at least one column (got {list(header)!r})")
    shares = list(weights) if weights is not None else [1.0] * columns
    if len(shares) != columns or any(w <= 0 for w in shares):
        raise RenderError(f"{field} weights must be {columns} positive numbers (got {shares!r})")
    for number, row in enumerate(rows, 1):
        if len(row) != columns:
            raise RenderError(f"{field} row {number} must have {columns} cells (got {len(row)})")
    style = styles()
    total = sum(shares)
    widths = [pt(width_mm * w / total) for w in shares]
    data: list[list[Flowable | str]] = [
        [_cell(title, f"{field} header", widths[c], style.cell_header) for c, title in enumerate(header)]
    ]
    for number, row in enumerate(rows, 1):
        data.append(
            [_cell(text, f"{field} row {number}, {header[c]}", widths[c], style.cell) for c, text in enumerate(row)]
        )
    padding = pt(_CELL_PADDING_MM)
    table = _Table(data, colWidths=widths, repeatRows=1, splitInRow=int(3 * style.cell.leading), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, style.cell.fontSize, style.cell.leading),  # not Helvetica
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, style.cell_header.fontSize, style.cell_header.leading),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("TOPPADDING", (0, 0), (-1, -1), padding * 0.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding * 0.9),
            ]
        )
    )
    return table


# --------------------------------------------------------------------------- documents


def _to_datetime(value: dt.datetime | dt.date) -> dt.datetime:
    """A date as midnight UTC; a naive datetime as UTC."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@attrs.frozen
class DocumentInfo:
    """What a PDF says about itself; the same info always gives the same bytes.

    ``date`` is written as both creation and modification date (a date means
    midnight UTC), so a reprint of the same data is identical to the original.
    ``identity`` (e.g. the batch fingerprint) feeds the PDF document id together
    with the title and subject.
    """

    title: str
    subject: str = ""
    author: str = ""
    identity: str = ""
    date: dt.datetime | dt.date = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    creator: str = "ldn_compound"

    def document_id(self) -> bytes:
        """The 16-byte PDF document id, derived from the info alone."""
        digest = hashlib.md5(usedforsecurity=False)
        for part in (self.title, self.subject, self.author, self.identity, _to_datetime(self.date).isoformat()):
            digest.update(part.encode("utf-8") + b"\x00")
        return digest.digest()


class _FixedTimeStamp(TimeStamp):  # type: ignore[misc]  # reportlab ships no type hints
    """A reportlab timestamp for a given moment, ignoring the clock and SOURCE_DATE_EPOCH."""

    def __init__(self, moment: dt.datetime) -> None:
        offset = moment.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        self.t = moment.timestamp()
        self.lt = moment.timetuple()
        self.YMDhms = tuple(self.lt)[:6]
        self.dhh, self.dmm = divmod(minutes, 60) if minutes >= 0 else (-((-minutes) // 60), (-minutes) % 60)
        self.tzname = moment.tzname() or "UTC"


def _make_deterministic(canvas: Canvas, info: DocumentInfo) -> None:
    """Fix the canvas's dates, document id and metadata."""
    document = canvas._doc  # noqa: SLF001 - reportlab exposes no public hook for these
    document._timeStamp = _FixedTimeStamp(_to_datetime(info.date))  # noqa: SLF001
    raw = pdfdoc.PDFText(info.document_id(), enc="raw").format(pdfdoc.DummyDoc())
    document._ID = b"\n[" + raw + raw + b"]\n"  # noqa: SLF001
    canvas.setTitle(info.title)
    canvas.setSubject(info.subject)
    canvas.setAuthor(info.author)
    canvas.setCreator(info.creator)


def render_canvas(
    draw: Callable[[Canvas], None],
    *,
    page_size_mm: tuple[float, float],
    info: DocumentInfo,
) -> bytes:
    """Render a document drawn directly on a canvas (e.g. a sheet of labels) to bytes.

    ``draw`` draws every page and calls ``canvas.showPage()`` after each one.
    The output is byte-identical for the same drawing and info.
    """
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(pt(page_size_mm[0]), pt(page_size_mm[1])),
        invariant=1,
        pageCompression=1,
        initialFontName=FONT,
        initialFontSize=10,
    )
    _make_deterministic(canvas, info)
    draw(canvas)
    canvas.save()
    return buffer.getvalue()


@attrs.frozen
class PageGeometry:
    """A page and its margins in millimetres; the text frame is what the margins leave.

    The header sits inside the top margin, the footer inside the bottom margin.
    """

    size: Literal["A4", "Letter"] = attrs.field(default="A4", validator=attrs.validators.in_(PAGE_SIZES))
    top: float = attrs.field(default=22.0, validator=attrs.validators.ge(0))
    bottom: float = attrs.field(default=20.0, validator=attrs.validators.ge(0))
    left: float = attrs.field(default=18.0, validator=attrs.validators.ge(0))
    right: float = attrs.field(default=18.0, validator=attrs.validators.ge(0))

    def __attrs_post_init__(self) -> None:
        """Refuse margins that leave no room for text."""
        if self.frame_width < 50 or self.frame_height < 50:  # a sanity floor in mm
            raise RenderError(f"page margins must leave at least 50 x 50 mm for text (got {self!r})")

    @property
    def width(self) -> float:
        """Page width in mm."""
        return PAGE_SIZES[self.size][0]

    @property
    def height(self) -> float:
        """Page height in mm."""
        return PAGE_SIZES[self.size][1]

    @property
    def frame_width(self) -> float:
        """Width in mm of the text frame."""
        return self.width - self.left - self.right

    @property
    def frame_height(self) -> float:
        """Height in mm of the text frame."""
        return self.height - self.top - self.bottom


@attrs.frozen
class PageInfo:
    """The page being decorated: its number, the page count and the geometry."""

    number: int
    total: int
    geometry: PageGeometry


#: Draws what repeats on every page (header, footer); called once per page after layout.
PageDecoration = Callable[[Canvas, PageInfo], None]

_RUNNING_SIZE: Final = 9.0


@attrs.frozen
class RunningText:
    """A page decoration: a header line and a footer line with "Page n of N".

    The header shows ``header_left`` and ``header_right`` (e.g. the lot number
    and the preparation) above a rule; the footer shows ``footer_left`` (e.g. the
    batch fingerprint) and the page number.  Text that does not fit the line
    raises RenderError rather than overprinting.
    """

    header_left: str = ""
    header_right: str = ""
    footer_left: str = ""

    def __attrs_post_init__(self) -> None:
        for name in ("header_left", "header_right", "footer_left"):
            check_glyphs(getattr(self, name), name)
            if "\n" in getattr(self, name):
                raise RenderError(f"{name} must be a single line (got {getattr(self, name)!r})")

    def __call__(self, canvas: Canvas, page: PageInfo) -> None:
        """Draw the header and footer of one page."""
        geometry = page.geometry
        left, right = pt(geometry.left), pt(geometry.width - geometry.right)
        header_y = pt(geometry.height - geometry.top + 4.0)
        footer_y = pt(geometry.bottom - 9.0)
        canvas.saveState()
        if self.header_left or self.header_right:
            self._line(canvas, "header", self.header_left, self.header_right, left=left, right=right, y=header_y)
            canvas.setLineWidth(0.5)
            canvas.line(left, header_y - 4, right, header_y - 4)
        number = f"Page {page.number} of {page.total}"
        self._line(canvas, "footer", self.footer_left, number, left=left, right=right, y=footer_y)
        canvas.restoreState()

    @staticmethod
    def _line(canvas: Canvas, where: str, start: str, end: str, *, left: float, right: float, y: float) -> None:
        """Draw ``start`` flush left and ``end`` flush right on one baseline."""
        start, end = _normalize(start), _normalize(end)
        gap = pt(4.0)
        needed = sum(pdfmetrics.stringWidth(t, FONT, _RUNNING_SIZE) for t in (start, end)) + gap
        if needed > right - left:
            raise RenderError(
                f"{where} text must fit in one line of {(right - left) / _PT_PER_MM:.1f} mm "
                f"(got {start!r} and {end!r}, {needed / _PT_PER_MM:.1f} mm)"
            )
        canvas.setFont(FONT, _RUNNING_SIZE)
        canvas.drawString(left, y, start)
        canvas.drawRightString(right, y, end)


def _canvas_class(info: DocumentInfo, geometry: PageGeometry, decorate: PageDecoration) -> type[Canvas]:
    """A canvas that holds pages back until the end, so each can say "Page n of N"."""

    class _RecordCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            _make_deterministic(self, info)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            held, total = self._held, len(self._held)
            for number, state in enumerate(held, 1):
                self.__dict__.update(state)
                decorate(self, PageInfo(number, total, geometry))
                Canvas.showPage(self)
            Canvas.save(self)

    return _RecordCanvas


def build_pdf(
    flowables: Sequence[Flowable],
    *,
    info: DocumentInfo,
    geometry: PageGeometry | None = None,
    decorate: PageDecoration | None = None,
) -> bytes:
    """Lay out a multi-page document and return its bytes.

    ``decorate`` draws what repeats on every page once the page count is known
    (default: a footer with "Page n of N").  Layout problems, such as a flowable
    larger than a page, raise RenderError.
    """
    register_fonts()
    geometry = geometry or PageGeometry()
    decorate = decorate or RunningText()
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=(pt(geometry.width), pt(geometry.height)),
        leftMargin=pt(geometry.left),
        rightMargin=pt(geometry.right),
        topMargin=pt(geometry.top),
        bottomMargin=pt(geometry.bottom),
        title=info.title,
        subject=info.subject,
        author=info.author,
        creator=info.creator,
        invariant=1,
        pageCompression=1,
        initialFontName=FONT,
        initialFontSize=10,
    )
    frame = Frame(
        pt(geometry.left),
        pt(geometry.bottom),
        pt(geometry.frame_width),
        pt(geometry.frame_height),
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    try:
        template.build(list(flowables), canvasmaker=_canvas_class(info, geometry, decorate))
    except LayoutError as error:
        raise RenderError(f"document {info.title!r} must fit its pages (got: {error})") from error
    return buffer.getvalue()


# --------------------------------------------------------------------------- output


def write_pdf(data: bytes, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write PDF bytes to a path atomically, or to a binary file object.

    A path is written through a temporary file in the same directory that then
    replaces the target, so readers never see a half-written PDF and a failure
    leaves no file behind.  An unwritable path raises RenderError naming it.
    """
    if not isinstance(target, (str, os.PathLike)):
        target.write(data)
        return
    path = Path(target)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise RenderError(f"output path must be writable (got {str(path)!r}: {error.strerror})") from error
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
        _log.debug("wrote %s (%d bytes)", path, len(data))
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise RenderError(f"output path must be writable (got {str(path)!r}: {error.strerror})") from error
        raise


# --------------------------------------------------------------------------- barcodes

_MIN_MODULE_MM: Final = 0.19


def code128(
    value: str,
    *,
    height_mm: float = 10.0,
    module_mm: float = 0.25,
    max_width_mm: float | None = None,
    human_readable: bool = False,
    field: str = "barcode",
) -> Code128:
    """A Code 128 barcode flowable, bars ``height_mm`` tall, with 10-module quiet zones.

    ``module_mm`` is the narrowest bar; when ``max_width_mm`` is given the bars
    are narrowed to fit, but never below 0.19 mm (raises RenderError instead).
    Only printable ASCII can be encoded.
    """
    if not (value and value.isascii() and value.isprintable()):
        raise RenderError(f"{field} must be printable ASCII for Code 128 (got {value!r})")
    register_fonts()

    def make(module: float) -> Code128:
        return Code128(
            value,
            barWidth=pt(module),
            barHeight=pt(height_mm),
            quiet=1,
            lquiet=pt(10 * module),
            rquiet=pt(10 * module),
            humanReadable=int(human_readable),
            fontName=FONT,
            fontSize=9,
        )

    barcode = make(module_mm)
    if max_width_mm is not None and barcode.width > pt(max_width_mm):
        module = module_mm * pt(max_width_mm) / barcode.width
        if module < _MIN_MODULE_MM:
            raise RenderError(
                f"{field} must fit {max_width_mm} mm with bars at least {_MIN_MODULE_MM} mm wide "
                f"(got {value!r}, {barcode.width / _PT_PER_MM:.1f} mm at {module_mm} mm)"
            )
        barcode = make(module)
    return barcode


def draw_code128(
    canvas: Canvas,
    value: str,
    *,
    x_mm: float,
    y_mm: float,
    height_mm: float = 10.0,
    module_mm: float = 0.25,
    max_width_mm: float | None = None,
    human_readable: bool = False,
    field: str = "barcode",
) -> float:
    """Draw a Code 128 barcode with its lower-left corner (quiet zone included) at (x, y) mm.

    Returns the width drawn, in mm.  See :func:`code128` for the sizing rules.
    """
    barcode = code128(
        value,
        height_mm=height_mm,
        module_mm=module_mm,
        max_width_mm=max_width_mm,
        human_readable=human_readable,
        field=field,
    )
    barcode.drawOn(canvas, pt(x_mm), pt(y_mm))
    return float(barcode.width) / _PT_PER_MM

"""The shared PDF machinery: escaping, glyphs, determinism, pages, tables, output, stocks, label fitting."""

from __future__ import annotations

import datetime as dt
import doctest
import io
import re
import shutil
import subprocess
import sys
import time
import types
from importlib import resources
from pathlib import Path
from typing import Literal

import attrs
import pypdf
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

import ldn_compound.render
from ldn_compound.exceptions import InputError, LabelFitError, LabelStockFileError, RenderError
from ldn_compound.render import _labelfit, _pdf, stocks
from ldn_compound.render._labelfit import TextBlock, draw_layout, fit_box, fit_stock
from ldn_compound.render._pdf import (
    FONT,
    DocumentInfo,
    PageGeometry,
    RunningText,
    build_pdf,
    check_glyphs,
    code128,
    data_table,
    draw_code128,
    escape,
    markup,
    render_canvas,
    styles,
    write_pdf,
)
from ldn_compound.render.stocks import LabelStock, get_stock, load_stocks, read_stocks

HOSTILE = '<img src="/etc/passwd"> <b>bold?</b> & <font color="red">x</font> \'q\' "d"'
DIRECTIONS_400 = (
    "Take one capsule by mouth at bedtime. Start with 1.5 mg for 2 weeks, then 3 mg for 2 weeks, then 4.5 mg "
    "nightly. If vivid dreams disturb sleep, take in the morning instead. Do not take with opioid pain "
    "medicines, opioid cough products or opioid antidiarrhoeals. Stop 3 days before planned surgery and tell "
    "your surgeon. Keep out of reach of children. Ask your pharmacist first. Keep dry, below 25 °C."
)
INFO = DocumentInfo(title="Compounding record", subject="Lot 2025-0001", identity="fp-1a2b3c", date=dt.date(2025, 3, 1))

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")


def pdftotext(data: bytes, tmp_path: Path, *, page: int | None = None) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(data)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", "-layout", *pages, str(source), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def long_record(rows: int = 120) -> bytes:
    data = [[str(i), f"Naltrexone HCl lot N{i:05d}", "Medisca", f"{i}.5 mg"] for i in range(1, rows + 1)]
    table = data_table(
        ["#", "Component", "Vendor", "Amount"],
        data,
        width_mm=PageGeometry().frame_width,
        field="ingredients",
        weights=[1, 5, 3, 2],
    )
    running = RunningText(
        header_left="Lot 2025-0001", header_right="Naltrexone 4.5 mg capsules", footer_left="fp-1a2b3c"
    )
    return build_pdf([Paragraph("Compounding record", styles().heading1), table], info=INFO, decorate=running)


# --------------------------------------------------------------------------- surface


def test_public_surface_of_the_render_package() -> None:
    assert ldn_compound.render.__all__ == ["LabelStock", "get_stock", "load_stocks", "read_stocks"]


def test_importing_the_render_package_does_not_load_reportlab() -> None:
    code = "import sys, ldn_compound.render; print('reportlab' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- doctests


@pytest.mark.parametrize("module", [_pdf, _labelfit, stocks])
def test_doctests_pass(module: types.ModuleType) -> None:
    assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a < b > c", "a &lt; b &gt; c"),
        ("R&D", "R&amp;D"),
        ("&amp;", "&amp;amp;"),
        ('say "hi"', "say &quot;hi&quot;"),
        ("it's", "it&#39;s"),
        ('<img src="/etc/passwd">', "&lt;img src=&quot;/etc/passwd&quot;&gt;"),
        ("plain text", "plain text"),
    ],
)
def test_escape_turns_markup_characters_into_entities(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_markup_keeps_line_breaks_and_escapes_the_rest() -> None:
    assert markup("Take 1 <cap>\nat bedtime", "directions") == "Take 1 &lt;cap&gt;<br/>at bedtime"


@needs_poppler
def test_hostile_text_prints_literally_and_opens_no_file(tmp_path: Path) -> None:
    paragraph = Paragraph(markup(HOSTILE, "notes"), styles().body)
    table = data_table(["Notes"], [[HOSTILE]], width_mm=170, field="notes table")
    data = build_pdf([paragraph, table], info=INFO)

    text = pdftotext(data, tmp_path)
    assert text.count(HOSTILE) == 2
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert all(not page.images for page in reader.pages)
    assert b"/Subtype /Image" not in data


# --------------------------------------------------------------------------- glyphs


@pytest.mark.parametrize(
    "text", ["Zoë Łukasiewicz-Núñez", "Zoe\u0308 (decomposed)", "µg ± 5 % – ≥ 11 pt", "line 1\nline 2"]
)
def test_check_glyphs_accepts_text_the_font_has(text: str) -> None:
    check_glyphs(text, "patient")


@pytest.mark.parametrize(
    ("text", "code"),
    [("患者 Zoë", "U+60A3"), ("Zoë 🦄", "U+1F984"), ("tab\there", "U+0009")],
)
def test_check_glyphs_names_field_and_character_it_cannot_print(text: str, code: str) -> None:
    with pytest.raises(
        RenderError, match=rf"^patient must use characters the font can print \(got {re.escape(code)} "
    ) as info:
        check_glyphs(text, "patient")
    assert repr(text) in str(info.value)


def test_table_cell_with_missing_glyph_names_row_and_column() -> None:
    with pytest.raises(RenderError, match=r"^ingredients row 2, Lot must use .* U\+1F48A"):
        data_table(
            ["Name", "Lot"], [["Lactose", "L1"], ["Naltrexone", "N\U0001f48a"]], width_mm=100, field="ingredients"
        )


def test_running_text_with_missing_glyph_is_refused() -> None:
    with pytest.raises(RenderError, match=r"^header_left must use .* U\+4E00"):
        RunningText(header_left="Lot 一")


def test_label_block_with_missing_glyph_is_refused() -> None:
    with pytest.raises(RenderError, match=r"^patient must use .* U\+1F984"):
        fit_box([TextBlock("patient", "Zoë 🦄", 12, 10)], width=90, height=40)


def test_fonts_are_shipped_with_their_licence_and_embedded() -> None:
    fonts = resources.files("ldn_compound.render").joinpath("fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"):
        assert fonts.joinpath(name).read_bytes()[:4] == b"\x00\x01\x00\x00"
    assert "Bitstream" in fonts.joinpath("LICENSE-DejaVu.txt").read_text(encoding="utf-8")

    reader = pypdf.PdfReader(io.BytesIO(long_record(3)))
    names = {str(font["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}  # type: ignore[index]
    assert names == {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"}


def test_body_text_is_never_below_9_pt() -> None:
    style = styles()
    sizes = {name: getattr(style, name).fontSize for name in ("body", "small", "cell", "cell_header", "mono")}
    assert min(sizes.values()) >= 9
    assert style.heading1.fontSize > style.heading2.fontSize > style.heading3.fontSize > style.body.fontSize


# --------------------------------------------------------------------------- determinism


def test_same_inputs_give_byte_identical_documents() -> None:
    assert long_record() == long_record()


def test_output_ignores_clock_and_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    first = long_record(5)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    assert long_record(5) == first


def test_document_records_the_given_date_and_a_stable_id() -> None:
    data = long_record(5)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    assert str(reader.metadata["/CreationDate"]) == "D:20250301000000+00'00'"
    assert str(reader.metadata["/ModDate"]) == "D:20250301000000+00'00'"
    assert reader.metadata.title == "Compounding record"
    ids = reader.trailer["/ID"]
    assert isinstance(ids, pypdf.generic.ArrayObject)
    assert ids[0] == ids[1] == INFO.document_id()


def test_different_identity_gives_a_different_document_id() -> None:
    other = DocumentInfo(title=INFO.title, subject=INFO.subject, identity="fp-other", date=INFO.date)
    assert other.document_id() != INFO.document_id()


def test_canvas_documents_are_byte_identical() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.setFont(FONT, 12)
        canvas.drawString(20, 20, "Zoë Łukasiewicz-Núñez")
        draw_code128(canvas, "RX-123456", x_mm=10, y_mm=20, height_mm=10)
        canvas.showPage()

    first = render_canvas(draw, page_size_mm=(101.6, 63.5), info=INFO)
    assert render_canvas(draw, page_size_mm=(101.6, 63.5), info=INFO) == first
    assert b"/Subtype /Type1" not in first  # no unembedded standard font


# --------------------------------------------------------------------------- pages and tables


@needs_poppler
def test_every_page_says_page_n_of_total_and_repeats_header_lot_and_fingerprint(tmp_path: Path) -> None:
    data = long_record(120)
    total = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    assert total >= 3
    for number in range(1, total + 1):
        text = pdftotext(data, tmp_path, page=number)
        assert f"Page {number} of {total}" in text
        assert "Lot 2025-0001" in text
        assert "fp-1a2b3c" in text
        assert re.search(r"#\s+Component\s+Vendor\s+Amount", text), f"no table header on page {number}"
    every_row = pdftotext(data, tmp_path)
    assert all(f"lot N{i:05d}" in every_row for i in range(1, 121))


@needs_qpdf
def test_qpdf_finds_no_structural_errors(tmp_path: Path) -> None:
    path = tmp_path / "record.pdf"
    write_pdf(long_record(), path)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


@pytest.mark.parametrize(("size", "points"), [("A4", (595.276, 841.89)), ("Letter", (612.0, 792.0))])
def test_page_sizes(size: Literal["A4", "Letter"], points: tuple[float, float]) -> None:
    data = build_pdf([Paragraph("x", styles().body)], info=INFO, geometry=PageGeometry(size=size))
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width), 3), round(float(box.height), 3)) == points


def test_long_unbroken_text_wraps_inside_its_cell() -> None:
    table = data_table(["Lot", "Note"], [["N" * 300, "ok"]], width_mm=60, field="lots", weights=[1, 2])
    table.wrap(_pdf.pt(60), _pdf.pt(250))
    cell = table._cellvalues[1][0][0]
    room = _pdf.pt(20) - 2 * _pdf.pt(_pdf._CELL_PADDING_MM)
    assert len(cell.blPara.lines) > 1
    assert max(cell.getActualLineWidths0()) <= room + 0.01


@needs_poppler
def test_row_taller_than_a_page_splits_instead_of_overflowing(tmp_path: Path) -> None:
    words = " ".join(f"w{i:04d}" for i in range(1500))
    table = data_table(
        ["Step", "Instructions"], [["1", "short"], ["2", words], ["3", "last"]], width_mm=174, field="steps"
    )
    data = build_pdf([table], info=INFO)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 2
    text = pdftotext(data, tmp_path)
    assert all(f"w{i:04d}" in text for i in range(1500))
    assert "last" in text


def test_table_rows_must_match_the_header() -> None:
    with pytest.raises(RenderError, match=r"^steps row 1 must have 2 cells \(got 1\)"):
        data_table(["Step", "Text"], [["1"]], width_mm=100, field="steps")


def test_running_text_too_long_for_the_line_is_refused() -> None:
    running = RunningText(header_left="L" * 200)
    with pytest.raises(RenderError, match=r"^header text must fit in one line"):
        build_pdf([Paragraph("x", styles().body)], info=INFO, decorate=running)


# --------------------------------------------------------------------------- writing


def test_write_pdf_to_path_and_to_file_object(tmp_path: Path) -> None:
    data = long_record(3)
    path = tmp_path / "record.pdf"
    write_pdf(data, path)
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]

    buffer = io.BytesIO()
    write_pdf(data, buffer)
    assert buffer.getvalue() == data


def test_write_pdf_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "record.pdf"
    path.write_bytes(b"old")
    write_pdf(b"%PDF-new", path)
    assert path.read_bytes() == b"%PDF-new"
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]


def test_unwritable_path_raises_render_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir" / "record.pdf"
    with pytest.raises(RenderError, match=r"^output path must be writable \(got '.*no such dir/record\.pdf'"):
        write_pdf(b"%PDF", missing)
    assert not missing.parent.exists()


def test_failed_write_leaves_no_file_behind(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    target.mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(RenderError, match=r"record\.pdf"):
        write_pdf(b"%PDF", target)
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]
    assert target.is_dir()


def test_interrupted_write_keeps_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "record.pdf"
    target.write_bytes(b"old")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_pdf(b"%PDF-new", target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.pdf"]


def test_render_error_before_writing_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "record.pdf"
    with pytest.raises(RenderError):
        write_pdf(build_pdf([Paragraph(markup("Zoë 🦄", "patient"), styles().body)], info=INFO), target)
    assert not target.exists()


# --------------------------------------------------------------------------- barcodes


@needs_poppler
def test_code128_decodes_to_its_value(tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")

    def draw(canvas: Canvas) -> None:
        width = draw_code128(canvas, "RX-0012345", x_mm=5, y_mm=10, height_mm=12, human_readable=True)
        assert 30 < width < 60
        canvas.showPage()

    pdf = tmp_path / "barcode.pdf"
    write_pdf(render_canvas(draw, page_size_mm=(76.2, 50.8), info=INFO), pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "barcode")], check=True)
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "barcode.png"))
    assert [(r.text, r.format.name) for r in results] == [("RX-0012345", "Code128")]


def test_code128_refuses_what_it_cannot_encode_or_fit() -> None:
    with pytest.raises(RenderError, match=r"^lot must be printable ASCII"):
        code128("Lot Ł1", field="lot")
    with pytest.raises(RenderError, match=r"^lot must fit 20 mm with bars at least 0\.19 mm wide"):
        code128("2025-0001-ABCDEFGHIJ", max_width_mm=20, field="lot")
    narrow = code128("RX1", module_mm=0.3, max_width_mm=22)
    assert _pdf.pt(21.9) < narrow.width <= _pdf.pt(22) + 1e-6


# --------------------------------------------------------------------------- stocks


def test_builtin_stocks_have_their_published_sizes() -> None:
    found = {name: (s.kind, s.label_width, s.label_height, s.columns, s.rows) for name, s in load_stocks().items()}
    assert found == {
        "roll-4x2.5in": ("roll", 101.6, 63.5, 1, 1),
        "roll-4x2in": ("roll", 101.6, 50.8, 1, 1),
        "roll-3x2in": ("roll", 76.2, 50.8, 1, 1),
        "letter-2x5": ("sheet", 101.6, 50.8, 2, 5),
        "a4-2x7": ("sheet", 99.1, 38.1, 2, 7),
        "roll-4x6in": ("roll", 101.6, 152.4, 1, 1),
        "a4-2x4": ("sheet", 99.1, 67.7, 2, 4),
    }
    assert (get_stock("letter-2x5").page_width, get_stock("letter-2x5").page_height) == (215.9, 279.4)
    assert (get_stock("a4-2x7").page_width, get_stock("a4-2x7").page_height) == (210.0, 297.0)


def test_sheet_positions_count_along_rows_from_the_top_left() -> None:
    sheet = get_stock("a4-2x7")
    assert sheet.label_origin(0) == (4.65, 243.75)
    assert sheet.label_origin(1) == (106.25, 243.75)
    assert sheet.label_origin(13) == (106.25, 15.15)
    assert sheet.content_origin(0) == (8.15, 247.25)
    with pytest.raises(InputError, match=r"^position must be from 0 to 13 \(got 14\)"):
        sheet.label_origin(14)


def test_unknown_stock_lists_the_known_ones() -> None:
    with pytest.raises(InputError) as info:
        get_stock("roll-5x3in")
    assert str(info.value) == (
        "stock must be one of a4-2x4, a4-2x7, letter-2x5, roll-3x2in, roll-4x2.5in, roll-4x2in, roll-4x6in "
        "(got 'roll-5x3in')"
    )


def test_pharmacy_adds_its_own_stock_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "my-stocks.toml"
    path.write_text(
        '[stock."zebra-100x60mm"]\ndescription = "Zebra roll 100 x 60 mm"\nkind = "roll"\n'
        "label = [100, 60]\npadding = 2\n",
        encoding="utf-8",
    )
    stock = get_stock("zebra-100x60mm", extra_path=path)
    assert stock == LabelStock(
        name="zebra-100x60mm",
        description="Zebra roll 100 x 60 mm",
        kind="roll",
        label_width=100.0,
        label_height=60.0,
        page_width=100.0,
        page_height=60.0,
        padding=2.0,
    )
    assert "roll-3x2in" in load_stocks(path)


def test_user_file_may_not_redefine_a_builtin_stock(tmp_path: Path) -> None:
    path = tmp_path / "my-stocks.toml"
    path.write_text('[stock."roll-3x2in"]\ndescription = "x"\nkind = "roll"\nlabel = [70, 50]\npadding = 2\n')
    with pytest.raises(InputError, match=r"must use names that are not built in .*\(got \['roll-3x2in'\]\)"):
        load_stocks(path)


def test_bad_stock_file_reports_every_problem_with_its_path() -> None:
    text = """
    [stock."no-page"]
    description = "sheet without a page"
    kind = "sheet"
    label = [50, 20]
    padding = 1

    [stock."too-many"]
    description = "three 100 mm columns on A4"
    kind = "sheet"
    page = [210, 297]
    label = [100, 50]
    grid = [3, 1]
    padding = 1

    [stock."typo"]
    description = "x"
    kind = "roll"
    label = [50, 20]
    paddding = 1
    """
    with pytest.raises(LabelStockFileError) as info:
        read_stocks(text, "bad.toml")
    assert info.value.source == "bad.toml"
    problems = [str(p) for p in info.value.problems]
    assert str(info.value).startswith("label stock file bad.toml has 3 problems:")
    assert [p.split(":")[0] for p in problems] == [
        "$.stock.no-page.page",
        "$.stock.too-many.grid",
        "$.stock.typo.paddding",
    ]
    assert "fit on the 210 x 297 mm page (the labels reach 300 mm across" in problems[1]


def test_missing_stock_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^label stock file must be a readable UTF-8 TOML file"):
        load_stocks(tmp_path / "missing.toml")


# --------------------------------------------------------------------------- label fitting


def label_blocks(directions: str) -> list[TextBlock]:
    return [
        TextBlock("patient", "Zoë Łukasiewicz-Núñez", preferred_size=12, min_size=11, bold=True),
        TextBlock("directions", directions, preferred_size=14, min_size=11, bold=True),
        TextBlock("drug", "Naltrexone 4.5 mg capsules", preferred_size=11, min_size=9),
    ]


def test_400_character_directions_do_not_fit_a_3x2_inch_label() -> None:
    assert len(DIRECTIONS_400) == 400
    with pytest.raises(LabelFitError) as info:
        fit_stock(label_blocks(DIRECTIONS_400), get_stock("roll-3x2in"))
    message = str(info.value)
    assert message.startswith("directions must fit label stock roll-3x2in (71.2 x 45.8 mm inside the padding) at 11 pt")
    assert "got 400 characters" in message
    assert "after patient" in message


def test_400_character_directions_fit_a_4x2_5_inch_label_at_11_pt_or_more() -> None:
    blocks = [TextBlock("directions", DIRECTIONS_400, preferred_size=14, min_size=11, bold=True)]
    layout = fit_stock(blocks, get_stock("roll-4x2.5in"))
    (fitted,) = layout.blocks
    assert 11 <= fitted.size < 14
    assert layout.used_height <= get_stock("roll-4x2.5in").content_height
    assert " ".join(fitted.lines).split() == DIRECTIONS_400.split()  # nothing cut


def test_text_that_fits_keeps_its_preferred_sizes() -> None:
    layout = fit_stock(label_blocks("Take 1 capsule by mouth at bedtime"), get_stock("roll-3x2in"))
    assert [(b.block.name, b.size) for b in layout.blocks] == [("patient", 12), ("directions", 14), ("drug", 11)]


def test_shrinking_stops_at_the_largest_sizes_that_fit() -> None:
    stock = get_stock("roll-4x2in")
    blocks = label_blocks(DIRECTIONS_400[:220])
    sizes = [b.size for b in fit_stock(blocks, stock).blocks]
    assert sizes == [11.3, 12.0, 9.6]  # each block shrunk by about the same share of its range
    # every block 0.4 pt larger (more than one shrink step) no longer fits
    larger = [
        attrs.evolve(block, min_size=min(block.preferred_size, size + 0.4))
        for block, size in zip(blocks, sizes, strict=True)
    ]
    with pytest.raises(LabelFitError):
        fit_stock(larger, stock)


def test_long_words_are_broken_not_cut() -> None:
    word = "Naltrexonehydrochloride" * 4
    layout = fit_box([TextBlock("drug", word, 12, 11)], width=30, height=40)
    assert "".join(layout.blocks[0].lines) == word
    assert len(layout.blocks[0].lines) > 1


def test_lines_never_exceed_the_label_width() -> None:
    layout = fit_stock(label_blocks(DIRECTIONS_400[:200]), get_stock("roll-4x2in"))
    room = _pdf.pt(get_stock("roll-4x2in").content_width)
    for item in layout.blocks:
        for line in item.lines:
            assert _labelfit._word_width(line, item.block.font) * item.size <= room + 1e-6


def test_minimum_above_preferred_is_refused() -> None:
    with pytest.raises(RenderError, match=r"^directions min_size must be at most preferred_size 11 pt \(got 12\)"):
        TextBlock("directions", "x", preferred_size=11, min_size=12)


def test_a_thousand_labels_fit_and_print_on_sheets() -> None:
    """All fit and print, 14 to a page (the time it takes is measured in bench/run.py, not here)."""
    sheet = get_stock("a4-2x7")
    layouts = [
        fit_stock(
            [
                TextBlock("patient", f"Patient {i:04d} Łukasiewicz-Núñez", 12, 11, bold=True),
                TextBlock("directions", f"Take {i % 3 + 1} capsule(s) by mouth at bedtime ({i})", 14, 11, bold=True),
                TextBlock("drug", "Naltrexone 4.5 mg capsules, 30 capsules", 10, 9),
                TextBlock("lot", f"Lot 2025-{i:04d}  BUD 2025-06-01", 9, 8),
            ],
            sheet,
        )
        for i in range(1000)
    ]

    def draw(canvas: Canvas) -> None:
        for i, layout in enumerate(layouts):
            position = i % sheet.per_page
            x, y = sheet.content_origin(position)
            draw_layout(canvas, layout, x=x, y=y)
            if position == sheet.per_page - 1 or i == len(layouts) - 1:
                canvas.showPage()

    data = render_canvas(draw, page_size_mm=(sheet.page_width, sheet.page_height), info=INFO)
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 72

"""Make the pictures of records and labels in docs/images/ again, from the installed command.

Every PNG in docs/images/ that shows a PDF of ldn-compound (a compounding record, a master
formulation record, labels) is made here: the command the docs describe is run with
``python -m ldn_compound`` (the interpreter running this script), into a new batch register
in a temporary folder, so the lots start at L2026-000001, with fixed dates, so the pictures
do not change from one run to the next; then the page shown is converted to PNG with
poppler's ``pdftoppm`` at the pixel size the docs use. The roll labels of labels.md get the
light grey edge that ``outline=True`` gives proofs (the command line prints none), and the
US Letter sheet, which holds labels of several batches, is drawn with the library's
``render_label_sheet`` from the batches the commands registered. (The web-*.png screenshots
come from ``docs/web_screenshots.py``, not from here.)

Run it from the repository root, with ldn_compound installed and poppler-utils on the PATH
(``apt install poppler-utils``; Pillow comes with reportlab)::

    python docs/make_images.py              # every picture
    python docs/make_images.py mfr-page1    # only the pictures named

and look at every picture, against its caption in docs/*.md, before committing them. It
exits non-zero, naming the picture, on any failure (the command, pdftoppm, a page size).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
EXAMPLE_PHARMACY = DOCS / "examples" / "pharmacy.toml"  # "Example Compounding Pharmacy"

# The pharmacy of the pictures in labels.md (cli.md's example configuration, at 12 Main Street).
RIVERSIDE = """\
[pharmacy]
name = "Riverside Compounding Pharmacy"
address = ["12 Main Street", "Springfield, IL 62701"]
phone = "(217) 555-0142"
pharmacist = "A. Nowak, PharmD"
"""
RIVERSIDE_ES = RIVERSIDE + '\n[settings]\nlabel_languages = ["en", "es"]\n'

# Placeholders in the commands below, replaced by files of the run.
OUT = "{out}"  # the PDF written
EXAMPLE = "{example}"  # docs/examples/pharmacy.toml
RIVER = "{riverside}"  # RIVERSIDE
RIVER_ES = "{riverside-es}"  # RIVERSIDE_ES

ZOE = "Zoë Łukasiewicz-Núñez"
TITRATION = "1.5 mg for 7 days, 3 mg for 7 days, then 4.5 mg"

# The edge of a label, as render_labels(..., outline=True) draws it for proofs: light grey.
OUTLINE_GREY = 191  # 0.75 of white
OUTLINE_RADIUS_PT = 2


@dataclass(frozen=True)
class Picture:
    """One picture: the commands that print its PDF, and how its page becomes the PNG.

    ``commands`` run in order into one new register; the last one writes ``{out}``.
    ``pages`` are the pages shown (side by side, ``gap`` pixels apart), by number or by a
    text the page holds (a page found by its text follows the layout when it changes).
    ``outline`` draws the label's edge, as the proofs in labels.md show it.  ``sheet``: every
    command registers a batch with a prescription, and the PDF is the sheet of their labels.
    """

    name: str
    commands: Sequence[Sequence[str]]
    dpi: int
    size: tuple[int, int]
    pages: Sequence[int | str] = (1,)
    gap: int = 0
    outline: bool = False
    sheet: bool = False


# A US Letter sheet with labels of four registered batches (labels.md); the command line
# prints one batch's labels, so the sheet of several batches is drawn with the library's
# render_label_sheet from what the commands registered, as the Python example in labels.md does.
SHEET = """\
import sys
from ldn_compound.config import load_pharmacy_config
from ldn_compound.register import open_register
from ldn_compound.render.labels import render_label_sheet

register_url, config, out, *lots = sys.argv[1:]
register = open_register(register_url)
try:
    records = [register.get(lot) for lot in lots]
finally:
    register.close()
jobs = [(r.batch, r.prescription_value) for r in records] + [(r.batch, None) for r in records]
render_label_sheet(jobs, out, pharmacy=load_pharmacy_config(config), stock="letter-2x5", outline=True)
"""


def _capsules_rx(*more: str) -> list[str]:
    """The capsules of labels.md: 30 of 4.5 mg for Zoë, Rx 1234567."""
    return [
        "batch", "ldn-capsules", "--quantity", "30", "--strength", "4.5 mg", "--date", "2026-03-02",
        "--rx", "1234567", "--patient", ZOE, "--prescriber", "Dr Amira Haddad",
        "--directions", "Take 1 capsule by mouth at bedtime", "--refills", "2",
        *more,
    ]  # fmt: skip


def _liquid_rx(*more: str) -> list[str]:
    """The titrated oral liquid of labels.md: 120 mL of 1 mg/mL for John Smith, Rx 1234568."""
    return [
        "batch", "ldn-oral-liquid", "--quantity", "120 mL", "--date", "2026-03-02",
        "--rx", "1234568", "--patient", "John Smith", "--prescriber", "Dr Amira Haddad",
        "--directions", "Take by mouth at bedtime as in the dosing schedule", "--titration", TITRATION,
        *more,
    ]  # fmt: skip


PICTURES = (
    # records.md, guide.md: "Page 1 of a compounding record: pharmacy, lot, preparation,
    # beyond-use date, an opioid override with its reason, components with lots".
    Picture(
        "record-page1",
        [[
            "batch", "ldn-capsules", "--quantity", "100", "--strength", "1.5 mg", "--potency", "99.1",
            "--date", "2026-03-01", "--lot", "naltrexone-hcl=NX2291:2027-06-30", "--lot", "mcc=MC881",
            "--other-medicine", "tramadol",
            "--override-reason", "tramadol stopped 2026-02-01, confirmed with the prescriber",
            "--pharmacy-config", EXAMPLE, "--record", OUT,
        ]],
        dpi=72, size=(612, 792),
    ),
    # calculations.md, guide.md: "The weighings on a compounding record with an aliquot plan"
    # (calculations.md: 30 capsules of 1.5 mg, 405 mg of MCC taken plus the 6.45 g rest).
    Picture(
        "record-weighings",
        [[
            "batch", "ldn-capsules", "--quantity", "30", "--strength", "1.5 mg", "--date", "2026-03-01",
            "--pharmacy-config", EXAMPLE, "--record", OUT,
        ]],
        dpi=72, size=(612, 792), pages=["Weighings and measurements, in the order they are done"],
    ),
    # records.md: "Page 1 of a master formulation record" (ldn-oral-liquid at 1 mg/mL).
    Picture(
        "mfr-page1",
        [["mfr", "ldn-oral-liquid", "--strength", "1 mg/mL", "--pharmacy-config", EXAMPLE, "-o", OUT]],
        dpi=72, size=(612, 792),
    ),
    # labels.md: "A patient label on a 4 x 2.5 in roll label".
    Picture(
        "label-roll-4x2.5in",
        [_capsules_rx("--pharmacy-config", RIVER, "--labels", OUT)],
        dpi=150, size=(600, 375), outline=True,
    ),
    # labels.md, guide.md: "A patient label in Spanish on a 4 x 2.5 in roll label".
    Picture(
        "label-roll-4x2.5in-spanish",
        [[
            "batch", "ldn-capsules", "--quantity", "30", "--strength", "4.5 mg", "--date", "2026-03-02",
            "--pharmacy-config", RIVER_ES, "--rx", "1234569", "--patient", ZOE,
            "--prescriber", "Dr Amira Haddad", "--sig", "1 cap po qhs", "--language", "es", "--refills", "2",
            "--labels", OUT,
        ]],
        dpi=150, size=(600, 375), outline=True,
    ),
    # labels.md: "A titrated liquid on two 3 x 2 in roll labels, 1/2 and 2/2".
    Picture(
        "label-roll-3x2in-continued",
        [_liquid_rx("--pharmacy-config", RIVER, "--label-stock", "roll-3x2in", "--labels", OUT)],
        dpi=150, size=(920, 300), pages=[1, 2], gap=20, outline=True,
    ),
    # labels.md: "A container label on a 4 x 2 in roll label" (the sublingual drops).
    Picture(
        "label-container-roll-4x2in",
        [[
            "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", "2026-03-02",
            "--pharmacy-config", RIVER, "--label-stock", "roll-4x2in", "--labels", OUT,
        ]],
        dpi=150, size=(600, 300), outline=True,
    ),
    # labels.md: "Patient and container labels on a US Letter sheet (letter-2x5)": four
    # prescriptions (capsules, a titrated liquid, drops, cream), then the batches' container labels.
    Picture(
        "label-sheet-letter-2x5",
        [
            _capsules_rx("--pharmacy-config", RIVER, "--label-stock", "letter-2x5", "--labels", OUT),
            _liquid_rx("--pharmacy-config", RIVER, "--label-stock", "letter-2x5", "--labels", OUT),
            [
                "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", "2026-03-02",
                "--rx", "1234569", "--patient", "Mary O'Neill", "--prescriber", "Dr Tomás García",
                "--directions", "Place 9 drops under the tongue at bedtime",
                "--pharmacy-config", RIVER, "--label-stock", "letter-2x5", "--labels", OUT,
            ],
            [
                "batch", "ldn-topical-cream", "--quantity", "30 g", "--strength", "1 mg/g", "--date", "2026-03-02",
                "--rx", "1234570", "--patient", "Ann Lee", "--prescriber", "Dr Tomás García",
                "--directions", "Apply 1 click to the inner wrist at bedtime", "--dose", "0.25 mg",
                "--refills", "5", "--pharmacy-config", RIVER, "--label-stock", "letter-2x5", "--labels", OUT,
            ],
        ],
        dpi=100, size=(850, 1100), sheet=True,
    ),
    # guide.md: "A drops label with its dosing schedule in drops" (a 4 x 6 in roll label).
    Picture(
        "guide-drops-label",
        [[
            "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", "2026-03-02",
            "--pharmacy-config", EXAMPLE, "--rx", "104240", "--patient", "Margaret O'Brien",
            "--prescriber", "Dr. Amelia Hart",
            "--directions", "Place under the tongue at bedtime following the dosing schedule",
            "--titration", TITRATION, "--labels", OUT, "--label-stock", "roll-4x6in",
        ]],
        dpi=100, size=(400, 600),
    ),
    # guide.md: "A cream label" (the default 4 x 2.5 in roll label).
    Picture(
        "guide-cream-label",
        [[
            "batch", "ldn-topical-cream", "--quantity", "30 g", "--date", "2026-03-02",
            "--pharmacy-config", EXAMPLE, "--rx", "104251", "--patient", "Tomás Ruiz",
            "--prescriber", "Dr. Amelia Hart", "--directions", "Apply 1 click to the inner wrist at bedtime",
            "--dose", "0.25 mg", "--labels", OUT,
        ]],
        dpi=100, size=(400, 250),
    ),
)  # fmt: skip

LOT_LINE = re.compile(r"^Registered as lot (\S+) ", re.MULTILINE)


class PictureError(Exception):
    """A picture could not be made; the message says which and why."""


def _run(args: Sequence[str], *, cwd: Path, what: str, register: Path | None = None) -> str:
    """Run ``args`` (a program and its arguments); its standard output, or PictureError.

    ``register`` is also given as $LDN_COMPOUND_REGISTER, so no command reaches your own.
    """
    env = dict(os.environ)
    if register is not None:
        env["LDN_COMPOUND_REGISTER"] = str(register)
    done = subprocess.run(  # noqa: S603
        args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", check=False
    )
    if done.returncode != 0:
        shown = " ".join(str(a) for a in args)
        raise PictureError(f"{what}: '{shown}' exited {done.returncode}:\n{done.stderr.strip()}")
    return done.stdout


def _ldn_compound(args: Sequence[str], *, register: Path, folder: Path, what: str) -> str:
    """Run ``python -m ldn_compound ARGS`` into ``register``; batch commands get --register too."""
    full = [sys.executable, "-m", "ldn_compound", *args]
    if args[0] == "batch":
        full += ["--register", str(register)]
    return _run(full, cwd=folder, what=what, register=register)


def _page_count(pdf: Path, what: str) -> int:
    info = _run(["pdfinfo", str(pdf)], cwd=pdf.parent, what=what)
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    if found is None:
        raise PictureError(f"{what}: pdfinfo gave no page count for {pdf.name}")
    return int(found[1])


def _find_page(pdf: Path, text: str, what: str) -> int:
    """The first page of ``pdf`` whose text holds ``text``."""
    for page in range(1, _page_count(pdf, what) + 1):
        words = _run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], cwd=pdf.parent, what=what)
        if text in " ".join(words.split()):
            return page
    raise PictureError(f"{what}: no page of {pdf.name} holds {text!r}")


def _draw_outline(image: Image.Image, dpi: int) -> Image.Image:
    """The label's edge in light grey, with the corners render_labels(outline=True) gives it."""
    image = image.convert("RGB")
    radius = round(OUTLINE_RADIUS_PT * dpi / 72)
    grey = (OUTLINE_GREY,) * 3
    ImageDraw.Draw(image).rounded_rectangle(
        (0, 0, image.width - 1, image.height - 1), radius=radius, outline=grey, width=1
    )
    return image


def _rasterize(pdf: Path, page: int, dpi: int, what: str) -> Image.Image:
    prefix = pdf.parent / f"page{page}"
    _run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(prefix)],
        cwd=pdf.parent,
        what=what,
    )
    with Image.open(pdf.parent / f"page{page}.png") as image:
        image.load()
        return image.copy()


def make(picture: Picture, folder: Path) -> Path:
    """Print ``picture``'s PDF in ``folder`` and write its PNG to docs/images/; the PNG's path."""
    what = f"{picture.name}.png"
    work = folder / picture.name
    work.mkdir()
    (work / "riverside.toml").write_text(RIVERSIDE, encoding="utf-8")
    (work / "riverside-es.toml").write_text(RIVERSIDE_ES, encoding="utf-8")
    register = work / "register.sqlite3"
    places = {
        EXAMPLE: str(EXAMPLE_PHARMACY),
        RIVER: str(work / "riverside.toml"),
        RIVER_ES: str(work / "riverside-es.toml"),
    }
    pdf = work / "picture.pdf"
    lots = []
    for number, command in enumerate(picture.commands, 1):
        out = work / f"{number}.pdf" if picture.sheet else pdf
        args = [str(out) if a == OUT else places.get(a, a) for a in command]
        printed = _ldn_compound(args, register=register, folder=work, what=what)
        lots += LOT_LINE.findall(printed)
    if picture.sheet:
        if len(lots) != len(picture.commands):
            raise PictureError(f"{what}: expected a registered lot from each command, got {lots}")
        _run(
            [sys.executable, "-c", SHEET, str(register), places[RIVER], str(pdf), *lots],
            cwd=work,
            what=what,
            register=register,
        )
    if not pdf.is_file():
        raise PictureError(f"{what}: the command wrote no {pdf.name}")

    pages = [p if isinstance(p, int) else _find_page(pdf, p, what) for p in picture.pages]
    tiles = []
    for page in pages:
        tile = _rasterize(pdf, page, picture.dpi, what)
        tiles.append(_draw_outline(tile, picture.dpi) if picture.outline else tile.convert("RGB"))
    width = sum(t.width for t in tiles) + picture.gap * (len(tiles) - 1)
    height = max(t.height for t in tiles)
    image = Image.new("RGB", (width, height), "white")
    x = 0
    for tile in tiles:
        image.paste(tile, (x, 0))
        x += tile.width + picture.gap
    if image.size != picture.size:
        raise PictureError(f"{what}: got {image.width} x {image.height} pixels, expected {picture.size}")
    target = IMAGES / what
    image.save(target, optimize=True)
    return target


def main(argv: Sequence[str] = ()) -> int:
    """Make the pictures named in ``argv`` (default: all); 0, or 1 after the first failure."""
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            sys.stderr.write(f"error: {tool} not found: install poppler-utils\n")
            return 1
    known = {p.name: p for p in PICTURES}
    unknown = [n for n in argv if n.removesuffix(".png") not in known]
    if unknown:
        sys.stderr.write(f"error: no picture named {', '.join(unknown)} (known: {', '.join(known)})\n")
        return 1
    chosen = [known[n.removesuffix(".png")] for n in argv] or list(PICTURES)
    with tempfile.TemporaryDirectory(prefix="ldn-images-") as name:
        for picture in chosen:
            try:
                target = make(picture, Path(name))
            except PictureError as error:
                sys.stderr.write(f"error: {error}\n")
                return 1
            sys.stdout.write(f"wrote {target.relative_to(DOCS.parent)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

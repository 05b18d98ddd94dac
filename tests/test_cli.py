"""The ``ldn-compound`` command line: every command, every built-in formula, every bench mistake.

Most checks call :func:`ldn_compound.cli.main` in-process (fast, and counted by coverage); a
handful run the installed command as a real subprocess, both as the ``ldn-compound`` console
script and as ``python -m ldn_compound``, to prove the installation, the exit statuses and
that no traceback ever reaches the terminal.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ldn_compound
from ldn_compound import RenderError, calculate_batch, cli, service

DAY = "2026-03-01"
FORMULAS = Path(__file__).parent / "formulas"
QUANTITIES = {
    "ldn-capsules": "100",
    "ldn-oral-liquid": "120 mL",
    "ldn-sublingual-drops": "30 mL",
    "ldn-topical-cream": "30 g",
}
PHARMACY_TOML = """\
[pharmacy]
name = "Riverside Compounding Pharmacy"
address = ["12 Mill Street", "Springfield, IL 62701"]
phone = "(217) 555-0142"
pharmacist = "A. Nowak, PharmD"
"""
PRESCRIPTION = [
    "--rx", "104233",
    "--patient", "Zoë Łukasiewicz-Núñez",
    "--prescriber", "Dr. A. Reyes",
    "--directions", "Take 1 capsule by mouth at bedtime",
]  # fmt: skip


def script() -> str:
    """The installed console script next to this interpreter (or on PATH)."""
    beside = Path(sys.executable).with_name("ldn-compound")
    found = str(beside) if beside.exists() else shutil.which("ldn-compound")
    assert found, "the ldn-compound console script is not installed"
    return found


def run(*args: str, cwd: Path, module: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed command (or ``python -m ldn_compound``) as a subprocess."""
    command = [sys.executable, "-m", "ldn_compound"] if module else [script()]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.fixture
def cli_run(capsys, tmp_path, monkeypatch):
    """Run ``main(args)`` in a fresh working directory; return (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def go(*args: str) -> tuple[int, str, str]:
        status = cli.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return go


def assert_one_error_line(err: str) -> str:
    """stderr is exactly one ``error:`` line, with no traceback; return it."""
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


# ---------------------------------------------------------------- fake renderers


class FakeRenderers:
    """Stand-ins for the PDF renderers: they record their calls and write a small fake PDF."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: dict[str, tuple[tuple[object, ...], dict[str, object]]] = {}
        self.fail = fail

    def get(self, _module: str, name: str):
        def render(*args: object, **kwargs: object) -> None:
            self.calls[name] = (args, kwargs)
            if name == self.fail:
                raise RenderError(f"{name} cannot print this")
            out = args[1]
            assert hasattr(out, "write"), "the command renders into memory first"
            out.write(b"%PDF-1.4 fake " + name.encode())

        return render


@pytest.fixture
def fake_pdf(monkeypatch):
    fake = FakeRenderers()
    monkeypatch.setattr(service, "_renderer", fake.get)
    return fake


# ---------------------------------------------------------------- batch: every built-in formula


@pytest.mark.parametrize("formula", sorted(QUANTITIES))
def test_batch_prints_what_to_measure_for_every_builtin_formula_as_a_subprocess(formula, tmp_path):
    result = run("batch", formula, "--quantity", QUANTITIES[formula], "--date", DAY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    batch = calculate_batch(formula, quantity=QUANTITIES[formula], date=DAY)
    for line in batch.ingredients:
        assert line.name in result.stdout
        assert line.describe_amount() in result.stdout
    assert f"Beyond-use date  {batch.beyond_use_date.isoformat()}" in result.stdout
    assert batch.beyond_use.rule in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_batch_text_for_capsules_has_the_hand_worked_amounts(cli_run):
    status, out, err = cli_run("batch", "ldn-capsules", "--quantity", "100", "--strength", "4.5 mg", "--date", DAY)
    assert (status, err) == (0, "")
    assert "Strength   4.5 mg naltrexone HCl per capsule" in out
    assert "Naltrexone hydrochloride USP" in out
    assert "450 mg" in out  # 4.5 mg × 100
    assert "22.55 g" in out  # (230 mg − 4.5 mg) × 100
    assert "accept 207 mg to 253 mg" in out  # 230 mg ± 10 %
    assert "Beyond-use date  2026-08-28" in out  # 180 days from 2026-03-01
    assert "Warnings" not in out


def test_batch_text_shows_the_aliquot_steps_lots_warnings_and_overrides(cli_run):
    status, out, _ = cli_run(
        "batch", "ldn-capsules", "--quantity", "30", "--strength", "1.5 mg", "--date", DAY,
        "--lot", "naltrexone-hcl=NX2291:2026-05-01", "--lot", "mcc=MC881",
        "--other-medicine", "tramadol", "--override-reason", "stopped tramadol two weeks ago",
    )  # fmt: skip
    assert status == 0
    assert (
        "Aliquot of Naltrexone hydrochloride USP (trituration): weigh 100 mg, dilute to 1 g, take 450 mg (holds 45 mg)"
        in out
    )
    assert "  1. Weigh 100 mg of the active." in out
    assert "NX2291 (expires 2026-05-01)" in out
    assert "Beyond-use date  2026-05-01" in out
    assert "Limited  lot NX2291 of naltrexone-hcl expires 2026-05-01" in out
    assert "opioid-co-medication: stopped tramadol two weeks ago" in out
    assert "! opioid-co-medication:" in out


def test_batch_text_for_drops_shows_the_dose_per_drop_and_tablets(cli_run):
    status, out, _ = cli_run("batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", DAY)
    assert status == 0
    assert "Dose       0.5 mg per drop, 10 mg per mL" in out
    status, out, _ = cli_run("batch", "ldn-oral-liquid", "--quantity", "120 mL", "--tablets", "180", "--date", DAY)
    assert status == 0
    assert "from 3 crushed 50 mg tablets" in out  # 120 mg ÷ 50 mg = 2.4 → 3
    assert "tablet-excipients" in out


def test_batch_overage_and_bud_options_reach_the_calculation(cli_run):
    status, out, _ = cli_run(
        "batch", "ldn-capsules", "--quantity", "100", "--date", DAY, "--overage", "2",
        "--bud-rules", "legacy", "--bud-day-one", "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["overage"] == "2 %"
    assert data["ingredients"][0]["amount"] == "459 mg"  # 450 mg × 1.02
    assert data["beyond_use"]["rule"].startswith("legacy USP <795>")
    assert data["beyond_use_date"] == "2026-08-31"  # 6 months, the compounding day counted as day 1
    status, out, _ = cli_run("batch", "ldn-capsules", "--quantity", "100", "--date", DAY, "--overage", "2")
    assert "Quantity   100 capsules (amounts include 2 % overage)" in out


def test_batch_maps_every_option_onto_calculate_batch(cli_run):
    status, out, _ = cli_run(
        "batch", "ldn-capsules", "--quantity", "60", "--strength", "1.355 mg", "--strength-basis", "base",
        "--assay", "99.2", "--water", "1.5", "--residual-solvent", "0.1", "--balance-readability", "1 mg",
        "--balance-repeatability", "0.5 mg", "--capsule-size", "0", "--packing", "318 mg",
        "--stability", "ijpc-2018-avicel", "--lot-number", "LDN-0301", "--date", DAY, "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    expected = calculate_batch(
        "ldn-capsules", quantity=60, strength="1.355 mg", strength_basis="base", assay=99.2, water=1.5,
        residual_solvent=0.1, balance_readability="1 mg", balance_repeatability="0.5 mg", capsule_size="0",
        packing="318 mg", stability="ijpc-2018-avicel", lot_number="LDN-0301", date=DAY,
    )  # fmt: skip
    assert out == expected.to_json()
    assert data["strength"]["basis"] == "base"
    assert data["capsule"]["size"] == "0"
    assert data["lot_number"] == "LDN-0301"
    assert data["beyond_use"]["days"] == 360


def test_batch_drops_per_ml_and_dose_reach_the_calculation(cli_run):
    status, out, _ = cli_run(
        "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--drops-per-ml", "25", "--dose", "6 mg",
        "--date", DAY, "--json",
    )  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["dose_per_unit"]["drop"] == "0.4 mg"  # 10 mg/mL ÷ 25 drops/mL
    assert [w["code"] for w in data["warnings"]][:1] == ["dose-above-usual"]


def test_batch_json_is_the_python_result_byte_for_byte(cli_run):
    status, out, err = cli_run("batch", "ldn-oral-liquid", "--quantity", "120 mL", "--date", DAY, "--json")
    assert (status, err) == (0, "")
    assert out == calculate_batch("ldn-oral-liquid", quantity="120 mL", date=DAY).to_json()


def test_batch_json_is_byte_identical_across_runs_and_entry_points(tmp_path):
    args = ("batch", "ldn-capsules", "--quantity", "30", "--strength", "1.5 mg", "--date", DAY, "--json")
    first = run(*args, cwd=tmp_path)
    second = run(*args, cwd=tmp_path, module=True)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert first.stdout == calculate_batch("ldn-capsules", quantity=30, strength="1.5 mg", date=DAY).to_json()


def test_batch_json_start_up_imports_neither_reportlab_nor_jsonschema(tmp_path):
    code = (
        "import sys; from ldn_compound.cli import main; "
        "status = main(['batch', 'ldn-capsules', '--quantity', '100', '--json']); "
        "heavy = sorted(m for m in ('reportlab', 'jsonschema', 'ldn_compound.render.record') if m in sys.modules); "
        "sys.stderr.write(repr((status, heavy)))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stderr == "(0, [])"


# ---------------------------------------------------------------- PDFs: the wiring, with stand-in renderers


def test_batch_renders_the_record_and_a_container_label(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-capsules", "--quantity", "100", "--date", DAY, "--record", "record.pdf",
        "--labels", "labels.pdf", "--pharmacy-config", "pharmacy.toml", "--page-size", "a4",
        "--label-stock", "roll-3x2in",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert (tmp_path / "record.pdf").read_bytes() == b"%PDF-1.4 fake render_batch_record"
    assert (tmp_path / "labels.pdf").read_bytes() == b"%PDF-1.4 fake render_labels"
    assert "Compounding record written to record.pdf" in out
    assert "Container label written to labels.pdf" in out
    args, kwargs = fake_pdf.calls["render_batch_record"]
    # a batch that prints is registered: the record carries the lot the register gave it
    assert args[0] == calculate_batch("ldn-capsules", quantity=100, date=DAY, lot_number="L2026-000001")
    assert "Registered as lot L2026-000001 (prepared)" in out
    assert kwargs["page_size"] == "a4"
    assert kwargs["pharmacy"] == ldn_compound.Pharmacy(
        name="Riverside Compounding Pharmacy",
        address=("12 Mill Street", "Springfield, IL 62701"),
        phone="(217) 555-0142",
        pharmacist="A. Nowak, PharmD",
    )
    _, kwargs = fake_pdf.calls["render_labels"]
    assert kwargs["prescriptions"] == ()
    assert kwargs["stock"] == "roll-3x2in"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.pdf", "pharmacy.toml", "record.pdf"]


def test_batch_builds_the_prescription_for_a_patient_label(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, _ = cli_run(
        "batch", "ldn-capsules", "--quantity", "30", "--strength", "3 mg", "--date", DAY, "--labels", "rx.pdf",
        *PRESCRIPTION, "--refills", "2", "--dispense", "30", "--pharmacy-config", "pharmacy.toml",
    )  # fmt: skip
    assert status == 0
    assert "Patient label written to rx.pdf" in out
    _, kwargs = fake_pdf.calls["render_labels"]
    (rx,) = kwargs["prescriptions"]
    assert rx.number == "104233"
    assert rx.patient == "Zoë Łukasiewicz-Núñez"
    assert rx.prescriber == "Dr. A. Reyes"
    assert rx.directions == "Take 1 capsule by mouth at bedtime"
    assert rx.refills == 2
    assert ldn_compound.format_amount(rx.quantity) == "30 capsules"
    assert rx.date_filled.isoformat() == DAY
    assert kwargs["stock"] == "roll-4x2.5in"
    assert kwargs["pharmacy"].name == "Riverside Compounding Pharmacy"


def test_batch_titration_goes_on_the_prescription_and_its_top_dose_is_checked(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, _ = cli_run(
        "batch", "ldn-oral-liquid", "--quantity", "120 mL", "--date", DAY, "--labels", "rx.pdf", "--json",
        "--pharmacy-config", "pharmacy.toml",
        "--rx", "7", "--patient", "P. Patient", "--prescriber", "Dr. B", "--directions", "Take by mouth at bedtime following the dosing schedule",
        "--titration", "1.5 mg for 7 days, 3 mg for 7 days, then 6 mg",
    )  # fmt: skip
    assert status == 0
    assert [w["code"] for w in json.loads(out)["warnings"]] == ["dose-above-usual"]  # 6 mg > 4.5 mg
    (rx,) = fake_pdf.calls["render_labels"][1]["prescriptions"]
    steps = [(ldn_compound.format_amount(step.dose), step.days) for step in rx.titration]
    assert steps == [("1.5 mg", 7), ("3 mg", 7), ("6 mg", None)]


def test_mfr_renders_the_master_formulation_record(cli_run, fake_pdf, tmp_path):
    status, out, err = cli_run("mfr", "ldn-oral-liquid", "--strength", "2 mg/mL", "-o", "mfr.pdf")
    assert (status, err) == (0, "")
    assert out == "Master formulation record of ldn-oral-liquid v1.0 written to mfr.pdf\n"
    assert (tmp_path / "mfr.pdf").read_bytes() == b"%PDF-1.4 fake render_master_formula"
    args, kwargs = fake_pdf.calls["render_master_formula"]
    assert args[0] == ldn_compound.load_formula("ldn-oral-liquid")
    assert kwargs == {"strength": "2 mg/mL", "pharmacy": None, "page_size": "letter"}


@pytest.mark.parametrize("failing", ["render_batch_record", "render_labels"])
def test_a_render_error_leaves_no_file_at_all(cli_run, monkeypatch, tmp_path, failing):
    fake = FakeRenderers(fail=failing)
    monkeypatch.setattr(service, "_renderer", fake.get)
    status, out, err = cli_run(
        "batch", "ldn-capsules", "--quantity", "100", "--record", "record.pdf", "--labels", "labels.pdf"
    )
    line = assert_one_error_line(err)
    option = "--record" if failing == "render_batch_record" else "--labels"
    assert line == f'error: {option} "{option[2:]}.pdf": {failing} cannot print this'
    assert (status, out) == (2, "")
    assert list(tmp_path.iterdir()) == []


def test_writing_is_all_or_nothing(tmp_path):
    files = [("--record", tmp_path / "record.pdf", b"one"), ("--labels", tmp_path / "gone" / "labels.pdf", b"two")]
    with pytest.raises(cli._CommandError) as caught:
        cli._write_files(files)
    assert caught.value.status == 1
    assert caught.value.message.startswith(f'--labels "{tmp_path / "gone" / "labels.pdf"}": cannot write: ')
    assert list(tmp_path.iterdir()) == []


def test_a_missing_renderer_is_reported_with_status_1(cli_run, monkeypatch):
    with pytest.raises(service.DocumentUnavailableError) as caught:
        service._renderer("ldn_compound.render.no_such_module", "render")
    assert caught.value.code == "pdf-unavailable"
    assert "PDF output is not available" in str(caught.value)

    def missing(module: str, name: str) -> None:
        raise service.DocumentUnavailableError(f"PDF output is not available in this installation ({module}.{name})")

    monkeypatch.setattr(service, "_renderer", missing)
    status, out, err = cli_run("batch", "ldn-capsules", "--quantity", "30", "--record", "r.pdf")
    assert (status, out) == (1, "")
    assert assert_one_error_line(err).startswith("error: PDF output is not available")


# ---------------------------------------------------------------- PDFs: the real renderers, once they exist


def test_main_job_writes_a_record_and_labels_as_a_subprocess(tmp_path):
    pytest.importorskip("ldn_compound.render.record")
    pytest.importorskip("ldn_compound.render.labels")
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    result = run(
        "batch", "ldn-capsules", "--quantity", "100", "--strength", "4.5 mg", "--date", DAY,
        "--record", "record.pdf", "--labels", "labels.pdf", "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "record.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.pdf", "pharmacy.toml", "record.pdf"]


@pytest.mark.parametrize("formula", sorted(QUANTITIES))
def test_real_record_and_container_label_for_every_builtin_formula(cli_run, tmp_path, formula):
    pytest.importorskip("ldn_compound.render.record")
    pytest.importorskip("ldn_compound.render.labels")
    status, _, err = cli_run(
        "batch", formula, "--quantity", QUANTITIES[formula], "--date", DAY, "--record", "r.pdf", "--labels", "l.pdf"
    )
    assert (status, err) == (0, "")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "l.pdf").read_bytes().startswith(b"%PDF")


def test_a_real_patient_label_in_spanish(cli_run, tmp_path):
    import pypdf

    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-capsules", "--quantity", "30", "--date", DAY, "--labels", "l.pdf",
        "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION[:-2], "--sig", "1 cap po qhs", "--language", "es",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert "Patient label written to l.pdf" in out
    text = " ".join(pypdf.PdfReader(tmp_path / "l.pdf").pages[0].extract_text().split())
    assert text.startswith("Tome 1 cápsula por vía oral al acostarse Zoë Łukasiewicz-Núñez")
    assert "Deseche después del 28 ago 2026" in text


def test_real_mfr_as_a_subprocess(tmp_path):
    pytest.importorskip("ldn_compound.render.record")
    result = run("mfr", "ldn-capsules", "--strength", "1.5 mg", "-o", "mfr.pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mfr.pdf").read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------- formulas and show


def test_formulas_lists_the_builtin_formulas_as_a_subprocess(tmp_path):
    result = run("formulas", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "Version", "Form", "Default", "strength", "Range", "Name"]
    assert [line.split()[0] for line in lines[1:]] == sorted(QUANTITIES)
    assert "ldn-oral-liquid       1.0      oral-liquid       1 mg/mL naltrexone HCl" in result.stdout


def test_formulas_with_a_pharmacy_folder_adds_its_formulas_and_their_source(cli_run, tmp_path):
    folder = tmp_path / "ours"
    folder.mkdir()
    text = (FORMULAS.parent.parent / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    (folder / "lactose-free.toml").write_text(text.replace('id = "ldn-capsules"', 'id = "ldn-capsules-ours"'), "utf-8")
    status, out, _ = cli_run("formulas", "--dir", "ours")
    assert status == 0
    assert "ldn-capsules-ours" in out
    assert str(Path("ours") / "lactose-free.toml") in out
    status, out, _ = cli_run("batch", "ldn-capsules-ours", "--dir", "ours", "--quantity", "10", "--json")
    assert status == 0
    assert json.loads(out)["formula"]["id"] == "ldn-capsules-ours"
    status, out, _ = cli_run("formulas", "--dir", "ours", "--json")
    assert [f["id"] for f in json.loads(out)["formulas"]] == [
        *sorted(QUANTITIES)[:1],
        "ldn-capsules-ours",
        *sorted(QUANTITIES)[1:],
    ]


@pytest.mark.parametrize("formula", sorted(QUANTITIES))
def test_show_describes_every_builtin_formula(cli_run, formula):
    status, out, err = cli_run("show", formula)
    assert (status, err) == (0, "")
    loaded = ldn_compound.load_formula(formula)
    assert out.startswith(f"{formula} v{loaded.version}: {loaded.name}\n")
    for component in loaded.components:
        assert component.id in out
        assert component.name in out
    assert f"BUD class        {loaded.preparation_class.value}: USP <795> (2023) at most" in out
    assert loaded.strength.describe() in out


def test_show_with_a_strength_adds_the_reference_batch(cli_run):
    status, out, _ = cli_run("show", "ldn-capsules", "--strength", "1.5 mg")
    assert status == 0
    assert "Reference batch: 100 capsules at 1.5 mg naltrexone HCl" in out
    assert "150 mg" in out  # 1.5 mg × 100
    status, out, _ = cli_run("show", "ldn-capsules", "--strength", "1.5 mg", "--json")
    reference = json.loads(out)["reference_batch"]
    assert reference["quantity"] == "100 capsules"
    assert reference["ingredients"][0] == {
        "id": "naltrexone-hcl",
        "name": "Naltrexone hydrochloride USP",
        "role": "active",
        "amount": "150 mg",
        "measure": "weigh",
        "qs": False,
    }


def test_show_json_and_a_formula_file_by_path_as_a_subprocess(tmp_path):
    path = FORMULAS.parent.parent / "formulas" / "ldn-topical-cream.toml"
    result = run("show", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["schema"] == "ldn-compound/formula/1"
    assert data["id"] == "ldn-topical-cream"
    assert "reference_batch" not in data


# ---------------------------------------------------------------- help, version, entry points


def test_python_dash_m_and_the_console_script_agree_on_the_version(tmp_path):
    by_script = run("--version", cwd=tmp_path)
    by_module = run("--version", cwd=tmp_path, module=True)
    assert by_script.stdout == by_module.stdout == f"ldn-compound {ldn_compound.__version__}\n"


def test_batch_help_lists_every_option_of_the_issue(cli_run):
    status, out, _ = cli_run("batch", "--help")
    assert status == 0
    for option in (
        "--quantity", "--strength", "--strength-basis", "--overage", "--potency", "--assay", "--water",
        "--tablets", "--balance-readability", "--lot", "--date", "--record", "--labels", "--patient", "--rx",
        "--prescriber", "--directions", "--refills", "--pharmacy-config", "--json",
    ):  # fmt: skip
        assert option in out
    for command in ("formulas", "show", "mfr"):
        assert cli_run(command, "--help")[0] == 0


# ---------------------------------------------------------------- errors, as a subprocess


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "ldn-capsules", "--quantity", "100", "--colour", "red"], "error: unknown option --colour for batch"),
        (
            ["batch", "ldn-capsules", "--quantity", "100", "--strength", "4.5 mL"],
            "error: --strength \"4.5 mL\": strength must be a mass per capsule, e.g. '4.5 mg', not a volume",
        ),
        (["batch", "ldn-capsules", "--quantity", "-5"], 'error: --quantity "-5": quantity must be greater than zero'),
        (["batch", "ldn-capsule", "--quantity", "100"], "did you mean 'ldn-capsules'?"),
        (
            ["batch", str(FORMULAS / "bad.not-toml.toml"), "--quantity", "100"],
            f"error: formula file {FORMULAS / 'bad.not-toml.toml'} is not valid TOML",
        ),
        (
            ["batch", "ldn-capsules", "--quantity", "100", "--record", "missing/record.pdf"],
            'error: --record "missing/record.pdf": the directory missing does not exist',
        ),
    ],
)
def test_errors_from_the_installed_command(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert assert_one_error_line(result.stderr).startswith(message) or message in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- errors, in-process: one line, status 2, no file

BATCH = ["batch", "ldn-capsules", "--quantity", "100"]
LIQUID = ["batch", "ldn-oral-liquid", "--quantity", "120 mL"]
LABELS = [*BATCH, "--labels", "labels.pdf"]
RX = [*PRESCRIPTION, "--pharmacy-config", "a-file"]  # a-file: a valid pharmacy config made by the test
LIQUID_RX = [*PRESCRIPTION[:-1], "Take by mouth at bedtime as on the dosing schedule", "--pharmacy-config", "a-file"]

ERRORS = [
    # usage
    pytest.param([*BATCH, "--quantit", "5"], "error: unknown option --quantit for batch; did you mean --quantity?", id="misspelt-option"),
    pytest.param(["batch", "ldn-capsules"], "error: the following arguments are required: --quantity (see 'ldn-compound batch --help')", id="missing-quantity"),
    pytest.param(["compound"], "error: COMMAND: invalid choice: 'compound'", id="unknown-command"),
    pytest.param([], "error: the following arguments are required: COMMAND", id="no-command"),
    pytest.param([*BATCH, "--strength-basis", "salt"], "error: --strength-basis: invalid choice: 'salt'", id="bad-basis"),
    pytest.param([*BATCH, "--quantity"], "error: --quantity: expected one argument", id="option-without-value"),
    pytest.param([*BATCH, "extra"], "error: unrecognized arguments: extra (see 'ldn-compound batch --help')", id="extra-argument"),
    pytest.param([*BATCH, "--", "--json"], "error: unrecognized arguments: -- --json (see 'ldn-compound batch --help')", id="after-double-dash"),
    # numbers and units
    pytest.param(["batch", "ldn-capsules", "--quantity", "abc"], 'error: --quantity "abc": quantity must be a number followed by a unit', id="quantity-not-a-number"),
    pytest.param(["batch", "ldn-capsules", "--quantity", "0"], 'error: --quantity "0": quantity must be greater than zero', id="zero-capsules"),
    pytest.param(["batch", "ldn-capsules", "--quantity", "12.5"], 'error: --quantity "12.5": quantity must be a whole number of capsules', id="fraction-of-capsules"),
    pytest.param(["batch", "ldn-capsules", "--quantity", "100 mL"], 'error: --quantity "100 mL": quantity must be a number of capsules, e.g. \'100\', not a volume', id="capsules-by-volume"),
    pytest.param(["batch", "ldn-oral-liquid", "--quantity", "120"], 'error: --quantity "120": quantity must carry a unit: a volume, e.g. \'120 mL\'', id="liquid-without-unit"),
    pytest.param(["batch", "ldn-oral-liquid", "--quantity", "-120 mL"], 'error: --quantity "-120 mL": quantity must be greater than zero', id="negative-volume"),
    pytest.param(["batch", "ldn-topical-cream", "--quantity", "30 mL"], 'error: --quantity "30 mL": quantity must be a mass', id="cream-by-volume"),
    pytest.param([*BATCH, "--strength", "4.5 mgg"], 'error: --strength "4.5 mgg": strength must use units ldn_compound knows', id="unknown-unit"),
    pytest.param([*LIQUID, "--strength", "1 mg"], 'error: --strength "1 mg": strength must be a mass per volume, e.g. \'1 mg/mL\', not a mass', id="liquid-strength-as-mass"),
    pytest.param([*BATCH, "--balance-readability", "0.1 mL"], 'error: --balance-readability "0.1 mL": balance readability must be a mass', id="readability-volume"),
    pytest.param([*BATCH, "--tablets", "20"], 'error: --tablets "20": tablet weight must be at least the 50 mg', id="tablets-too-light"),
    pytest.param([*BATCH, "--tablets", "heavy"], 'error: --tablets "heavy": tablet weight must be a number followed by a unit', id="tablets-not-a-number"),
    # ranges
    pytest.param([*BATCH, "--strength", "50 mg"], 'error: --strength "50 mg": strength must be within the formula\'s range, 0.1 mg to 10 mg naltrexone HCl', id="strength-above-range"),
    pytest.param([*LIQUID, "--strength", "0.01 mg/mL"], "error: --strength \"0.01 mg/mL\": strength must be within the formula's range, 0.1 mg/mL to 5 mg/mL", id="strength-below-range"),
    pytest.param([*BATCH, "--potency", "120"], 'error: --potency "120": potency must be from 90 % to 102 %', id="potency-above-100"),
    pytest.param([*BATCH, "--potency", "0"], 'error: --potency "0": potency must be from 90 % to 102 %', id="potency-zero"),
    pytest.param([*BATCH, "--potency", "-3"], 'error: --potency "-3": potency must be from 90 % to 102 %', id="potency-negative"),
    pytest.param([*BATCH, "--potency", "0.9771"], 'error: --potency "0.9771": potency must be from 90 % to 102 % (the as-is potency from the certificate of analysis, in percent, e.g. 97.71)', id="potency-as-a-fraction"),
    pytest.param([*BATCH, "--potency", "high"], 'error: --potency "high": potency must be a number', id="potency-not-a-number"),
    pytest.param([*BATCH, "--assay", "99", "--water", "100"], 'error: --water "100": water must be at least 0 % and at most 10 %', id="water-100"),
    pytest.param([*BATCH, "--water", "1.5"], 'error: --water "1.5": water must be given with an assay', id="water-without-assay"),
    pytest.param([*BATCH, "--potency", "99", "--assay", "99"], 'error: --potency "99": potency must not be given together with an assay', id="potency-and-assay"),
    pytest.param([*BATCH, "--overage", "80"], 'error: --overage "80": overage must', id="overage-too-large"),
    pytest.param([*BATCH, "--overage", "-2"], 'error: --overage "-2": overage must', id="overage-negative"),
    pytest.param([*BATCH, "--capsule-size", "7"], 'error: --capsule-size "7": capsule size must be one of 000, 00, 0, 1, 2, 3, 4, 5', id="capsule-size"),
    pytest.param([*BATCH, "--strength", "10 mg", "--packing", "5 mg"], "use a larger --capsule-size", id="capsule-overfill"),
    pytest.param([*BATCH, "--stability", "forever"], 'error: --stability "forever": stability must name stability evidence of ldn-capsules (known: ijpc-2018-avicel)', id="unknown-stability"),
    pytest.param([*BATCH, "--lot-number", "lot 1"], 'error: --lot-number "lot 1": lot number must be 1 to 40 letters', id="lot-number"),
    # lots and dates
    pytest.param([*BATCH, "--lot", "NX2291"], 'error: --lot "NX2291": lot must be ID=LOT or ID=LOT:YYYY-MM-DD, e.g. naltrexone-hcl=NX2291:2027-06-30', id="lot-without-id"),
    pytest.param([*BATCH, "--lot", "mcc="], 'error: --lot "mcc=": lot must be ID=LOT or ID=LOT:YYYY-MM-DD', id="lot-empty"),
    pytest.param([*BATCH, "--lot", "mcc=MC1:2027-13-01"], 'error: --lot "mcc=MC1:2027-13-01": lot mcc expiry must be a date written YYYY-MM-DD', id="lot-expiry-not-a-date"),
    pytest.param([*BATCH, "--lot", "lactose=L1"], 'error: --lot "lactose=L1": lot must name a component of ldn-capsules: naltrexone-hcl, mcc', id="lot-unknown-component"),
    pytest.param([*BATCH, "--lot", "mcc=A", "--lot", "mcc=B"], 'error: --lot "mcc=A": lot must be given once per component', id="lot-twice"),
    pytest.param([*BATCH, "--date", DAY, "--lot", "mcc=MC1:2026-01-31"], 'error: --lot "mcc=MC1:2026-01-31": lot mcc=MC1 expiry must not be before the compounding date', id="lot-expired"),
    pytest.param([*BATCH, "--date", "2026-02-30"], 'error: --date "2026-02-30": date must be a date written YYYY-MM-DD, e.g. 2026-03-01', id="date-not-a-day"),
    pytest.param([*BATCH, "--date", "01/03/2026"], 'error: --date "01/03/2026": date must be a date written YYYY-MM-DD', id="date-wrong-format"),
    pytest.param([*BATCH, "--date", "tomorrow"], 'error: --date "tomorrow": date must be a date written YYYY-MM-DD', id="date-a-word"),
    # safety
    pytest.param([*BATCH, "--other-medicine", "OxyContin (oxycodone)"], 'error: --other-medicine "OxyContin (oxycodone)": other medicines must not include opioids (OxyContin (oxycodone): oxycodone)', id="opioid"),
    pytest.param([*LIQUID, "--dose", "12 mg"], 'error: --dose "12 mg": dose must be at most 10 mg naltrexone HCl for low-dose naltrexone, unless overridden with a reason; to go ahead, give --high-dose-reason REASON', id="dose-above-limit"),
    pytest.param([*BATCH, "--override-reason", "ok"], "error: --override-reason: goes with --other-medicine", id="override-alone"),
    pytest.param([*BATCH, "--other-medicine", "Percocet 5/325"], 'error: --other-medicine "Percocet 5/325": other medicines must not include opioids (Percocet 5/325: oxycodone)', id="opioid-brand"),
    pytest.param([*BATCH, "--other-medicine", "percoset"], 'error: --other-medicine "percoset": other medicines must name each medicine exactly: it is close to Percocet (oxycodone) but not it (did you mean Percocet (oxycodone)?); correct it, or give --unclear-medicine-reason REASON', id="medicine-unclear"),
    pytest.param([*BATCH, "--other-medicine", "rxcui:x"], 'error: --other-medicine "rxcui:x": other medicines must give an RxNorm ingredient RxCUI', id="medicine-code"),
    pytest.param([*BATCH, "--unclear-medicine-reason", "ok"], "error: --unclear-medicine-reason: goes with --other-medicine", id="unclear-alone"),
    pytest.param([*BATCH, "--other-medicine", "tramadol", "--override-reason", " "], 'error: --override-reason " ": must give the reason', id="override-blank"),
    # options that do not fit the formula or the output
    pytest.param([*LIQUID, "--capsule-size", "1"], "error: --capsule-size: applies only to capsules; ldn-oral-liquid is oral liquid", id="capsule-size-for-liquid"),
    pytest.param([*BATCH, "--dose", "13.5 mg"], 'error: --dose "13.5 mg": dose must be at most 10 mg naltrexone HCl for low-dose naltrexone, unless overridden with a reason', id="dose-for-capsules"),
    pytest.param([*BATCH, "--drops-per-ml", "20"], "error: --drops-per-ml: applies only to sublingual drops", id="drops-for-capsules"),
    pytest.param([*BATCH, "--patient", "Ann"], "error: --patient: is for labels; add --labels", id="prescription-without-labels"),
    pytest.param([*BATCH, "--page-size", "a4"], "error: --page-size: is for the record; add --record", id="page-size-without-record"),
    pytest.param([*BATCH, "--pharmacy-config", "p.toml"], "error: --pharmacy-config: is printed on records and labels", id="config-without-pdf"),
    pytest.param([*LABELS, "--patient", "Ann", "--rx", "1"], "error: --prescriber: a patient label needs --rx, --patient, --prescriber, --directions; missing --prescriber, --directions", id="partial-prescription"),
    pytest.param([*LABELS, "--refills", "2"], "error: --rx: a patient label needs --rx, --patient, --prescriber, --directions; missing --rx, --patient, --prescriber, --directions", id="refills-alone"),
    pytest.param([*LABELS, *RX, "--refills", "two"], 'error: --refills "two": must be a whole number from 0 to 99', id="refills-not-a-number"),
    pytest.param([*LABELS, *RX, "--dispense", "200"], 'error: --dispense "200": dispensed quantity must be at most the batch, 100 capsules', id="dispense-more-than-batch"),
    pytest.param([*LABELS, *RX, "--dispense", "30 mL"], 'error: --dispense "30 mL": dispensed quantity must be a number of capsules', id="dispense-volume"),
    pytest.param([*LABELS, *PRESCRIPTION[:-1], "  "], 'error: --directions "  ": must not be empty', id="blank-directions"),
    pytest.param([*LABELS, *PRESCRIPTION], "error: --pharmacy-config: is needed for a patient label", id="patient-label-without-pharmacy"),
    pytest.param([*LABELS, *RX, "--titration", "1 mg for 7 days"], "error: --titration: applies only to oral liquid and sublingual drops", id="titration-for-capsules"),
    pytest.param([*LIQUID, "--labels", "l.pdf", *RX, "--titration", "1 mg, 2 mg"], 'error: --titration "1 mg, 2 mg": titration must give a number of days', id="titration-syntax"),
    pytest.param([*LIQUID, "--labels", "l.pdf", *LIQUID_RX, "--titration", "1.55 mg for 7 days, 3 mg"], 'error: --titration "1.55 mg for 7 days, 3 mg": titration dose must be a whole number of 0.1 mL graduations', id="titration-unmeasurable"),
    pytest.param([*LIQUID, "--labels", "l.pdf", *LIQUID_RX, "--titration", "3 mg for 7 days, 12 mg"], "to go ahead, give --high-dose-reason REASON", id="titration-above-limit"),
    pytest.param([*LABELS, "--label-stock", "roll-9x9in"], 'error: --label-stock "roll-9x9in": stock must be one of', id="unknown-stock"),
    pytest.param([*BATCH, "--language", "es"], "error: --language: is for labels; add --labels", id="language-without-labels"),
    pytest.param([*LABELS, "--language", "es"], 'error: --language "es": is the language of a patient label (a container label stays in the pharmacy\'s language); add the prescription: --rx, --patient, --prescriber, --directions', id="language-for-a-container-label"),
    pytest.param([*LABELS, *RX, "--language", "fr"], 'error: --language "fr": must be a label language: en (English), es (Spanish)', id="unknown-language"),
    pytest.param([*LABELS, *RX[:-3], "Take one at night", "--directions-unchecked", "as written", "--pharmacy-config", "a-file", "--language", "es"], 'error: --directions "Take one at night": are printed unchecked (--directions-unchecked), in English only: a label in Spanish prints directions the library has read, from --sig or --directions it understands', id="unchecked-directions-in-spanish"),
    # formulas
    pytest.param(["batch", "ldn-capsule", "--quantity", "100"], "error: FORMULA \"ldn-capsule\": must be a formula id or the path of a formula file (*.toml); known ids: ldn-capsules, ldn-oral-liquid, ldn-sublingual-drops, ldn-topical-cream; did you mean 'ldn-capsules'?", id="unknown-formula"),
    pytest.param(["show", "naltrexone"], "known ids: ldn-capsules, ldn-oral-liquid, ldn-sublingual-drops, ldn-topical-cream", id="unknown-formula-show"),
    pytest.param(["batch", "", "--quantity", "100"], 'error: FORMULA "": must be a formula id', id="empty-formula"),
    pytest.param(["batch", "missing.toml", "--quantity", "100"], "error: formula file missing.toml cannot be read: No such file or directory", id="formula-file-missing"),
    pytest.param(["batch", "./", "--quantity", "100"], "error: formula file . cannot be read:", id="formula-is-a-directory"),
    pytest.param(["batch", str(FORMULAS / "bad.unknown-key.toml"), "--quantity", "100"], f"error: formula file {FORMULAS / 'bad.unknown-key.toml'}: $.colour: is not a known key", id="formula-file-invalid"),
    pytest.param(["show", str(FORMULAS / "bad.not-toml.toml")], "is not valid TOML", id="formula-file-not-toml"),
    pytest.param(["formulas", "--dir", "nowhere"], 'error: --dir "nowhere": does not exist; give the folder that holds your formula files (*.toml)', id="dir-missing"),
    pytest.param(["show", "ldn-capsules", "--strength", "1 mg/mL"], 'error: --strength "1 mg/mL": strength must be a mass per capsule', id="show-strength-dimension"),
    pytest.param(["mfr", "ldn-capsules", "--strength", "11 mg", "-o", "mfr.pdf"], 'error: --strength "11 mg": strength must be within the formula\'s range', id="mfr-strength-range"),
    pytest.param(["mfr", "ldn-capsules"], "error: the following arguments are required: -o/--output (see 'ldn-compound mfr --help')", id="mfr-without-output"),
    # output paths
    pytest.param([*BATCH, "--record", "nowhere/record.pdf"], 'error: --record "nowhere/record.pdf": the directory nowhere does not exist', id="record-directory-missing"),
    pytest.param([*BATCH, "--labels", "a-file/labels.pdf"], 'error: --labels "a-file/labels.pdf": a-file is not a directory', id="labels-under-a-file"),
    pytest.param([*BATCH, "--record", "."], 'error: --record ".": is a directory; give a file name', id="record-is-a-directory"),
    pytest.param([*BATCH, "--record", ""], 'error: --record "": must name a file', id="record-empty"),
    pytest.param([*BATCH, "--record", "same.pdf", "--labels", "./same.pdf"], 'error: --labels "same.pdf": is also the --record file', id="same-output-twice"),
    pytest.param([*BATCH, "--record", "a-file", "--pharmacy-config", "a-file"], 'error: --record "a-file": would overwrite the pharmacy config file', id="output-over-input"),
    pytest.param(["mfr", "ldn-capsules", "-o", "nowhere/mfr.pdf"], 'error: -o "nowhere/mfr.pdf": the directory nowhere does not exist', id="mfr-output-directory-missing"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_every_mistake_is_one_error_line_with_status_2_and_no_file(cli_run, tmp_path, args, message):
    (tmp_path / "a-file").write_text("[pharmacy]\nname = 'x'\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = cli_run(*args)
    line = assert_one_error_line(err)
    assert line.startswith(message) or message in line, line
    assert (status, out) == (2, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ---------------------------------------------------------------- pharmacy config errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pharmacy\n", "is not valid TOML"),
        ("[pharmacy]\nphone = '1'\n", "$.pharmacy.name: is required"),
        ("[pharmacy]\nname = 'X'\naddress = '1 Main St'\n", "$.pharmacy.address: must be a list of lines"),
        (
            "[pharmacy]\nname = 'X'\nfax = '1'\n",
            "$.pharmacy.fax: is not a known key (known: name, address, phone, pharmacist)",
        ),
        (
            "[pharmacie]\nname = 'X'\n",
            "has 2 problems: $.pharmacie: is not a known key (known: pharmacy, settings); $.pharmacy: is required",
        ),
    ],
)
def test_a_bad_pharmacy_config_is_one_error_line_naming_the_key(cli_run, tmp_path, text, message):
    (tmp_path / "pharmacy.toml").write_text(text, encoding="utf-8")
    status, out, err = cli_run(*BATCH, "--record", "r.pdf", "--pharmacy-config", "pharmacy.toml")
    line = assert_one_error_line(err)
    assert line.startswith("error: --pharmacy-config: pharmacy config pharmacy.toml")
    assert message in line
    assert (status, out) == (2, "")
    assert not (tmp_path / "r.pdf").exists()


def test_a_missing_pharmacy_config_is_reported(cli_run):
    status, _, err = cli_run(*BATCH, "--record", "r.pdf", "--pharmacy-config", "nowhere.toml")
    assert status == 2
    assert assert_one_error_line(err) == (
        "error: --pharmacy-config: pharmacy config nowhere.toml cannot be read: No such file or directory"
    )


# ---------------------------------------------------------------- the last-resort handlers


def test_an_unexpected_exception_is_an_internal_error_line_with_status_1(cli_run, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(service, "calculate_batch", broken)
    status, out, err = cli_run(*BATCH)
    assert assert_one_error_line(err) == "error: internal error: RuntimeError: boom second line"
    assert (status, out) == (1, "")


def test_an_os_error_is_reported_with_status_1(cli_run, monkeypatch):
    def unreadable(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/srv/formulas")

    monkeypatch.setattr(service, "load_formulas", unreadable)
    status, _, err = cli_run("formulas")
    assert assert_one_error_line(err) == "error: cannot read or write /srv/formulas: Permission denied"
    assert status == 1


def test_an_interrupt_is_one_line_with_status_130(cli_run, monkeypatch):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "load_formulas", interrupted)
    status, _, err = cli_run("formulas")
    assert (status, err) == (130, "error: interrupted\n")


def test_an_error_that_cannot_be_described_falls_back_to_its_own_message():
    class Odd(ldn_compound.InputError):
        @property
        def field(self) -> str:
            raise AttributeError("no field")

        @field.setter
        def field(self, value: str) -> None:
            pass

    assert cli._describe(Odd("x", 1, "be odd"), None) == "x must be odd (got 1)"


def test_a_capsule_dose_above_the_limit_needs_a_reason(cli_run, tmp_path):
    text = (FORMULAS.parent.parent / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    high = text.replace('default = "4.5 mg"', 'default = "12 mg"').replace('maximum = "10 mg"', 'maximum = "20 mg"')
    (tmp_path / "high.toml").write_text(high.replace('id = "ldn-capsules"', 'id = "ldn-capsules-high"'), "utf-8")
    status, _, err = cli_run("batch", "high.toml", "--quantity", "10")
    assert status == 2
    assert assert_one_error_line(err) == (
        "error: dose must be at most 10 mg naltrexone HCl for low-dose naltrexone, unless overridden with a reason "
        '(got "12 mg naltrexone HCl"); to go ahead, give --high-dose-reason REASON'
    )
    status, _, err = cli_run("batch", "high.toml", "--quantity", "10", "--strength", "15 mg")
    assert assert_one_error_line(err).startswith('error: --strength "15 mg": dose must be at most 10 mg')
    status, out, _ = cli_run("batch", "high.toml", "--quantity", "10", "--high-dose-reason", "pain clinic protocol")
    assert status == 0
    assert "dose-above-limit: pain clinic protocol" in out


def test_an_unwritable_output_directory_is_refused_before_anything_is_calculated(cli_run, monkeypatch):
    monkeypatch.setattr(cli.os, "access", lambda *_: False)
    status, _, err = cli_run(*BATCH, "--record", "record.pdf")
    assert assert_one_error_line(err) == 'error: --record "record.pdf": the directory . is not writable'
    assert status == 2


@pytest.mark.parametrize("failure", ["write", "replace"])
def test_a_failed_write_is_status_1_and_leaves_nothing(cli_run, monkeypatch, fake_pdf, tmp_path, failure):
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    if failure == "write":
        monkeypatch.setattr(cli.os, "fsync", fail)
    else:
        monkeypatch.setattr(cli.Path, "replace", fail)
    status, out, err = cli_run(*BATCH, "--record", "record.pdf")
    assert assert_one_error_line(err) == 'error: --record "record.pdf": cannot write: No space left on device'
    assert (status, out) == (1, "")
    assert list(tmp_path.iterdir()) == []


def test_renderers_are_imported_by_name():
    assert service._renderer("json", "dumps") is json.dumps


def test_json_goes_to_a_stream_without_a_byte_buffer(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    assert cli.main(["formulas", "--json"]) == 0
    assert json.loads(stream.getvalue())["schema"] == "ldn-compound/formulas/1"


def test_other_package_errors_print_their_own_message():
    assert cli._describe(RenderError("the font has no glyph for U+1F600"), None) == "the font has no glyph for U+1F600"


def test_directions_too_long_for_the_stock_leave_no_record_behind(cli_run, tmp_path):
    pytest.importorskip("ldn_compound.render.record")
    pytest.importorskip("ldn_compound.render.labels")
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    directions = "Take 1 capsule by mouth at bedtime, " * 12
    status, out, err = cli_run(
        *BATCH, "--record", "record.pdf", "--labels", "labels.pdf", "--label-stock", "roll-3x2in",
        *PRESCRIPTION[:-1], directions, "--pharmacy-config", "pharmacy.toml",
        "--directions-unchecked", "long directions, to test the fit",
    )  # fmt: skip
    line = assert_one_error_line(err)
    assert line.startswith('error: --labels "labels.pdf": directions must fit label stock roll-3x2in')
    assert (status, out) == (2, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pharmacy.toml"]


# ---------------------------------------------------------------- the documented examples are real output

DOCS = Path(__file__).parent.parent / "docs"
CHECKED = re.compile(r"<!-- checked: (?P<args>.*?) -->\n```(?:text|json)\n(?P<output>.*?)```", re.DOTALL)
EXAMPLES = [
    pytest.param(match["args"], match["output"], id=f"{page}-{number}")
    for page in ("cli.md", "json.md", "guide.md")
    if (DOCS / page).exists()
    for number, match in enumerate(CHECKED.finditer((DOCS / page).read_text(encoding="utf-8")), 1)
]


def test_the_docs_have_checked_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize(("args", "output"), EXAMPLES)
def test_documented_output_is_what_the_command_prints(cli_run, args, output):
    status, out, err = cli_run(*shlex.split(args))
    assert (status, err) == (0, "")
    assert out == output


def test_a_patient_label_for_a_liquid_needs_a_dose_or_titration(cli_run, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    args = ["batch", "ldn-oral-liquid", "--quantity", "100 mL", "--date", DAY, "--labels", "labels.pdf",
            "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION[:-1], "Take by mouth at bedtime"]  # fmt: skip
    status, out, err = cli_run(*args)
    line = assert_one_error_line(err)
    assert line.startswith('error: --directions "Take by mouth at bedtime": directions must state the amount')
    assert (status, out) == (2, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pharmacy.toml"]
    status, _, err = cli_run(*args, "--dose", "12 mg")
    assert status == 2
    assert "dose must be at most 10 mg" in assert_one_error_line(err)
    status, _, err = cli_run(*args, "--dose", "1 mg", "--titration", "1 mg for 7 days, then 6 mg")
    assert status == 2
    assert "the dose says 1 mg naltrexone HCl, the titration's highest dose is 6 mg" in assert_one_error_line(err)
    status, _, err = cli_run(*args, "--titration", "1 mg for 7 days, then 6 mg")
    assert (status, err) == (0, "")
    unreadable = [*args[:-1], "Take a spoonful at night", "--directions-unchecked", "prescriber's wording"]
    status, _, err = cli_run(*unreadable)
    assert status == 2
    assert assert_one_error_line(err).startswith("error: --dose: is needed for a patient label for oral liquid")


def test_the_highest_of_dose_and_titration_is_checked(cli_run, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-oral-liquid", "--quantity", "100 mL", "--date", DAY, "--json", "--dose", "6 mg",
        "--titration", "1 mg for 7 days, then 6 mg", "--labels", "labels.pdf", "--pharmacy-config", "pharmacy.toml",
        *PRESCRIPTION[:-1], "Take by mouth at bedtime following the dosing schedule",
    )  # fmt: skip
    assert (status, err) == (0, "")
    document = json.loads(out[: out.rindex("}") + 1])
    assert document["dose"] == {"amount": "6 mg", "basis": "hcl"}
    assert [w["code"] for w in document["warnings"]] == ["dose-above-usual"]


# ---------------------------------------------------------------- directions: --sig, --directions, --directions-unchecked


def test_the_issue_capsule_label_is_refused_without_a_high_dose_reason(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    args = ["batch", "ldn-capsules", "--quantity", "90", "--strength", "4.5 mg", "--date", DAY, "--labels", "l.pdf",
            "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION[:-1], "Take 3 capsules by mouth at bedtime"]  # fmt: skip
    status, out, err = cli_run(*args)
    line = assert_one_error_line(err)
    assert line.startswith(
        'error: --directions "Take 3 capsules by mouth at bedtime": directions must be at most 10 mg'
    )
    assert "but they give 13.5 mg naltrexone HCl" in line
    assert line.endswith("to go ahead, give --high-dose-reason REASON")
    assert (status, out) == (2, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pharmacy.toml"]
    status, out, err = cli_run(*args, "--high-dose-reason", "pain clinic protocol", "--json")
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert document["dose"] == {"amount": "13.5 mg", "basis": "hcl"}
    assert document["days_supply"] == 30
    assert document["directions"]["text"] == "Take 3 capsules by mouth at bedtime"


def test_the_issue_liquid_label_is_refused_as_a_disagreement(cli_run, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-oral-liquid", "--quantity", "120 mL", "--strength", "1 mg/mL", "--dose", "4.5 mg",
        "--labels", "l.pdf", "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION[:-1], "Take 10 mL by mouth at bedtime",
    )  # fmt: skip
    line = assert_one_error_line(err)
    assert line.startswith('error: --directions "Take 10 mL by mouth at bedtime": directions must agree with the dose')
    assert "the directions say 10 mg naltrexone HCl" in line
    assert "the dose says 4.5 mg naltrexone HCl" in line
    assert (status, out) == (2, "")


def test_a_sig_prints_its_sentence_on_the_label(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", DAY, "--labels", "rx.pdf", "--json",
        "--pharmacy-config", "pharmacy.toml", "--rx", "7", "--patient", "P. Patient", "--prescriber", "Dr. B",
        "--sig", "3 gtt sl qhs", "--dispense", "5 mL",
    )  # fmt: skip
    assert (status, err) == (0, "")
    (rx,) = fake_pdf.calls["render_labels"][1]["prescriptions"]
    assert rx.directions == "Place 3 drops under the tongue at bedtime"
    assert rx.sig == ldn_compound.parse_sig("3 gtt sl qhs")
    assert rx.sig.text("es") == "Coloque 3 gotas debajo de la lengua al acostarse"
    document = json.loads(out)
    assert document["directions"] == {
        "amount": "3 drops",
        "per_day": 1,
        "route": "sublingual",
        "site": None,
        "text": "Place 3 drops under the tongue at bedtime",
        "timing": "bedtime",
        "titration": [],
    }
    assert (document["dose"], document["daily_dose"]) == ({"amount": "1.5 mg", "basis": "hcl"},) * 2
    assert (document["dispensed"], document["days_supply"]) == ("5 mL", 33)  # 100 drops ÷ 3


def test_days_supply_beyond_the_bud_is_a_warning_on_the_command_line(cli_run, fake_pdf, tmp_path):
    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(
        "batch", "ldn-sublingual-drops", "--quantity", "30 mL", "--date", DAY, "--labels", "rx.pdf",
        "--pharmacy-config", "pharmacy.toml", *PRESCRIPTION[:-1], "Place 3 drops under the tongue at bedtime",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert "! days-supply-beyond-bud: the quantity lasts 200 days" in out
    assert "Directions Place 3 drops under the tongue at bedtime" in out
    assert "  Supply   30 mL lasts 200 days" in out


SIG_ERRORS = [
    pytest.param([*LABELS, *RX[:6], "--sig", "1 cap po qhz", *RX[8:]], 'error: --sig "1 cap po qhz": sig code must be a known sig code', "did you mean 'qhs'?", id="unknown-code"),
    pytest.param([*LABELS, *RX, "--sig", "1 cap po qhs"], 'error: --sig "1 cap po qhs": goes instead of --directions: give the directions once', "", id="sig-and-directions"),
    pytest.param([*LABELS, *RX[:6], "--sig", " ", *RX[8:]], 'error: --sig " ": must not be empty', "", id="empty-sig"),
    pytest.param([*LABELS, *RX[:7], "Take 1 capsule each night", *RX[8:]], 'error: --directions "Take 1 capsule each night": directions must be directions ldn_compound can read', "or give sig codes, e.g. '1 cap po qhs'", id="unreadable"),
    pytest.param([*LABELS, *RX[:6], "--sig", "1 cap po qhs", *RX[8:], "--directions-unchecked", "x"], "error: --directions-unchecked: goes with --directions", "", id="unchecked-without-directions"),
    pytest.param([*LABELS, *RX, "--directions-unchecked", "x"], 'error: --directions-unchecked "x": directions unchecked must be given only for directions that cannot be read', "", id="unchecked-for-readable"),
    pytest.param([*LABELS, *RX, "--dispense", "0"], 'error: --dispense "0": dispensed quantity must be greater than zero', "", id="dispense-zero"),
    pytest.param([*LABELS, *RX[:7], "Take 3 capsules by mouth at bedtime", *RX[8:], "--strength", "1.5 mg", "--dispense", "2"], 'error: --dispense "2": dispensed quantity must hold at least one dose of 4.5 mg naltrexone HCl, 3 capsules', "", id="dispense-below-one-dose"),
    pytest.param([*LABELS, *RX[:7], "Take 2 capsules by mouth at bedtime", *RX[8:], "--dose", "4.5 mg"], 'error: --directions "Take 2 capsules by mouth at bedtime": directions must agree with the dose', "the directions say 9 mg naltrexone HCl", id="directions-and-dose"),
    pytest.param([*LABELS, *RX, "--dose", "1 mg"], 'error: --dose "1 mg": dose must be at least one capsule\'s strength, 4.5 mg', "", id="dose-below-a-capsule"),
    pytest.param([*LABELS, "--sig-codes", "none.toml"], "error: --sig-codes: goes with --sig or --directions", "", id="sig-codes-alone"),
    pytest.param([*LABELS, *RX[:6], "--sig", "1 cap po qhs", *RX[8:], "--sig-codes", "none.toml"], "error: --sig-codes: sig code file none.toml cannot be read", "", id="sig-codes-missing"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "start", "inside"), SIG_ERRORS)
def test_directions_mistakes_are_one_error_line(cli_run, tmp_path, args, start, inside):
    (tmp_path / "a-file").write_text(PHARMACY_TOML, encoding="utf-8")
    status, out, err = cli_run(*args)
    line = assert_one_error_line(err)
    assert line.startswith(start), line
    assert inside in line
    assert (status, out) == (2, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_unreadable_directions_print_with_a_reason_on_the_record(cli_run, fake_pdf, tmp_path):
    (tmp_path / "a-file").write_text(PHARMACY_TOML, encoding="utf-8")
    text = "Take 1 capsule by mouth at bedtime; if vivid dreams, take it in the morning"
    status, out, err = cli_run(
        *LABELS, *RX[:7], text, *RX[8:], "--directions-unchecked", "prescriber's wording", "--json"
    )
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert document["overrides"] == [{"code": "directions-unchecked", "reason": "prescriber's wording"}]
    assert document["directions"] is None
    (rx,) = fake_pdf.calls["render_labels"][1]["prescriptions"]
    assert (rx.directions, rx.sig) == (text, None)


def test_a_pharmacy_sig_code_file_on_the_command_line(cli_run, fake_pdf, tmp_path):
    (tmp_path / "a-file").write_text(PHARMACY_TOML, encoding="utf-8")
    (tmp_path / "codes.toml").write_text(
        '[timing.nightly]\ncodes = ["qn"]\nen = "every night"\nes = "cada noche"\nper_day = 1\n', encoding="utf-8"
    )
    status, _, err = cli_run(*LABELS, *RX[:6], "--sig", "1 cap po qn", *RX[8:], "--sig-codes", "codes.toml")
    assert (status, err) == (0, "")
    (rx,) = fake_pdf.calls["render_labels"][1]["prescriptions"]
    assert rx.directions == "Take 1 capsule by mouth every night"

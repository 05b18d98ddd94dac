"""The public surface: what `import ldn_compound` offers, pinned so a change to it is a decision."""

from __future__ import annotations

import subprocess
import sys

import ldn_compound


def test_all_names_are_unique_and_resolve():
    assert len(set(ldn_compound.__all__)) == len(ldn_compound.__all__)
    for name in ldn_compound.__all__:
        assert getattr(ldn_compound, name) is not None


def test_public_names():
    assert set(ldn_compound.__all__) >= {
        "calculate_batch",
        "load_formula",
        "load_formulas",
        "render_batch_record",
        "render_master_formula",
        "render_labels",
        "BatchResult",
        "MasterFormula",
        "LDNError",
        "InputError",
        "FormulaFileError",
        "FormulaNotFoundError",
        "__version__",
        "Directions",
        "parse_directions",
        "parse_sig",
        "screen_medicines",
        "find_opioids",
        "load_opioid_list",
        "Screening",
        "ScreenedMedicine",
        "MedicineStatus",
        "MedicineNameError",
        "OpioidListError",
        "CoMedicationError",
    }


def test_version():
    assert ldn_compound.__version__.count(".") == 2


def test_importing_the_package_does_not_import_reportlab():
    code = "import sys, ldn_compound; ldn_compound.calculate_batch('ldn-capsules', quantity=10); print('reportlab' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_calculating_does_not_import_sqlalchemy():
    """The register (SQLAlchemy, Alembic, argon2, psycopg) loads only when a batch is registered."""
    code = (
        "import sys, ldn_compound, ldn_compound.register, ldn_compound.service;"
        " ldn_compound.calculate_batch('ldn-capsules', quantity=10);"
        " print(sorted(m for m in ('sqlalchemy', 'alembic', 'argon2', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys; from ldn_compound.register import open_register; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_package_is_typed():
    from importlib import resources

    assert resources.files("ldn_compound").joinpath("py.typed").is_file()

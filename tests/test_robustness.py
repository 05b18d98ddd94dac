"""Arbitrary input never escapes as anything but one of the package's own errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ldn_compound import LDNError, calculate_batch
from ldn_compound.loader import parse_formula
from ldn_compound.units import CONCENTRATION, COUNT_CAPSULE, MASS, MASS_FRACTION, VOLUME, parse_quantity

KINDS = st.sampled_from([MASS, VOLUME, CONCENTRATION, MASS_FRACTION, COUNT_CAPSULE])
UNITISH = st.text(alphabet="0123456789.,-+eE /*%mgLlcapsuledropµMkK()^", max_size=20)
VALUES = st.one_of(
    st.text(max_size=30),
    UNITISH,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)
BASE = tomllib.loads((Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8"))


@given(VALUES, KINDS)
def test_the_quantity_parser_raises_only_its_own_errors(value, kind):
    try:
        parse_quantity(value, "field", kind)
    except LDNError as error:
        assert "field" in str(error)


@given(st.sampled_from(sorted(BASE)), VALUES)
def test_the_loader_reports_any_value_at_any_top_level_key_as_a_problem(key, value):
    data = dict(BASE)
    data[key] = value
    try:
        parse_formula(data, "fuzz")
    except LDNError:
        pass


@given(
    st.sampled_from(["default", "minimum", "maximum", "basis"]),
    VALUES,
    st.integers(min_value=0, max_value=1),
    st.sampled_from(["id", "name", "role", "amount", "salt_form", "grade"]),
    VALUES,
)
def test_the_loader_survives_any_value_in_nested_tables(
    strength_key, strength_value, index, component_key, component_value
):
    data = dict(BASE)
    data["strength"] = {**BASE["strength"], strength_key: strength_value}
    components = [dict(c) for c in BASE["components"]]
    components[index][component_key] = component_value
    data["components"] = components
    try:
        parse_formula(data, "fuzz")
    except LDNError:
        pass


@given(
    st.sampled_from(["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream"]),
    st.sampled_from(
        ["quantity", "strength", "overage", "potency", "tablet_weight", "balance_readability", "date", "dose"]
    ),
    VALUES,
)
def test_calculate_batch_raises_only_its_own_errors(formula, field, value):
    defaults = {
        "ldn-capsules": 100,
        "ldn-oral-liquid": "120 mL",
        "ldn-sublingual-drops": "30 mL",
        "ldn-topical-cream": "30 g",
    }
    kwargs = {"quantity": defaults[formula], "date": "2026-03-01", field: value}
    try:
        calculate_batch(formula, **kwargs)
    except LDNError:
        pass


OPTIONS = st.sampled_from(
    [
        "--quantity",
        "--strength",
        "--strength-basis",
        "--overage",
        "--potency",
        "--assay",
        "--water",
        "--tablets",
        "--balance-readability",
        "--lot",
        "--date",
        "--capsule-size",
        "--dose",
        "--titration",
        "--lot-number",
    ]
)


@given(
    st.sampled_from(
        ["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream", "no-such-formula"]
    ),
    st.lists(st.tuples(OPTIONS, st.one_of(st.text(max_size=20), UNITISH, st.integers().map(str))), max_size=4),
)
def test_the_batch_command_fails_only_with_one_clean_error_line(formula, options):
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from ldn_compound.cli import main

    argv = ["batch", formula]
    for option, value in options:
        argv += [option, value]
    if "--quantity" not in argv:
        argv += ["--quantity", "100" if formula == "ldn-capsules" else "30 mL"]
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main([*argv, "--date", "2026-03-01", "--json"] if "--date" not in argv else [*argv, "--json"])
    assert status in {0, 1, 2}
    assert "Traceback" not in err.getvalue()
    if status:
        lines = err.getvalue().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("error: ")
        assert out.getvalue() == ""


# --------------------------------------------------------------------------- the examples of the fuzzing report
#
# Each test below is one example the fuzzing run found; each failed before the fix
# (an internal error, a hang, a replaced special or input file, or a silent overwrite).

import contextlib  # noqa: E402 - the examples' own imports, kept with them
import datetime as dt  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402

from ldn_compound import InputError, InputTypeError  # noqa: E402
from ldn_compound import service as service_module  # noqa: E402
from ldn_compound.cli import main  # noqa: E402
from ldn_compound.loader import builtin_folder  # noqa: E402
from ldn_compound.units import Q_  # noqa: E402

CAPSULES = ["batch", "ldn-capsules", "--quantity", "30", "--date", "2026-03-01"]
PHARMACY = '[pharmacy]\nname = "Riverside Compounding Pharmacy"\n'


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """A guard against a hang (not a timing assertion): fail if the block has not ended after ``seconds``."""

    def expired(*_: object) -> None:
        raise AssertionError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the command line in-process; return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), no_hang():
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def input_error(*argv: str) -> str:
    """Run a command that must fail on its input: status 2, one clean error line; return the line."""
    status, out, err = cli(*argv)
    lines = err.splitlines()
    assert (status, out, len(lines)) == (2, "", 1), err
    assert lines[0].startswith("error: ")
    assert "internal error" not in lines[0]
    return lines[0]


@pytest.fixture
def fast_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents rendered as a tag and the request's quantity, so a file shows which batch wrote it."""

    def renderer(module: str, name: str) -> object:
        def draw(result: object, out: io.BytesIO, **_: object) -> None:
            quantity = getattr(result, "quantity", "")
            out.write(f"%PDF {name} {quantity}".encode())

        return draw

    monkeypatch.setattr(service_module, "_renderer", renderer)


# ---- 1. special files


def test_dev_null_as_the_record_stays_dev_null(fast_pdf: None) -> None:
    status, _, err = cli(*CAPSULES, "--record", "/dev/null")
    assert (status, err) == (0, "")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # noqa: PTH116


def test_labels_to_dev_stdout_go_to_standard_output_and_leave_the_link(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("ldn-compound")
    done = subprocess.run(
        [str(command), *CAPSULES, "--labels", "/dev/stdout"], capture_output=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"%PDF")  # the PDF and nothing else
    assert Path("/dev/stdout").is_symlink()


def test_dash_writes_the_pdf_to_standard_output_and_nothing_else(
    fast_pdf: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="utf-8"))
    assert main([*CAPSULES, "--record", "-"]) == 0
    sys.stdout.flush()
    assert buffer.getvalue() == b"%PDF render_batch_record 30 capsule"
    assert input_error(*CAPSULES, "--record", "-", "--json").startswith('error: --record "-": the PDF goes to')


def test_a_fifo_with_no_reader_is_refused_not_replaced_or_waited_on(fast_pdf: None, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "must be a FIFO that something reads from" in input_error(*CAPSULES, "--labels", str(fifo))
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


# ---- 2. input files are never outputs


@pytest.fixture
def formdir(tmp_path: Path) -> Path:
    folder = tmp_path / "formdir"
    folder.mkdir()
    text = (Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    (folder / "myf.toml").write_text(text.replace('id = "ldn-capsules"', 'id = "my-caps"'), encoding="utf-8")
    return folder


def test_the_formula_file_an_id_resolved_to_is_not_overwritten(fast_pdf: None, formdir: Path) -> None:
    before = (formdir / "myf.toml").read_bytes()
    line = input_error(
        "batch", "my-caps", "--dir", str(formdir), "--quantity", "30", "--record", str(formdir / "myf.toml")
    )
    assert "must not overwrite" in line
    line = input_error("mfr", "my-caps", "--dir", str(formdir), "-o", str(formdir / "myf.toml"))
    assert "must not overwrite" in line
    os.link(formdir / "myf.toml", formdir.parent / "other-name.pdf")  # the same file by another name
    assert "must not overwrite" in input_error(
        "batch",
        "my-caps",
        "--dir",
        str(formdir),
        "--quantity",
        "30",
        "--labels",
        str(formdir.parent / "other-name.pdf"),
    )
    assert (formdir / "myf.toml").read_bytes() == before


def test_a_built_in_formula_is_never_overwritten(fast_pdf: None) -> None:
    builtin = Path(str(builtin_folder().joinpath("ldn-capsules.toml")))
    before = builtin.read_bytes()
    assert "inside the ldn_compound package" in input_error(*CAPSULES, "--record", str(builtin))
    assert builtin.read_bytes() == before
    assert cli(*CAPSULES)[0] == 0


def test_the_pharmacy_config_is_not_overwritten_through_a_symlink(fast_pdf: None, tmp_path: Path) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text(PHARMACY, encoding="utf-8")
    (tmp_path / "record.pdf").symlink_to(config)
    line = input_error(*CAPSULES, "--record", str(tmp_path / "record.pdf"), "--pharmacy-config", str(config))
    assert "must not overwrite" in line
    assert config.read_text(encoding="utf-8") == PHARMACY


# ---- 3. existing outputs


def test_no_clobber_refuses_an_existing_output_and_overwriting_keeps_its_mode(
    fast_pdf: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    record = Path("record.pdf")
    record.write_bytes(b"yesterday's batch")
    record.chmod(0o640)
    line = input_error(*CAPSULES, "--record", str(record), "--no-clobber")
    assert (
        line
        == f'error: --record "{record}": must not exist already (no-clobber is set); give a new name or allow overwriting'
    )
    assert record.read_bytes() == b"yesterday's batch"
    assert cli(*CAPSULES, "--record", str(record))[0] == 0
    assert record.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(record.stat().st_mode) == 0o640


def test_the_site_setting_makes_no_clobber_the_default() -> None:
    import attrs

    from ldn_compound.settings import default_settings

    strict = attrs.evolve(default_settings(), overwrite_outputs=False)
    assert service_module.no_clobber(False, strict) is True
    assert service_module.no_clobber(False) is False


# ---- 4. two processes writing the same outputs


def test_concurrent_batches_leave_a_record_and_labels_from_the_same_batch(tmp_path: Path) -> None:
    """Processes racing for the same record and labels; the pair on disk always comes from one batch."""
    code = (
        "import sys; from ldn_compound import service; from ldn_compound.cli import main\n"
        "def renderer(module, name):\n"
        "    def draw(result, out, **_): out.write(('%PDF ' + str(result.quantity)).encode())\n"
        "    return draw\n"
        "service._renderer = renderer\n"
        "for _ in range(5):\n"
        "    status = main(['batch', 'ldn-capsules', '--quantity', sys.argv[1], '--record', 'r.pdf',"
        " '--labels', 'l.pdf', '--json'])\n"
        "    assert status == 0, status\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(count)], cwd=tmp_path, stdout=subprocess.DEVNULL)
        for count in (10, 20, 30, 40)
    ]
    assert [process.wait(120) for process in processes] == [0, 0, 0, 0]
    assert (tmp_path / "r.pdf").read_bytes() == (tmp_path / "l.pdf").read_bytes()


# ---- 5 to 7. hangs and limits


@pytest.mark.parametrize("quantity", ["1e-7 mL", "1e-8 mL", "1e-15 mL", "0.01 mL"])
def test_a_quantity_below_the_smallest_measured_volume_is_refused_at_once(quantity: str) -> None:
    line = input_error("batch", "ldn-oral-liquid", "--quantity", quantity, "--date", "2026-03-01")
    assert line.endswith("quantity must be at least 0.1 mL, the smallest volume measured")


def test_a_tiny_cream_is_refused_and_the_divisor_search_is_direct() -> None:
    from ldn_compound.weighing import _decimal_friendly

    assert "the smallest mass weighed" in input_error("batch", "ldn-topical-cream", "--quantity", "0.00001 mg")
    with no_hang():
        found = _decimal_friendly(10**40 + 1)
    rest = found
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    assert rest == 1
    assert 10**40 < found < 2 * 10**40 + 2


def test_a_value_of_100000_spaces_is_refused_at_once_with_a_short_excerpt() -> None:
    line = input_error(*CAPSULES, "--strength", "4.5" + " " * 100_000 + "x")
    assert len(line) < 300
    assert "characters" in line


@pytest.mark.parametrize("option", ["--patient", "--lot", "--titration", "--override-reason", "--stability"])
def test_every_command_line_value_is_bounded(option: str) -> None:
    line = input_error(*CAPSULES, option, "x" * 5000)
    assert line.startswith(f"error: {option}: a value must be at most 4096 characters (got 5000)")


def test_a_config_of_dev_zero_is_refused_not_read_until_memory_runs_out(fast_pdf: None) -> None:
    line = input_error(*CAPSULES, "--record", "/dev/null", "--pharmacy-config", "/dev/zero")
    assert line == "error: --pharmacy-config: pharmacy config /dev/zero must be at most 1024 KiB (it is larger)"


def test_a_50_kb_formula_name_is_refused_at_load_with_the_limit(formdir: Path) -> None:
    file = formdir / "myf.toml"
    text = file.read_text(encoding="utf-8")
    start = text.index("\nname = ") + 1
    end = text.index("\n", start)
    file.write_text(text[:start] + 'name = "' + "N" * 50_000 + '"' + text[end:], encoding="utf-8")
    line = input_error("show", str(file))
    assert line == f"error: formula file {file}: $.name: must be at most 200 characters (got 50000)"


# ---- 8. internal errors where the input is at fault


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--date", "9999-12-31"], '--date "9999-12-31": date must be a date from 1900-01-01 to 2999-12-31'),
        (["--quantity", "1e28"], '--quantity "1e28": quantity must be a number of sensible size'),
        (["--strength", "4.5 (mg"], '--strength "4.5 (mg": strength must use units ldn_compound knows'),
        (["--strength", "4.5 " + " ".join(["mg"] * 1000)], "--strength"),
        (["--strength", "4.5 " + "mg*" * 30 + "mg"], '--strength "4.5 mg*mg*'),
        (["--lot", "mcc=A\udcff"], '--lot "mcc=A\\udcff": must not contain U+DCFF (a byte that is not UTF-8)'),
        (["--dir", "a" * 300], "cannot be used (File name too long)"),
        (["--labels", "l.pdf", "--refills", "²", "--rx", "1", "--patient", "P", "--prescriber", "D", "--directions",
          "Take 1 capsule by mouth at bedtime", "--pharmacy-config", "/dev/null"], "error: --"),
    ],
)  # fmt: skip
def test_bad_command_line_input_is_an_input_error_not_an_internal_error(
    options: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["batch", "ldn-capsules", *options]
    argv += [] if "--quantity" in options else ["--quantity", "30"]
    argv += [] if "--date" in options else ["--date", "2026-03-01"]
    assert expected in input_error(*argv)


def test_refills_of_a_superscript_digit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pharmacy.toml").write_text(PHARMACY, encoding="utf-8")
    line = input_error(
        *CAPSULES, "--labels", "l.pdf", "--rx", "1", "--patient", "P", "--prescriber", "D",
        "--directions", "Take 1 capsule by mouth at bedtime", "--pharmacy-config", "pharmacy.toml", "--refills", "²",
    )  # fmt: skip
    assert line == 'error: --refills "²": must be a whole number from 0 to 99'


def test_500_nested_brackets_in_a_config_value_are_a_problem_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text('[pharmacy]\nname = "x"\nphone = ' + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    line = input_error(*CAPSULES, "--record", "/dev/null", "--pharmacy-config", str(config))
    assert line.endswith("must not nest arrays or tables hundreds deep")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('amount = "0.5 % w/v"', 'amount = "1e30 mg/mL"', "must be '<n> % w/v'"),
        ('role = "cosolvent"', 'role = "filler"', "must not be 'filler' in a sublingual-drops formula"),
    ],
)
def test_impossible_formula_amounts_and_roles_are_problems_at_load(
    old: str, new: str, problem: str, tmp_path: Path
) -> None:
    text = (Path(__file__).parents[1] / "formulas" / "ldn-sublingual-drops.toml").read_text(encoding="utf-8")
    assert old in text
    file = tmp_path / "drops.toml"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert problem in input_error("batch", str(file), "--quantity", "30 mL")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"settings": 5}, "settings"),
        ({"balance": "0.1 mg"}, "balance"),
        ({"lots": 100}, "lots"),
        ({"other_medicines": 5}, "other_medicines"),
        ({"co_medication_reason": 5, "other_medicines": ["oxycodone"]}, "co_medication_reason"),
        ({"formula_dirs": 5}, "formula_dirs"),
    ],
)
def test_a_wrong_python_type_is_a_type_error_naming_the_field(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(InputTypeError) as caught:
        calculate_batch("ldn-capsules", **{"quantity": 30, "date": "2026-03-01", **arguments})
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, LDNError)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} must be ")


@pytest.mark.parametrize(
    "quantity",
    [float("nan"), Decimal("NaN"), Decimal("sNaN"), Q_(Decimal("NaN"), "capsule"), Q_(Decimal("Infinity"), "capsule")],
)
def test_a_nan_quantity_is_an_input_error(quantity: object) -> None:
    with pytest.raises(InputError) as caught:
        calculate_batch("ldn-capsules", quantity=quantity, date="2026-03-01")
    assert caught.value.field == "quantity"


def test_a_date_far_out_is_an_input_error_in_python_too() -> None:
    with pytest.raises(InputError, match="from 1900-01-01 to 2999-12-31"):
        calculate_batch("ldn-capsules", quantity=30, date=dt.date(9999, 12, 31))
    with pytest.raises(InputError, match="lot mcc expiry must be a date from"):
        calculate_batch("ldn-capsules", quantity=30, date="2026-03-01", lots=["mcc=A1:9999-12-31"])


# ---- 9 to 11. text


@pytest.mark.parametrize("bad", ["\x1b[2J", "\x07", "\u202e", "\u2066", "\u200b", "\ufeff"])
def test_control_bidi_and_invisible_characters_in_a_formula_name_are_refused(bad: str, formdir: Path) -> None:
    file = formdir / "myf.toml"
    text = file.read_text(encoding="utf-8")
    start = text.index("\nname = ") + 1
    end = text.index("\n", start)
    escaped = bad.encode("unicode_escape").decode("ascii").replace("\\x", "\\u00")
    file.write_text(text[:start] + f'name = "Smith{escaped}evil"' + text[end:], encoding="utf-8")
    code = f"U+{ord(bad[0]):04X}"
    for command in (["show", str(file)], ["formulas", "--dir", str(formdir)], ["batch", str(file), "--quantity", "30"]):
        line = input_error(*command)
        assert f"$.name: must not contain {code}" in line
        assert "\x1b" not in line and "\u202e" not in line


@pytest.mark.parametrize(
    ("option", "value"),
    [("--patient", "Smith\u202eevil"), ("--prescriber", "Dr\tTab"), ("--directions", "Take\x1b[31m 1"),
     ("--rx", "1\u200b2"), ("--lot", "mcc=MC\x07881"), ("--lot-number", "B1\u2066")],
)  # fmt: skip
def test_every_printed_command_line_field_refuses_unsafe_characters_naming_the_code_point(
    option: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pharmacy.toml").write_text(PHARMACY, encoding="utf-8")
    prescription = {
        "--rx": "1",
        "--patient": "P",
        "--prescriber": "D",
        "--directions": "Take 1 capsule by mouth at bedtime",
    }
    prescription.pop(option, None)
    argv = [*CAPSULES, "--labels", "l.pdf", "--pharmacy-config", "pharmacy.toml", option, value]
    argv += [item for pair in prescription.items() for item in pair]
    line = input_error(*argv)
    code = next(f"U+{ord(c):04X}" for c in value if not c.isprintable() or c in "\u202e\u2066\u200b")
    assert line.startswith(f"error: {option} ")
    assert f"must not contain {code}" in line
    assert not (tmp_path / "l.pdf").exists()


def test_a_pharmacy_name_with_a_bidi_override_is_refused_with_its_key_path(tmp_path: Path) -> None:
    config = tmp_path / "pharmacy.toml"
    config.write_text('[pharmacy]\nname = "River\\u202eside"\n', encoding="utf-8")
    line = input_error(*CAPSULES, "--record", "/dev/null", "--pharmacy-config", str(config))
    assert "$.pharmacy.name: must not contain U+202E RIGHT-TO-LEFT OVERRIDE" in line


def test_printed_text_escapes_control_characters_from_file_names(tmp_path: Path, formdir: Path) -> None:
    shutil.move(formdir / "myf.toml", formdir / "my\x1b[2Jf.toml")
    status, out, err = cli("formulas", "--dir", str(formdir))
    assert (status, err) == (0, "")
    assert "\x1b" not in out
    assert "my\\x1b[2Jf.toml" in out


@pytest.mark.parametrize("option", ["--labels", "--record", "--quantity", "--patient"])
def test_a_repeated_option_is_refused(option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    line = input_error(*CAPSULES, option, "a.pdf", option, "b.pdf")
    assert line.startswith(f"error: {option}: given twice; give it once")
    assert list(tmp_path.iterdir()) == []


def test_a_formula_folder_whose_name_is_not_utf8_is_listed_as_json(
    formdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = formdir.parent / "caps\udcff"  # a byte that is not UTF-8, as Python reads it from the file system
    formdir.rename(odd)
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="utf-8"))
    assert main(["formulas", "--dir", str(odd), "--json"]) == 0
    sys.stdout.flush()
    import json

    listed = json.loads(buffer.getvalue().decode("utf-8"))
    assert any(entry["source"].endswith("caps\udcff/myf.toml") for entry in listed["formulas"])


def test_a_multi_line_description_is_still_accepted(formdir: Path) -> None:
    file = formdir / "myf.toml"
    text = file.read_text(encoding="utf-8")
    start = text.index("\ndescription = ") + 1
    end = text.index("\n", start)
    file.write_text(text[:start] + 'description = """Line one.\nLine two."""' + text[end:], encoding="utf-8")
    status, out, err = cli("show", str(file))
    assert (status, err) == (0, "")
    assert "Line one." in out


def test_a_fifo_among_the_formula_files_of_dir_is_refused_not_waited_on(formdir: Path) -> None:
    os.mkfifo(formdir / "waiting.toml")
    line = input_error("formulas", "--dir", str(formdir))
    assert (
        line
        == f"error: formula file {formdir / 'waiting.toml'} must be a regular file, like every *.toml of the folder"
    )


def test_an_option_given_as_dash_dash_is_never_an_internal_error() -> None:
    """``--override-reason=--``: argparse before 3.12.7 makes the value an empty list, later ones keep "--"."""
    status, out, err = cli(*CAPSULES, "--override-reason=--", "--other-medicine", "oxycodone", "--json")
    assert "internal error" not in err
    if status:
        assert err == "error: --override-reason: expected one argument (see 'ldn-compound batch --help')\n"
    else:
        assert '"reason": "--"' in out


def test_the_pharmacy_config_can_make_refusing_existing_outputs_the_rule(
    fast_pdf: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pharmacy.toml").write_text(PHARMACY + "[settings]\noverwrite_outputs = false\n", encoding="utf-8")
    Path("record.pdf").write_bytes(b"yesterday's batch")
    line = input_error(*CAPSULES, "--record", "record.pdf", "--pharmacy-config", "pharmacy.toml")
    assert line.startswith('error: --record "record.pdf": must not exist already (no-clobber is set)')
    assert Path("record.pdf").read_bytes() == b"yesterday's batch"
    assert cli(*CAPSULES, "--record", "new.pdf", "--pharmacy-config", "pharmacy.toml")[0] == 0
    Path("bad.toml").write_text(PHARMACY + '[settings]\noverwrite_outputs = "no"\n', encoding="utf-8")
    line = input_error(*CAPSULES, "--record", "other.pdf", "--pharmacy-config", "bad.toml")
    assert "$.settings.overwrite_outputs: must be true or false (got 'no')" in line
    # the master formulation record follows the same setting
    Path("mfr.pdf").write_bytes(b"last year's master record")
    line = input_error("mfr", "ldn-capsules", "-o", "mfr.pdf", "--pharmacy-config", "pharmacy.toml")
    assert line.startswith('error: -o "mfr.pdf": must not exist already (no-clobber is set)')
    assert Path("mfr.pdf").read_bytes() == b"last year's master record"
    assert cli("mfr", "ldn-capsules", "-o", "mfr.pdf")[0] == 0  # without the setting, replaced
    assert Path("mfr.pdf").read_bytes() != b"last year's master record"

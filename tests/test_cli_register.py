"""The register's commands: ``batch --record`` registers; ``lots``, ``users``, ``audit``, ``register``.

The PIN comes from standard input (``--pin-stdin``) here; every error is one ``error:`` line.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys

import pytest

from ldn_compound import cli
from tests.test_cli import DAY, assert_one_error_line


@pytest.fixture
def run(capsys, tmp_path, monkeypatch):
    """Run the command line in a fresh folder with a register of its own; ``stdin`` feeds the PIN."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LDN_COMPOUND_REGISTER", str(tmp_path / "register.sqlite3"))
    from argon2 import PasswordHasher

    monkeypatch.setattr("ldn_compound.register.store._pin_hasher", lambda: PasswordHasher(1, 8, 1))
    monkeypatch.setattr("time.sleep", lambda _seconds: None)  # the wait after a wrong PIN

    def go(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = cli.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return go


@pytest.fixture
def staffed(run):
    for name, role, pin in (("tina", "technician", "1111"), ("paul", "pharmacist", "3333")):
        assert run("users", "add", name, "--role", role, "--pin-stdin", stdin=pin + "\n")[0] == 0
    status, out, err = run(
        "users", "add", "pia", "--role", "pharmacist", "--by", "paul", "--pin-stdin", stdin="3333\n4444\n"
    )
    assert (status, out, err) == (0, "User pia added (pharmacist)\n", "")
    return run


def batch(run, *extra: str) -> str:
    status, out, err = run(
        "batch", "ldn-capsules", "--quantity", "100", "--date", DAY, "--lot", "naltrexone-hcl=QX7781",
        "--record", "record.pdf", "--rx", "R-77", "--patient", "Ada Lovelace", "--prescriber", "Dr B",
        "--directions", "Take 1 capsule by mouth at bedtime", "--labels", "labels.pdf", "--pharmacy-config", "pharmacy.toml", *extra,
    )  # fmt: skip
    assert (status, err) == (0, ""), err
    return out.rsplit("Registered as lot ", 1)[1].split(" ")[0]


@pytest.fixture
def printed(staffed, tmp_path):
    from tests.test_cli import PHARMACY_TOML

    (tmp_path / "pharmacy.toml").write_text(PHARMACY_TOML, encoding="utf-8")
    return staffed


def test_a_printed_batch_is_registered_and_a_preview_is_not(printed, tmp_path):
    run = printed
    status, out, _ = run("batch", "ldn-capsules", "--quantity", "100", "--date", DAY)
    assert status == 0 and "Lot        preview" in out
    status, out, _ = run("batch", "ldn-capsules", "--quantity", "100", "--date", DAY, "--json")
    assert status == 0 and json.loads(out)["lot_number"] == "preview"
    assert run("lots", "list")[1].startswith("No registered batches")
    assert batch(run) == "L2026-000001"
    assert batch(run) == "L2026-000002"
    status, out, _ = run("lots", "list", "--json")
    assert status == 0
    assert [x["lot_number"] for x in json.loads(out)["lots"]] == ["L2026-000002", "L2026-000001"]
    _status, out, _ = run("lots", "show", "L2026-000001", "--json")
    shown = json.loads(out)
    assert shown["batch"]["lot_number"] == "L2026-000001"
    assert shown["prescription"]["patient"] == "Ada Lovelace"
    assert shown["request"]["rx"] == "R-77"
    assert {p["kind"] for p in shown["prints"]} == {"record", "labels"}


def test_a_lot_number_given_is_checked_for_uniqueness(printed, tmp_path):
    run = printed
    assert batch(run, "--lot-number", "OURS-1") == "OURS-1"
    status, _out, err = run(
        "batch", "ldn-capsules", "--quantity", "10", "--record", "again.pdf", "--lot-number", "OURS-1"
    )
    assert status == 2
    assert assert_one_error_line(err) == (
        'error: --lot-number "OURS-1": lot number must be a lot number the register does not hold yet'
    )
    assert not (tmp_path / "again.pdf").exists()


def test_register_without_documents_is_refused(run):
    status, _, err = run("batch", "ldn-capsules", "--quantity", "10", "--register", "x.sqlite3")
    assert status == 2
    assert "--register: keeps the batches that are printed; add --record or --labels" in assert_one_error_line(err)


def test_recall_finds_the_patient(printed):
    run = printed
    lot = batch(run)
    status, out, _ = run("lots", "recall", "QX7781")
    assert status == 0
    assert "1 registered batch with QX7781:" in out
    assert lot in out and "Ada Lovelace" in out and "R-77" in out and "naltrexone-hcl" in out
    status, out, _ = run("lots", "recall", "QX7781", "--json")
    assert json.loads(out)["batches"][0]["patient"] == "Ada Lovelace"
    assert run("lots", "recall", "NONE")[1] == "No registered batch used NONE.\n"
    assert "(the batch itself)" in run("lots", "recall", lot)[1]


def test_reprint_is_the_same_bytes_and_an_audit_event(printed, tmp_path):
    run = printed
    lot = batch(run)
    status, _out, err = run("lots", "reprint", lot, "--record", "again.pdf", "--labels", "labels2.pdf", "--user", "pia")
    assert (status, err) == (0, "")
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "record.pdf").read_bytes()
    assert (tmp_path / "labels2.pdf").read_bytes() == (tmp_path / "labels.pdf").read_bytes()
    assert "reprinted labels, record by pia" in run("audit", "log", lot)[1]
    status, _, err = run("lots", "reprint", lot)
    assert status == 2 and "--record: a reprint needs --record or --labels" in err


def test_the_whole_lifecycle_on_the_command_line(printed):
    run = printed
    lot = batch(run)
    status, out, err = run(
        "lots", "weigh", lot, "--user", "tina", "--pin-stdin", "--line", "naltrexone-hcl=452 mg", "--line", "mcc=25 g",
        stdin="1111\n",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert f"{lot} mcc: 25 g, OUT OF TOLERANCE" in out
    assert f"{lot} naltrexone-hcl: 452 mg, within 427.4 mg to 472.6 mg" in out
    assert run("lots", "compound", lot, "--user", "tina", "--pin-stdin", stdin="1111\n")[1] == (
        f"{lot} is now compounded (signed by tina)\n"
    )
    status, _, err = run("lots", "verify", lot, "--user", "paul", "--pin-stdin", stdin="3333\n")
    assert status == 2 and "out of tolerance: mcc" in assert_one_error_line(err)
    args = ("lots", "accept", lot, "--line", "mcc", "--reason", "balance checked", "--user", "paul", "--pin-stdin")
    assert run(*args, stdin="3333\n")[0] == 0
    assert run("lots", "verify", lot, "--user", "paul", "--pin-stdin", stdin="3333\n")[0] == 0
    assert run("lots", "release", lot, "--user", "pia", "--pin-stdin", stdin="4444\n")[0] == 0
    status, out, _ = run("lots", "show", lot)
    assert f"Lot          {lot} (released)" in out
    assert "compounded by tina (technician)" in out and "verified by paul (pharmacist)" in out
    assert "mcc: accepted by paul: balance checked" in out
    assert "Next         quarantine" in out
    status, out, _ = run("audit", "verify")
    assert status == 0 and out.startswith("Audit trail intact: ")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("lots", "show", "L2026-999999"), "", 'lot must be a lot number in the register (got "L2026-999999")'),
        (
            ("lots", "compound", "{lot}", "--user", "tina", "--pin-stdin"),
            "9999\n",
            '--user "tina": wrong PIN (1 wrong in a row)',
        ),
        (
            ("lots", "compound", "{lot}", "--user", "ghost", "--pin-stdin"),
            "1111\n",
            "user must be a user of the register",
        ),
        (
            ("lots", "verify", "{lot}", "--user", "paul", "--pin-stdin"),
            "3333\n",
            "status must allow 'verify' (a prepared batch allows",
        ),
        (
            ("lots", "reject", "{lot}", "--user", "tina", "--pin-stdin", "--reason", "x"),
            "1111\n",
            "be a pharmacist to reject",
        ),
        (("lots", "compound", "{lot}", "--user", "tina", "--pin-stdin"), "", "--pin-stdin: standard input has no PIN"),
        (("lots", "compound", "{lot}", "--user", "tina"), "1111\n", "no terminal to ask for the PIN on"),
        (
            ("lots", "weigh", "{lot}", "--line", "mcc", "--user", "tina", "--pin-stdin"),
            "1111\n",
            '--line "mcc": must be ID=AMOUNT',
        ),
        (
            ("lots", "reject", "{lot}", "--user", "paul", "--pin-stdin"),
            "3333\n",
            "the following arguments are required: --reason",
        ),
        (("lots", "list", "--since", "March"), "", 'since must be a date YYYY-MM-DD (got "March")'),
        (("lots", "list", "--limit", "0"), "", "--limit: must be a whole number of at least 1"),
        (
            ("users", "add", "tina", "--role", "pharmacist", "--by", "paul", "--pin-stdin"),
            "3333\n5555\n",
            "user must be a name the register does not hold yet",
        ),
        (("lots", "list", "--register", "postgresql+psycopg://nobody@127.0.0.1:1/none"), "", "cannot be opened"),
    ],
)
def test_each_refusal_is_one_error_line(printed, args, stdin, message):
    run = printed
    lot = batch(run)
    before = run("audit", "log")[1]
    status, out, err = run(*(a.replace("{lot}", lot) for a in args), stdin=stdin)
    line = assert_one_error_line(err)
    assert message in line
    assert out == ""
    assert status == (1 if "cannot be opened" in message else 2)
    after = run("audit", "log")[1]
    if "wrong PIN" in message:
        assert after.startswith(before) and "wrong PIN (1 in a row) by tina" in after
    else:
        assert after == before


def test_a_disabled_user_cannot_sign(printed):
    run = printed
    lot = batch(run)
    status, _, err = run("users", "disable", "tina")
    assert status == 2
    assert assert_one_error_line(err) == (
        "error: --by: disabling a user needs a pharmacist to sign once the register has one: --by NAME"
    )
    assert run("users", "disable", "tina", "--by", "pia", "--pin-stdin", stdin="4444\n") == (
        0,
        "User tina disabled\n",
        "",
    )
    status, _, err = run("lots", "compound", lot, "--user", "tina", "--pin-stdin", stdin="1111\n")
    assert status == 2 and "user must be enabled (this user is disabled)" in assert_one_error_line(err)
    out = run("users", "list")[1]
    assert "tina  technician  disabled" in out


def test_the_pin_is_never_an_argument(run):
    status, _, err = run("users", "add", "bob", "--role", "technician", "--pin", "1234")
    assert status == 2 and "unknown option --pin for users add" in err


def test_audit_verify_fails_on_tampering_naming_the_event(printed, tmp_path):
    run = printed
    lot = batch(run)
    with sqlite3.connect(tmp_path / "register.sqlite3") as conn:
        conn.execute("UPDATE events SET data = replace(data, 'QX7781', 'QX0000') WHERE kind = 'registered'")
    status, out, err = run("audit", "verify")
    assert (status, out) == (1, "")
    assert assert_one_error_line(err).startswith(f"error: audit trail: event 4 (registered {lot}) was changed")


def test_backup(printed, tmp_path):
    run = printed
    lot = batch(run)
    assert run("register", "backup", "copy.sqlite3") == (0, "Register copied to copy.sqlite3\n", "")
    status, out, _ = run("lots", "list", "--register", str(tmp_path / "copy.sqlite3"))
    assert lot in out
    status, _, err = run("register", "backup", "nodir/copy.sqlite3")
    assert status == 2 and "must be in a folder that exists (nodir does not exist)" in err


def test_users_add_asks_twice_on_a_terminal(run, monkeypatch):
    answers = iter(["5678", "5678", "1234", "4321"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    assert cli.main(["users", "add", "bob", "--role", "technician"]) == 0
    assert cli.main(["users", "add", "eve", "--role", "technician"]) == 2


def test_users_need_a_pharmacist_to_sign_once_there_is_one_and_a_token_needs_its_users_pin(staffed, capsys):
    run = staffed
    status, _, err = run("users", "add", "bob", "--role", "pharmacist", "--pin-stdin", stdin="5555\n")
    assert status == 2
    assert assert_one_error_line(err) == (
        "error: --by: adding a user needs a pharmacist to sign once the register has one: --by NAME"
    )
    status, _, err = run(
        "users", "add", "bob", "--role", "pharmacist", "--by", "tina", "--pin-stdin", stdin="1111\n5555\n"
    )
    assert status == 2
    assert 'signer must be an enabled pharmacist: adding a user needs one (got "tina")' in assert_one_error_line(err)
    status, _, err = run(
        "users", "add", "bob", "--role", "pharmacist", "--by", "paul", "--pin-stdin", stdin="9999\n5555\n"
    )
    assert status == 2 and "wrong PIN" in assert_one_error_line(err)
    status, _, err = run("users", "add", "bob", "--role", "pharmacist", "--by", "paul", "--pin-stdin", stdin="3333\n")
    assert (status, assert_one_error_line(err)) == (
        2,
        "error: --pin-stdin: standard input has no PIN on its second line",
    )
    assert "bob" not in run("users", "list")[1]
    status, out, err = run("users", "token", "paul", "--pin-stdin", stdin="4444\n")
    assert (status, out) == (2, "") and "wrong PIN" in assert_one_error_line(err)
    status, out, err = run("users", "token", "paul", "--pin-stdin", stdin="3333\n")
    assert status == 0 and out.startswith("ldn_") and "not shown again" in err
    log = run("audit", "log")[1]
    assert "user paul added (pharmacist); no signature\n" in log  # the register's first pharmacist
    assert "user pia added (pharmacist); signed by paul\n" in log
    assert "API token made for paul (" in log
    assert " by paul" not in log.split("signed by paul")[0]  # a user event names its subject, not as a signer


def test_batch_json_does_not_import_the_register(tmp_path):
    code = (
        "import sys; from ldn_compound import cli; import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = cli.main(['batch', 'ldn-capsules', '--quantity', '100', '--json'])\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'alembic', 'argon2', 'psycopg', 'ldn_compound.register.store')"
        " if m in sys.modules)\n"
        "sys.stderr.write(repr((status, heavy)))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stderr == "(0, [])"


def test_the_record_with_the_actual_amounts(printed, tmp_path):
    from pypdf import PdfReader

    run = printed
    lot = batch(run)
    args = (
        "lots",
        "weigh",
        lot,
        "--user",
        "tina",
        "--pin-stdin",
        "--line",
        "naltrexone-hcl=452 mg",
        "--line",
        "mcc=25 g",
    )
    assert run(*args, stdin="1111\n")[0] == 0
    assert (
        run("lots", "accept", lot, "--line", "mcc", "--reason", "ok", "--user", "paul", "--pin-stdin", stdin="3333\n")[
            0
        ]
        == 0
    )
    status, out, err = run("lots", "reprint", lot, "--record", "amounts.pdf", "--with-amounts", "--user", "tina")
    assert (status, err) == (0, "")
    assert out == f"Compounding record of {lot} with its actual amounts written to amounts.pdf\n"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(tmp_path / "amounts.pdf").pages).split())
    assert f"Lot {lot}" in text
    assert "R-77" in text and "Ada Lovelace" in text  # the prescription, as on the first print
    # the pharmacy it was registered with, kept with the lot (not the path of its configuration file)
    assert "Riverside Compounding Pharmacy 12 Mill Street Springfield, IL 62701" in text
    # in the table of weighings, W1 and W2: the amount to weigh, then the actual amount
    assert "450 mg (to 0.1 mg, half up) 452 mg balance" in text
    assert "22.55 g (to 0.1 mg, half up) 25 g (accepted by paul) balance" in text
    assert (tmp_path / "amounts.pdf").read_bytes() != (tmp_path / "record.pdf").read_bytes()
    assert "printed record-with-amounts by tina" in run("audit", "log", lot)[1]
    assert run("audit", "verify")[0] == 0
    status, _, err = run("lots", "reprint", lot, "--labels", "x.pdf", "--with-amounts")
    assert status == 2 and "--with-amounts: renders the record only" in err


def test_a_pin_that_is_not_utf8_text_is_one_error_line(run):
    status, out, err = run("users", "add", "bob", "--role", "technician", "--pin-stdin", stdin="\udcff\udcfe12\n")
    assert (status, out) == (2, "")
    assert (
        assert_one_error_line(err)
        == "error: --pin-stdin: the PIN on the first line of standard input is not UTF-8 text"
    )

"""A fuzz target: at least 10,000 generated command lines, run in-process, each with a time limit.

Each command line is made of the commands and options of ``ldn-compound`` with
hostile values (``tests/strategies.py``): characters that must not be printed,
very long and very small values, nested brackets, dates out of range, special
files and the command's own input files as outputs.  For every one it checks:

- the exit status is 0, 1 or 2, and an internal error is never reported;
- a failure is exactly one ``error:`` line on stderr and nothing on stdout;
- it ends within 2 seconds (a timer interrupts a hang and reports it);
- no input file is changed and no special file is replaced.

A fault fails the test with the smallest command line Hypothesis finds for it.
PDFs are rendered by a stand-in (the real renderers are tested on their own) and
files are not flushed to disk (the disk's flush time is not the program's), and
coverage is not traced, so 10,000 command lines take about a minute of CPU.  ``LDN_FUZZ_EXAMPLES`` sets another
count; ``LDN_FUZZ_TIMES=1`` prints the slowest command lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldn_compound import outputs, service
from ldn_compound.cli import main
from ldn_compound.inputs import FileRead, recording
from tests import strategies as fz

EXAMPLES = int(os.environ.get("LDN_FUZZ_EXAMPLES", "10000"))
TIME_LIMIT = 2.0
TIMES: list[tuple[float, list[str]]] | None = [] if os.environ.get("LDN_FUZZ_TIMES") else None

FORMULAS = ["ldn-capsules", "ldn-oral-liquid", "ldn-sublingual-drops", "ldn-topical-cream"]
GOOD = {
    "--quantity": ["30", "100", "120 mL", "30 mL", "30 g", "0.5 mL", "5 L"],
    "--strength": ["4.5 mg", "1 mg/mL", "1 mg/g", "0.1 mg", "10 mg", "4.5 mg/capsule"],
    "--date": ["2026-03-01", "1900-01-01", "2999-12-31"],
    "--dose": ["4.5 mg", "13.5 mg", "0.0001 mg"],
    "--balance-readability": ["0.1 mg", "1 mg", "0.001 mg", "10 mg"],
    "--tablets": ["180", "50 mg", "2000 mg"],
    "--titration": ["1.5 mg for 7 days, then 4.5 mg", "1.5 mg:7, 3 mg"],
    "--lot": ["mcc=MC881", "naltrexone-hcl=NX2291:2027-06-30"],
    "--other-medicine": ["ibuprofen", "oxycodone"],
}
VALUE_OPTIONS = [
    "--quantity", "--strength", "--strength-basis", "--overage", "--date", "--lot-number", "--dose", "--potency",
    "--assay", "--water", "--residual-solvent", "--tablets", "--lot", "--balance-readability",
    "--balance-repeatability", "--capsule-size", "--packing", "--bulk-density", "--drops-per-ml", "--bud-rules",
    "--stability", "--other-medicine", "--override-reason", "--high-dose-reason", "--label-stock", "--page-size",
    "--rx", "--patient", "--prescriber", "--directions", "--refills", "--dispense", "--titration",
]  # fmt: skip
FLAGS = ["--json", "--no-clobber", "--bud-day-one"]
FILE_OPTIONS = ["--record", "--labels"]
PRESCRIPTION = ["--rx", "104233", "--patient", "Zoë Łukasiewicz-Núñez", "--prescriber", "Dr. A. Reyes",
                "--directions", "Take 1 capsule by mouth at bedtime"]  # fmt: skip


def _value(option: str) -> st.SearchStrategy[str]:
    good = GOOD.get(option, ["1", "0", "base", "hcl", "a4"])
    return st.one_of(st.sampled_from(good), fz.hostile_values)


def _option(option: str) -> st.SearchStrategy[list[str]]:
    """One option with a value, as two words or as ``--option=value``."""
    if option in FLAGS:
        return st.just([option])
    values = (
        fz.file_targets
        if option in FILE_OPTIONS
        else fz.input_files
        if option == "--pharmacy-config"
        else _value(option)
    )
    if option == "--dir":
        values = st.one_of(st.sampled_from(["formulas", "folder", "missing", "a" * 300]), fz.hostile_text)
    return st.builds(lambda value, joined: [f"{option}={value}"] if joined else [option, value], values, st.booleans())


_ANY_OPTION = st.sampled_from([*VALUE_OPTIONS, *FLAGS, *FILE_OPTIONS, "--pharmacy-config", "--dir"]).flatmap(_option)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command line of ``ldn-compound``: mostly batches, some show, formulas and mfr."""
    command = draw(st.sampled_from(["batch"] * 6 + ["show", "formulas", "mfr"]))
    formula = draw(
        st.one_of(st.sampled_from([*FORMULAS, "my-caps", "formulas/my-caps.toml", "no-such"]), fz.hostile_text)
    )
    argv: list[str] = [command] if command == "formulas" else [command, formula]
    if command == "batch":
        if draw(st.booleans()):
            argv += ["--quantity", draw(_value("--quantity"))]
        if draw(st.integers(0, 4)) == 0:  # a patient label: deeper into the rules
            argv += [*PRESCRIPTION, "--labels", draw(fz.file_targets), "--pharmacy-config", draw(fz.input_files)]
        for option in draw(st.lists(_ANY_OPTION, max_size=5)):
            argv += option
    elif command == "show":
        for option in draw(st.lists(st.sampled_from(["--strength", "--dir", "--json"]).flatmap(_option), max_size=2)):
            argv += option
    elif command == "formulas":
        for option in draw(st.lists(st.sampled_from(["--dir", "--json"]).flatmap(_option), max_size=2)):
            argv += option
    else:
        argv += ["-o", draw(fz.file_targets)]
        for option in draw(
            st.lists(
                st.sampled_from(["--strength", "--pharmacy-config", "--dir", "--no-clobber"]).flatmap(_option),
                max_size=3,
            )
        ):
            argv += option
    return argv


# --------------------------------------------------------------------------- the prepared folder


def _prepare(folder: Path) -> None:
    """The files the command lines name: inputs, outputs, special files and links."""
    formulas = folder / "formulas"
    formulas.mkdir()
    text = (Path(__file__).parents[1] / "formulas" / "ldn-capsules.toml").read_text(encoding="utf-8")
    (formulas / "my-caps.toml").write_text(text.replace('id = "ldn-capsules"', 'id = "my-caps"'), encoding="utf-8")
    (folder / "pharmacy.toml").write_text('[pharmacy]\nname = "Riverside Compounding Pharmacy"\n', encoding="utf-8")
    (folder / "nested.toml").write_text(
        '[pharmacy]\nname = "x"\nphone = ' + "[" * 500 + "]" * 500 + "\n", encoding="utf-8"
    )
    (folder / "bidi.toml").write_text('[pharmacy]\nname = "River\\u202eside"\n', encoding="utf-8")
    (folder / "folder").mkdir()
    os.mkfifo(folder / "fifo")
    (folder / "link-to-out.pdf").symlink_to("out.pdf")
    (folder / "dangling-link").symlink_to("nowhere/x.pdf")
    (folder / "link-to-formula.pdf").symlink_to("formulas/my-caps.toml")
    os.link(folder / "pharmacy.toml", folder / "hard-link-to-config.pdf")


INPUTS = ("formulas/my-caps.toml", "pharmacy.toml", "nested.toml", "bidi.toml")
SPECIAL = ("fifo", "folder", "link-to-out.pdf", "link-to-formula.pdf", "/dev/null")


def _kinds(folder: Path) -> dict[str, int]:
    """The kind of every special file (a FIFO, a folder, links, /dev/null): none may be replaced."""
    return {name: stat.S_IFMT((folder / name).lstat().st_mode) for name in SPECIAL}


def _changed_inputs(folder: Path, originals: dict[str, bytes], read: list[FileRead]) -> list[str]:
    """The data files whose bytes changed and that the run had read (the others are put back)."""
    identities = {(item.device, item.inode) for item in read}
    changed = []
    for name, data in originals.items():
        path = folder / name
        if path.is_file() and path.read_bytes() == data and not path.is_symlink():
            continue
        info = (folder / name).stat() if path.exists() else None
        if info is not None and (info.st_dev, info.st_ino) in identities:
            changed.append(name)
        path.unlink(missing_ok=True)
        path.write_bytes(data)  # an output the command was free to write there: put the input back
    return changed


class Hang(BaseException):  # not an Exception: main() must not catch it
    """The command line ran past the time limit."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expired(*_: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fast_renderer(module: str, name: str) -> object:
    """A stand-in for a PDF renderer: ``draw(document, out, **options)`` writes a few bytes."""

    def draw(_document: object, out: io.BytesIO, **_options: object) -> None:
        out.write(b"%PDF-1.4 stand-in " + name.encode())

    return draw


@contextlib.contextmanager
def _coverage_paused() -> Iterator[None]:
    """Stop coverage tracing while the block runs (it would double the fuzzing's time; other tests measure it).

    pytest-cov's ``no_cover`` marker would do it, but fails under ``--no-cov`` in some versions.
    """
    try:
        import coverage
    except ImportError:  # pragma: no cover - coverage comes with the test extras
        yield
        return
    current = coverage.Coverage.current()
    if current is None:
        yield
        return
    current.stop()
    try:
        yield
    finally:
        current.start()


def test_generated_command_lines_end_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """10,000 command lines: no internal error, no hang over 2 s, exit status 0, 1 or 2, no input changed."""
    _prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(service, "_renderer", _fast_renderer)
    # Flushing to disk waits on the disk, not on the program (seconds on a busy shared disk): not a hang.
    monkeypatch.setattr(outputs.os, "fsync", lambda _descriptor: None)
    for warm_up in (["formulas", "--json"], ["batch", "ldn-oral-liquid", "--quantity", "30 mL", "--json"]):
        with contextlib.redirect_stdout(io.StringIO()):  # load formulas and caches before any time limit
            assert main(warm_up) == 0
    kinds = _kinds(tmp_path)
    originals = {name: (tmp_path / name).read_bytes() for name in INPUTS}
    faults: list[str] = []
    count = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(command_lines())
    def run(argv: list[str]) -> None:
        nonlocal count
        count += 1
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        try:
            with (
                recording() as read,
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                _time_limit(TIME_LIMIT),
            ):
                status = main(argv)
        except Hang:
            faults.append(f"hang over {TIME_LIMIT:g} s: {argv!r}")
            raise AssertionError(faults[-1]) from None
        finally:
            if TIMES is not None:
                TIMES.append((time.monotonic() - started, argv))
        if False:  # pragma: no cover
            faults.append(f"hang over {TIME_LIMIT:g} s: {argv!r}")
            raise AssertionError(faults[-1]) from None
        problem = None
        if status not in (0, 1, 2):
            problem = f"exit status {status}"
        elif "internal error" in err.getvalue() or "Traceback" in err.getvalue():
            problem = "internal error: " + err.getvalue()[:300]
        elif status and (len(err.getvalue().splitlines()) != 1 or not err.getvalue().startswith("error: ")):
            problem = "not one error line: " + err.getvalue()[:300]
        elif status and out.getvalue():
            problem = "output on stdout with an error"
        elif changed := _changed_inputs(tmp_path, originals, read):
            problem = f"overwrote {changed}, which it read"
        elif _kinds(tmp_path) != kinds:
            problem = "replaced a special file"
        if problem is not None:
            faults.append(f"{problem}: {argv!r}")
            raise AssertionError(faults[-1])

    try:
        with _coverage_paused():
            run()
    finally:
        if TIMES:
            print(f"total {sum(t for t, _ in TIMES):.1f} s in {len(TIMES)} runs")  # noqa: T201
            for seconds, argv in sorted(TIMES, key=lambda item: -item[0])[:15]:
                print(f"{seconds:.3f} {argv!r}"[:400])  # noqa: T201
    assert faults == []
    assert count >= EXAMPLES


def test_the_prepared_special_files_are_what_they_say(tmp_path: Path) -> None:
    _prepare(tmp_path)
    assert stat.S_ISFIFO((tmp_path / "fifo").lstat().st_mode)
    assert (tmp_path / "link-to-formula.pdf").resolve() == (tmp_path / "formulas" / "my-caps.toml").resolve()
    assert (tmp_path / "hard-link-to-config.pdf").stat().st_ino == (tmp_path / "pharmacy.toml").stat().st_ino

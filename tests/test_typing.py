"""Type checkers see the real API: a consumer using every exported name passes mypy --strict, wrong calls fail."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ldn_compound

HERE = Path(__file__).parent / "typing"


def _mypy(script: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """mypy --strict on a copy of one script in a folder outside the source tree.

    So mypy sees ldn_compound only as installed: an editable install must be one type
    checkers can follow (``editable_mode=compat``, as the README's commands install it).
    """
    copy = folder / script.name
    copy.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", copy.name],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=folder,
    )


def test_the_consumer_script_uses_every_exported_name() -> None:
    tree = ast.parse((HERE / "consumer.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert set(ldn_compound.__all__) <= imported


def test_the_consumer_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "consumer.py")], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.startswith("4.066 mg 4.5 mg naltrexone HCl 2 b'%PDF-'")


def test_the_consumer_script_passes_mypy_strict(tmp_path: Path) -> None:
    done = _mypy(HERE / "consumer.py", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in 1 source file" in done.stdout


def test_wrong_calls_are_reported_by_mypy(tmp_path: Path) -> None:
    script = HERE / "wrong_call.py"
    done = _mypy(script, tmp_path)
    assert done.returncode == 1, done.stdout
    wrong = [n for n, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1) if "  # wrong:" in line]
    reported = {int(line.split(":")[1]) for line in done.stdout.splitlines() if line.startswith("wrong_call.py:")}
    assert reported == set(wrong), done.stdout

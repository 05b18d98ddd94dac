"""Every Python example in README.md and docs/ runs as printed (in a scratch folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ldn_compound

ROOT = Path(__file__).parents[1]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _examples() -> list[pytest.param]:
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, match in enumerate(_BLOCK.finditer(page.read_text(encoding="utf-8")), 1):
            found.append(pytest.param(match.group(1), id=f"{page.name}-{number}"))
    return found


#: Names an example uses for what the page says comes from elsewhere (e.g. the output of a command).
_CONTEXT = {
    "output_of_ldn_compound_batch_json": lambda: ldn_compound.calculate_batch(
        "ldn-capsules", quantity=30, date="2026-03-01"
    ).to_json(),
}


def test_the_docs_have_python_examples() -> None:
    assert len(_examples()) >= 5


@pytest.mark.parametrize("code", _examples())
def test_example_runs(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {name: make() for name, make in _CONTEXT.items() if name in code}
    exec(compile(code, "<example>", "exec"), namespace)
    capsys.readouterr()

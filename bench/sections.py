"""The one rule for writing docs/performance.md: each benchmark script owns one section.

``bench/run.py`` writes the page's head (start-up, calculation, record, labels); every other
script (``bench/<topic>.py``) writes only the text between ``<!-- bench:<topic> -->`` and
``<!-- /bench:<topic> -->``, adding the markers at the end of the page the first time.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
_SECTION = re.compile(r"<!-- bench:(?P<topic>[a-z0-9-]+) -->\n.*?<!-- /bench:(?P=topic) -->\n", re.DOTALL)


def sections(text: str) -> str:
    """Every owned section of a page, in order, as they stand."""
    return "".join(match.group(0) for match in _SECTION.finditer(text))


def write_head(head: str) -> None:
    """Replace the page's head (what bench/run.py measures), keeping every section after it."""
    kept = sections(PAGE.read_text(encoding="utf-8")) if PAGE.exists() else ""
    PAGE.write_text(head.rstrip("\n") + "\n" + ("\n" + kept if kept else ""), encoding="utf-8")


def write_section(topic: str, body: str) -> None:
    """Replace (or add at the end) the section of ``topic``."""
    block = f"<!-- bench:{topic} -->\n{body.rstrip()}\n<!-- /bench:{topic} -->\n"
    text = PAGE.read_text(encoding="utf-8") if PAGE.exists() else "# Performance\n"
    pattern = re.compile(rf"<!-- bench:{re.escape(topic)} -->\n.*?<!-- /bench:{re.escape(topic)} -->\n", re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _: block, text) if found else text.rstrip("\n") + "\n\n" + block
    PAGE.write_text(text, encoding="utf-8")

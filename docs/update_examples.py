"""Rewrite the checked examples in the docs with what the command prints now.

A block written as

    <!-- checked: batch ldn-capsules --quantity 30 --date 2026-03-01 -->
    ```text
    ...
    ```

holds the exact output of ``ldn-compound <args>``; the test suite fails when it drifts.
After changing the output on purpose, run ``python docs/update_examples.py`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

from ldn_compound import cli

DOCS = Path(__file__).parent
PAGES = ("cli.md", "json.md", "guide.md")
CHECKED = re.compile(r"(<!-- checked: (?P<args>.*?) -->\n```(?P<lang>text|json)\n)(?P<output>.*?)(```)", re.DOTALL)


def output_of(args: str) -> str:
    """What ``ldn-compound <args>`` prints on stdout, run in an empty folder with a new register."""
    buffer = io.StringIO()
    here = Path.cwd()
    register = os.environ.get("LDN_COMPOUND_REGISTER")
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        os.environ["LDN_COMPOUND_REGISTER"] = str(Path(folder) / "register.sqlite3")  # a new register: lot 1
        try:
            with contextlib.redirect_stdout(buffer):
                status = cli.main(shlex.split(args))
        finally:
            os.chdir(here)
            if register is None:
                os.environ.pop("LDN_COMPOUND_REGISTER", None)
            else:
                os.environ["LDN_COMPOUND_REGISTER"] = register
    if status != 0:
        sys.exit(f"ldn-compound {args} exited {status}")
    return buffer.getvalue()


def main() -> int:
    """Rewrite every checked block of every page; print which pages changed."""
    for name in PAGES:
        page = DOCS / name
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        new = CHECKED.sub(lambda m: m[1] + output_of(m["args"]) + m[5], text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            sys.stdout.write(f"updated {page.name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

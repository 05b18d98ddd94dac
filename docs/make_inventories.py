"""Write the small intersphinx inventories the docs link through, for builds without a network.

Each inventory lists only the objects of Python, pint and attrs that our API names, each
at the address where that project's own documentation describes it. Sphinx reads these
local files first and never needs to fetch the projects' full inventories. Run it again
after the docs start to name another outside object:

    python docs/make_inventories.py
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).parent / "_inventories"

#: project -> (version, [(name, role, address within the project's docs)])
OBJECTS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "Python": (
        "3.11",
        [
            ("decimal.Decimal", "py:class", "library/decimal.html#decimal.Decimal"),
            ("datetime.date", "py:class", "library/datetime.html#datetime.date"),
            ("datetime.datetime", "py:class", "library/datetime.html#datetime.datetime"),
            ("os.PathLike", "py:class", "library/os.html#os.PathLike"),
            ("pathlib.Path", "py:class", "library/pathlib.html#pathlib.Path"),
            ("collections.abc.Sequence", "py:class", "library/collections.abc.html#collections.abc.Sequence"),
            ("collections.abc.Mapping", "py:class", "library/collections.abc.html#collections.abc.Mapping"),
            ("collections.abc.Iterable", "py:class", "library/collections.abc.html#collections.abc.Iterable"),
            ("collections.abc.Callable", "py:class", "library/collections.abc.html#collections.abc.Callable"),
            ("collections.abc.Collection", "py:class", "library/collections.abc.html#collections.abc.Collection"),
            ("collections.abc.Iterator", "py:class", "library/collections.abc.html#collections.abc.Iterator"),
            ("gettext", "py:module", "library/gettext.html#module-gettext"),
            ("gettext.NullTranslations", "py:class", "library/gettext.html#gettext.NullTranslations"),
            ("typing.Any", "py:data", "library/typing.html#typing.Any"),
            ("typing.BinaryIO", "py:class", "library/typing.html#typing.BinaryIO"),
            ("typing.IO", "py:class", "library/typing.html#typing.IO"),
            ("io.BytesIO", "py:class", "library/io.html#io.BytesIO"),
            ("enum.StrEnum", "py:class", "library/enum.html#enum.StrEnum"),
            ("ValueError", "py:exception", "library/exceptions.html#ValueError"),
            ("TypeError", "py:exception", "library/exceptions.html#TypeError"),
            ("LookupError", "py:exception", "library/exceptions.html#LookupError"),
            ("OSError", "py:exception", "library/exceptions.html#OSError"),
            ("RuntimeError", "py:exception", "library/exceptions.html#RuntimeError"),
            ("Exception", "py:exception", "library/exceptions.html#Exception"),
            ("DeprecationWarning", "py:exception", "library/exceptions.html#DeprecationWarning"),
            ("logging.getLogger", "py:function", "library/logging.html#logging.getLogger"),
            ("logging.NullHandler", "py:class", "library/logging.html#logging.NullHandler"),
        ],
    ),
    "pint": (
        "0.25",
        [
            ("pint.Quantity", "py:class", "api/base.html#pint.Quantity"),
            # annotations name the registry's class, which pint documents as pint.Quantity
            ("pint.registry.Quantity", "py:class", "api/base.html#pint.Quantity"),
            ("pint.UnitRegistry", "py:class", "api/base.html#pint.UnitRegistry"),
        ],
    ),
    "attrs": (
        "25",
        [
            ("attrs", "py:module", "api.html#module-attrs"),
            ("attrs.evolve", "py:function", "api.html#attrs.evolve"),
            ("attrs.frozen", "py:function", "api.html#attrs.frozen"),
        ],
    ),
}


def inventory(project: str, version: str, objects: list[tuple[str, str, str]]) -> bytes:
    """The bytes of a Sphinx inventory (format version 2) listing ``objects``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "".join(f"{name} {role} 1 {address} -\n" for name, role, address in sorted(objects))
    return header.encode() + zlib.compress(body.encode(), 9)


def main() -> None:
    """Write one inventory per project into docs/_inventories/."""
    HERE.mkdir(exist_ok=True)
    for project, (version, objects) in OBJECTS.items():
        (HERE / f"{project.lower()}.inv").write_bytes(inventory(project, version, objects))


if __name__ == "__main__":
    main()

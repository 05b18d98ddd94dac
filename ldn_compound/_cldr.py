"""Build step: write ``locale/locales.toml`` from Babel's CLDR data (``python -m ldn_compound._cldr``).

Babel is a build and test tool of the package, never imported at run time;
the labels read the file this writes (:func:`ldn_compound.i18n.locale_data`).
"""

from __future__ import annotations

from pathlib import Path

from ldn_compound.i18n import LANGUAGES

__all__ = ["cldr_locale_data"]


def cldr_locale_data() -> str:
    """``locale/locales.toml`` as Babel's CLDR data gives it today (a build step: Babel is not needed at run time)."""
    import babel
    from babel.core import get_cldr_version
    from babel.localedata import locale_identifiers

    lines = [
        "# The number and date words of each label locale: its decimal mark and its abbreviated month",
        '# names (January first), as a label prints "4.5 mg" and "31 may 2027".',
        f"# Source: the Unicode CLDR, version {get_cldr_version()}, through Babel {babel.__version__}",
        "# (numbers: symbols/decimal; dates: months, format, abbreviated).  Do not edit: regenerate",
        "# with `python -m ldn_compound._cldr` (a test checks it is current).",
        "",
    ]
    for language in (code for code in LANGUAGES if code != "en"):
        for identifier in sorted(i for i in locale_identifiers() if i.split("_")[0] == language):
            cldr = babel.Locale.parse(identifier)
            months = ", ".join(f'"{cldr.months["format"]["abbreviated"][m]}"' for m in range(1, 13))
            lines += [
                f'[locale."{identifier}"]',
                f'decimal = "{cldr.number_symbols["latn"]["decimal"]}"',
                f"months = [{months}]",
                "",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    Path(__file__).with_name("locale").joinpath("locales.toml").write_text(cldr_locale_data(), encoding="utf-8")

"""Directions as a value: what the patient takes, how, and when, read from sig codes or English.

A :class:`Directions` holds the amount per administration in the form's own
unit (capsules, mL, drops, clicks, or a mass), the route, the timing (which
knows how many administrations a day it means) and, optionally, a titration
schedule.  The patient-label sentence is rendered from it, in English or
Spanish, never with an abbreviation:

>>> sig = parse_sig("3 gtt sl qhs")
>>> sig.text()
'Place 3 drops under the tongue at bedtime'
>>> sig.text("es")
'Coloque 3 gotas debajo de la lengua al acostarse'
>>> parse_directions("Take 1 capsule by mouth at bedtime") == parse_sig("1 cap po qhs")
True

With a batch, the library derives the dose per administration (in the
strength's salt basis), the daily dose and the days' supply of a quantity:

>>> from ldn_compound import calculate_batch
>>> batch = calculate_batch("ldn-oral-liquid", quantity="120 mL", strength="1 mg/mL", date="2026-03-01")
>>> d = parse_directions("Take 4.5 mL by mouth every evening")
>>> str(d.dose(batch)), str(d.daily_dose(batch)), d.days_supply(batch)
('4.5 mg naltrexone HCl', '4.5 mg naltrexone HCl', 26)

The codes and phrases are data (``sigcodes.toml`` beside this module, whose
header gives its sources and grammar); a pharmacy adds its own codes with a file
of the same grammar named by ``Settings.sig_code_file``.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from ldn_compound._toml import parse_toml, read_text
from ldn_compound.exceptions import InputError, Problem, SigCodeFileError
from ldn_compound.model import BatchWarning, DosageForm, Strength, TitrationStep
from ldn_compound.settings import Settings, default_settings
from ldn_compound.units import Quantity, format_amount, format_number, magnitude, new_quantity, to_decimal

if TYPE_CHECKING:
    from ldn_compound.model import BatchResult

__all__ = [
    "Directions",
    "Dosing",
    "Prescribed",
    "Route",
    "SigCodes",
    "SigUnit",
    "Site",
    "Timing",
    "builtin_sig_codes",
    "check_prescribed",
    "is_sig",
    "load_sig_codes",
    "parse_directions",
    "parse_sig",
    "read_directions",
    "read_sig_codes",
]

#: The languages :meth:`Directions.text` renders.
LANGUAGES: Final = ("en", "es")
#: The longest directions or sig accepted (a label's directions are one sentence).
MAX_LENGTH: Final = 200
#: The largest amount per administration accepted (of any unit): a guard against typing slips.
MAX_AMOUNT: Final = Decimal(1000)
_COUNTED: Final = frozenset({"capsule", "drop", "click"})
_NUMBER_WORDS: Final = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# one number, anchored where matching starts: digits, an optional decimal part (linear: no nesting)
_AMOUNT_RE: Final = re.compile(r"(\d{1,6}(?:\.\d{1,6})?|\.\d{1,6})(?= |$)")
_FORM_UNIT: Final = {
    DosageForm.CAPSULES: "capsule",
    DosageForm.ORAL_LIQUID: "mL",
    DosageForm.SUBLINGUAL_DROPS: "mL",
    DosageForm.TOPICAL_CREAM: "g",
}
#: What a timing without a daily count says instead (``daily = "as needed"`` in a sig code file).
_NO_DAILY_COUNT: Final = ("as needed", "as directed")
_STRENGTH_UNIT: Final = {
    DosageForm.CAPSULES: "mg",
    DosageForm.ORAL_LIQUID: "mg/mL",
    DosageForm.SUBLINGUAL_DROPS: "mg/mL",
    DosageForm.TOPICAL_CREAM: "mg/g",
}


# --------------------------------------------------------------------------- the vocabulary


def _words(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class SigUnit:
    """What the patient counts or measures: ``capsule``, ``mL``, ``drop``, ``click`` or ``mg``."""

    key: str
    en: str
    en_plural: str
    es: str
    es_plural: str
    forms: frozenset[DosageForm] = attrs.field(eq=False, repr=False)
    codes: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)
    phrases: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)

    def word(self, amount: Decimal, language: str) -> str:
        """The unit's word for ``amount``: ``capsule`` for 1, ``capsules`` otherwise."""
        one = amount == 1
        if language == "es":
            return self.es if one else self.es_plural
        return self.en if one else self.en_plural


@attrs.frozen
class Route:
    """How the dose is given: ``oral`` (by mouth), ``sublingual`` (under the tongue), ``topical``."""

    key: str
    en: str
    es: str
    verb_en: str
    verb_es: str
    forms: frozenset[DosageForm] = attrs.field(eq=False, repr=False)
    verbs: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)
    codes: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)
    phrases: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)


@attrs.frozen
class Site:
    """A named place on the skin, said instead of the route's words: ``to the inner wrist``."""

    key: str
    route: str
    en: str
    es: str
    phrases: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)


@attrs.frozen
class Timing:
    """When the dose is given; ``per_day`` is the administrations a day, or None ("as needed", "as directed")."""

    key: str
    en: str
    es: str
    per_day: int | None
    codes: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)
    phrases: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False, converter=_words)


@attrs.frozen
class SigCodes:
    """The vocabulary of directions: units, routes, sites, timings and the dosing-schedule phrase."""

    units: Mapping[str, SigUnit]
    routes: Mapping[str, Route]
    sites: Mapping[str, Site]
    timings: Mapping[str, Timing]
    schedule: Mapping[str, Any]
    source: str = ""

    #: Every sig code (lower case) and its meaning.
    by_code: Mapping[str, SigUnit | Route | Timing] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        table: dict[str, SigUnit | Route | Timing] = {}
        for group in (self.units, self.routes, self.timings):
            for meaning in group.values():
                for code in meaning.codes:
                    table[code.lower()] = meaning
        object.__setattr__(self, "by_code", table)  # a frozen value's derived field, set once

    def lookup(self, kind: str, text: str) -> Any:
        """The meaning of ``kind`` (``unit``, ``route``, ``site``, ``timing``) named by key, code or phrase."""
        group: Mapping[str, Any] = getattr(self, kind + "s")
        wanted = " ".join(str(text).split()).lower()
        for key, meaning in group.items():
            names = {key.lower(), key.lower().replace("-", " "), meaning.en.lower()}
            names.update(c.lower() for c in getattr(meaning, "codes", ()))
            names.update(p.lower() for p in meaning.phrases)
            if wanted in names:
                return meaning
        known = ", ".join(sorted(group))
        raise InputError(kind, text, f"be a known {kind}: {known} (or one of their codes or phrases)")


_SCHEMA: Final = {
    "unit": {
        "codes": True,
        "en": True,
        "en_plural": True,
        "es": True,
        "es_plural": True,
        "phrases": False,
        "forms": True,
    },
    "route": {
        "codes": True,
        "en": True,
        "es": True,
        "verb_en": True,
        "verb_es": True,
        "verbs": True,
        "phrases": False,
        "forms": True,
    },
    "site": {"route": True, "en": True, "es": True, "phrases": False},
    "timing": {"codes": True, "en": True, "es": True, "phrases": False, "per_day": False, "daily": False},
}
_KEY: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,31}\Z")
_CODE: Final = re.compile(r"[a-z][a-z0-9]{0,9}\Z")


class _Reader:
    """Reads one sig code file, recording every problem with its key path."""

    def __init__(self, base: SigCodes | None) -> None:
        self.base = base
        self.problems: list[Problem] = []
        self.codes: dict[str, str] = {}
        if base is not None:
            for code, meaning in base.by_code.items():
                self.codes[code] = f"{type(meaning).__name__.lower()} {meaning.key}"

    def text(self, table: Mapping[str, Any], name: str, path: str) -> str:
        value = table.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 80 or "\n" in value:
            self.problems.append(Problem(f"{path}.{name}", f"must be one line of text (got {value!r})"))
            return ""
        return value.strip()

    def words(self, table: Mapping[str, Any], name: str, path: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = table.get(name, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problems.append(Problem(f"{path}.{name}", f"must be a list of text (got {value!r})"))
            return ()
        return tuple(" ".join(v.split()).lower() for v in value)

    def forms(self, table: Mapping[str, Any], path: str) -> frozenset[DosageForm]:
        known = [f.value for f in DosageForm]
        found: set[DosageForm] = set()
        for value in self.words(table, "forms", path):
            if value not in known:
                self.problems.append(
                    Problem(f"{path}.forms", f"must list dosage forms ({', '.join(known)}); got {value!r}")
                )
            else:
                found.add(DosageForm(value))
        return frozenset(found)

    def sig_codes(self, table: Mapping[str, Any], path: str, meaning: str) -> tuple[str, ...]:
        codes = self.words(table, "codes", path)
        for code in codes:
            if not _CODE.match(code):
                self.problems.append(Problem(f"{path}.codes", f"must be letters and digits, at most 10 (got {code!r})"))
            elif code in self.codes:
                self.problems.append(Problem(f"{path}.codes", f"{code!r} already means {self.codes[code]}"))
            else:
                self.codes[code] = meaning
        return codes

    def read(self, data: Mapping[str, Any]) -> SigCodes:
        base = self.base
        units: dict[str, SigUnit] = dict(base.units) if base else {}
        routes: dict[str, Route] = dict(base.routes) if base else {}
        sites: dict[str, Site] = dict(base.sites) if base else {}
        timings: dict[str, Timing] = dict(base.timings) if base else {}
        schedule: dict[str, Any] = dict(base.schedule) if base else {}
        for top in data:
            if top not in (*_SCHEMA, "schedule"):
                self.problems.append(
                    Problem(f"$.{top}", "is not a known table (known: unit, route, site, timing, schedule)")
                )
        if "schedule" in data:
            if base is not None:
                self.problems.append(Problem("$.schedule", "is built in and may not be redefined"))
            elif isinstance(data["schedule"], Mapping):
                table = data["schedule"]
                schedule = {
                    "en": self.text(table, "en", "$.schedule"),
                    "es": self.text(table, "es", "$.schedule"),
                    "phrases": self.words(table, "phrases", "$.schedule"),
                }
        for kind, keys in _SCHEMA.items():
            group = data.get(kind, {})
            if not isinstance(group, Mapping):
                self.problems.append(Problem(f"$.{kind}", "must be tables, e.g. [timing.bedtime]"))
                continue
            for key, table in group.items():
                path = f"$.{kind}.{key}"
                if not _KEY.match(key):
                    self.problems.append(Problem(path, "must be named with letters, digits and '-'"))
                    continue
                if not isinstance(table, Mapping):
                    self.problems.append(Problem(path, "must be a table"))
                    continue
                groups: dict[str, Mapping[str, object]] = {
                    "unit": units,
                    "route": routes,
                    "site": sites,
                    "timing": timings,
                }
                existing = groups[kind]
                if key in existing:
                    self.problems.append(Problem(path, f"is already defined (a built-in {kind} may not be redefined)"))
                    continue
                self.problems.extend(
                    Problem(f"{path}.{name}", f"is not a known key (known: {', '.join(keys)})")
                    for name in table
                    if name not in keys
                )
                self.problems.extend(
                    Problem(f"{path}.{name}", "is required")
                    for name, required in keys.items()
                    if required and name not in table
                )
                self._one(
                    kind, key=key, table=table, path=path, units=units, routes=routes, sites=sites, timings=timings
                )
        return SigCodes(units=units, routes=routes, sites=sites, timings=timings, schedule=schedule)

    def _one(
        self,
        kind: str,
        *,
        key: str,
        table: Mapping[str, Any],
        path: str,
        units: dict[str, SigUnit],
        routes: dict[str, Route],
        sites: dict[str, Site],
        timings: dict[str, Timing],
    ) -> None:
        en = self.text(table, "en", path)
        es = self.text(table, "es", path)
        if kind == "unit":
            if key not in ("capsule", "mL", "drop", "click", "mg"):
                self.problems.append(Problem(path, "must be one of the units capsule, mL, drop, click, mg"))
                return
            plural = self.text(table, "en_plural", path)
            units[key] = SigUnit(
                key=key,
                en=en,
                en_plural=plural,
                es=es,
                es_plural=self.text(table, "es_plural", path),
                forms=self.forms(table, path),
                codes=self.sig_codes(table, path, f"unit {key}"),
                phrases=self.words(table, "phrases", path, (en, plural)),
            )
        elif kind == "route":
            routes[key] = Route(
                key=key,
                en=en,
                es=es,
                verb_en=self.text(table, "verb_en", path),
                verb_es=self.text(table, "verb_es", path),
                forms=self.forms(table, path),
                verbs=self.words(table, "verbs", path),
                codes=self.sig_codes(table, path, f"route {key}"),
                phrases=self.words(table, "phrases", path, (en,)),
            )
        elif kind == "site":
            route = table.get("route")
            if route not in routes:
                self.problems.append(
                    Problem(f"{path}.route", f"must name a route ({', '.join(routes)}); got {route!r}")
                )
            sites[key] = Site(
                key=key, route=str(route), en=en, es=es, phrases=self.words(table, "phrases", path, (en,))
            )
        else:
            per_day = table.get("per_day")
            daily = table.get("daily")
            if per_day is not None and (
                not isinstance(per_day, int) or isinstance(per_day, bool) or not 1 <= per_day <= 24
            ):
                self.problems.append(
                    Problem(f"{path}.per_day", f"must be a whole number from 1 to 24 (got {per_day!r})")
                )
                per_day = None
            elif daily is not None and daily not in _NO_DAILY_COUNT:
                self.problems.append(
                    Problem(f"{path}.daily", f"must be one of {', '.join(map(repr, _NO_DAILY_COUNT))} (got {daily!r})")
                )
            elif per_day is not None and daily is not None:
                self.problems.append(
                    Problem(f"{path}.daily", "goes instead of per_day: a timing states a daily count or none")
                )
            elif per_day is None and daily is None and "per_day" not in table:
                self.problems.append(
                    Problem(
                        f"{path}.per_day",
                        "is required (administrations a day, so the daily dose is checked); a timing that states "
                        'no daily count says so with daily = "as needed" or daily = "as directed"',
                    )
                )
            timings[key] = Timing(
                key=key,
                en=en,
                es=es,
                per_day=per_day,
                codes=self.sig_codes(table, path, f"timing {key}"),
                phrases=self.words(table, "phrases", path, (en,)),
            )


def read_sig_codes(text: str, source: str = "<text>", *, base: SigCodes | None = None) -> SigCodes:
    """The vocabulary in TOML ``text`` (added to ``base``); raise :class:`~ldn_compound.exceptions.SigCodeFileError` listing every problem."""
    data = parse_toml(text, source, SigCodeFileError)
    reader = _Reader(base)
    codes = reader.read(data)
    if reader.problems:
        raise SigCodeFileError(source, reader.problems)
    return attrs.evolve(codes, source=source)


@functools.cache
def builtin_sig_codes() -> SigCodes:
    """The built-in vocabulary (``sigcodes.toml``), read once."""
    text = resources.files("ldn_compound").joinpath("sigcodes.toml").read_text(encoding="utf-8")
    return read_sig_codes(text, "sigcodes.toml")


@functools.cache
def _load(path: str, stamp: float) -> SigCodes:  # noqa: ARG001 - the modification time keys the cache
    return read_sig_codes(read_text(path, SigCodeFileError), path, base=builtin_sig_codes())


def load_sig_codes(path: str | Path | None = None) -> SigCodes:
    """The built-in vocabulary, with a pharmacy's own codes from ``path`` added when given."""
    if path is None or str(path) == "":
        return builtin_sig_codes()
    try:
        stamp = Path(path).stat().st_mtime
    except OSError:
        stamp = 0.0
    return _load(str(path), stamp)


def _codes(settings: Settings | None) -> SigCodes:
    return load_sig_codes((settings or default_settings()).sig_code_file)


# --------------------------------------------------------------------------- the value


def _amount(value: object) -> Decimal | None:
    if value is None:
        return None
    return to_decimal(value, "directions amount")


def _to_unit(value: SigUnit | str | None) -> SigUnit | None:
    return builtin_sig_codes().lookup("unit", value) if isinstance(value, str) else value


def _to_route(value: Route | str) -> Route:
    return builtin_sig_codes().lookup("route", value) if isinstance(value, str) else value


def _to_timing(value: Timing | str) -> Timing:
    return builtin_sig_codes().lookup("timing", value) if isinstance(value, str) else value


def _to_site(value: Site | str | None) -> Site | None:
    return builtin_sig_codes().lookup("site", value) if isinstance(value, str) else value


def _steps(value: Iterable[TitrationStep]) -> tuple[TitrationStep, ...]:
    return tuple(value)


@attrs.frozen
class Directions:
    """Directions for use: ``amount`` of ``unit`` per administration, given by ``route`` at ``timing``.

    ``unit``, ``route``, ``timing`` and ``site`` may be given as text (a key,
    a sig code or an English phrase of the built-in vocabulary:
    ``Directions(1, "capsule", "po", "qhs")``), or as the values of a vocabulary
    (:func:`load_sig_codes`, for a pharmacy's own codes).
    ``amount`` and ``unit`` are None together when the dose comes from the
    titration schedule (or, with an "as directed" timing, from elsewhere).
    Counted units (capsule, drop, click) take whole amounts.

    >>> Directions(2, "cap", "po", "bid").text()
    'Take 2 capsules by mouth twice daily'
    """

    amount: Decimal | None = attrs.field(converter=_amount)
    unit: SigUnit | None = attrs.field(converter=_to_unit)
    route: Route = attrs.field(converter=_to_route)
    timing: Timing = attrs.field(converter=_to_timing)
    site: Site | None = attrs.field(default=None, converter=_to_site)
    titration: tuple[TitrationStep, ...] = attrs.field(default=(), converter=_steps)

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) != (self.unit is None):
            raise InputError("directions", self.amount, "give an amount and its unit together, or neither")
        if self.amount is not None and self.unit is not None:
            if not Decimal(0) < self.amount <= MAX_AMOUNT:
                raise InputError(
                    "directions amount", format_number(self.amount), f"be more than 0 and at most {MAX_AMOUNT}"
                )
            if self.unit.key in _COUNTED and self.amount != self.amount.to_integral_value():
                raise InputError(
                    "directions amount",
                    f"{format_number(self.amount)} {self.unit.en_plural}",
                    f"be a whole number of {self.unit.en_plural}",
                )
        if self.site is not None and self.site.route != self.route.key:
            raise InputError("directions site", self.site.en, f"be a place for the route {self.route.key!r}")

    @property
    def quantity(self) -> Quantity | None:
        """The amount per administration as a quantity (``3 capsules``, ``4.5 mL``), or None."""
        if self.amount is None or self.unit is None:
            return None
        return new_quantity(self.amount, self.unit.key)

    @property
    def per_day(self) -> int | None:
        """Administrations a day, or None when the timing states none."""
        return self.timing.per_day

    def text(self, language: str = "en", *, decimal: str = ".") -> str:
        """The patient-label sentence, in words, never an abbreviation.

        ``decimal`` is the decimal mark of the label's locale (``","`` for Spanish in Spain).

        >>> parse_sig("1 click top qd").text("es")
        'Aplique 1 pulsación en la piel una vez al día'
        >>> parse_sig("0.5 mL sl qam").text("es", decimal=",")
        'Coloque 0,5 mL debajo de la lengua cada mañana'
        """
        if language not in LANGUAGES:
            raise InputError("language", language, f"be one of {', '.join(LANGUAGES)}", code="unsupported-language")
        spanish = language == "es"
        parts = [self.route.verb_es if spanish else self.route.verb_en]
        if self.amount is not None and self.unit is not None:
            parts += [format_number(self.amount).replace(".", decimal), self.unit.word(self.amount, language)]
        place = self.site if self.site is not None else self.route
        parts += [place.es if spanish else place.en, self.timing.es if spanish else self.timing.en]
        if self.amount is None and self.titration:
            schedule = builtin_sig_codes().schedule
            parts.append(schedule["es" if spanish else "en"])
        return " ".join(parts)

    def __str__(self) -> str:
        return self.text()

    def dose(self, batch: BatchResult, settings: Settings | None = None) -> Strength | None:
        """The dose per administration (the strength's salt basis), or None when not stated."""
        return Dosing.from_batch(batch, settings).dose(self)

    def daily_dose(self, batch: BatchResult, settings: Settings | None = None) -> Strength | None:
        """The dose a day, or None when the timing states no daily count."""
        return Dosing.from_batch(batch, settings).daily_dose(self)

    def days_supply(
        self, batch: BatchResult, dispensed: Quantity | None = None, settings: Settings | None = None
    ) -> int | None:
        """Whole days the ``dispensed`` quantity (default: the batch) lasts, or None when it cannot be known."""
        dosing = Dosing.from_batch(batch, settings)
        return dosing.days_supply(self, dispensed if dispensed is not None else batch.quantity)


# --------------------------------------------------------------------------- reading


def _length(text: object, field: str) -> str:
    if not isinstance(text, str):
        raise InputError(field, text, "be text", code="unreadable-directions")
    if len(text) > MAX_LENGTH:
        raise InputError(field, f"{text[:40]}…", f"be at most {MAX_LENGTH} characters", code="directions-too-long")
    return " ".join(text.split())


def _number(token: str, field: str, original: str) -> Decimal:
    if token.startswith("."):
        raise InputError(field, original, f"write {token!r} with a leading zero, 0{token} (ISMP)", code="invalid-sig")
    return to_decimal(token, field)


def parse_sig(text: str, *, settings: Settings | None = None) -> Directions:
    """Read sig codes: ``AMOUNT UNIT ROUTE TIMING`` (``"1 cap po qhs"``), or ``ROUTE TIMING`` for a schedule.

    Codes are read case-insensitively; an unknown code raises an
    :class:`~ldn_compound.exceptions.InputError` with code ``unknown-sig-code`` naming it, with a
    did-you-mean.

    >>> parse_sig("0.5 mL sl qam").text()
    'Place 0.5 mL under the tongue every morning'
    """
    codes = _codes(settings)
    original = _length(text, "sig")
    tokens = original.lower().split()
    example = "be sig codes AMOUNT UNIT ROUTE TIMING, e.g. '1 cap po qhs', '3 gtt sl qhs', '1 click top qd'"
    if not tokens:
        raise InputError("sig", text, example, code="invalid-sig")
    amount: Decimal | None = None
    unit: SigUnit | None = None
    if re.fullmatch(r"\d*\.?\d+", tokens[0]):
        if len(tokens) < 2:
            raise InputError("sig", original, example, code="invalid-sig")
        amount = _number(tokens[0], "sig", original)
        tokens = tokens[1:]
        unit = _expect(codes, tokens[0], SigUnit, "unit", original)
        tokens = tokens[1:]
    if len(tokens) != 2:
        raise InputError("sig", original, example, code="invalid-sig")
    route = _expect(codes, tokens[0], Route, "route", original)
    timing = _expect(codes, tokens[1], Timing, "timing", original)
    return Directions(amount=amount, unit=unit, route=route, timing=timing)


def _expect(codes: SigCodes, token: str, kind: type[Any], name: str, original: str) -> Any:
    meaning = codes.by_code.get(token)
    if meaning is None:
        close = difflib.get_close_matches(token, list(codes.by_code), n=1, cutoff=0.5)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(codes.by_code))
        raise InputError("sig code", token, f"be a known sig code ({known}){guess}", code="unknown-sig-code")
    if not isinstance(meaning, kind):
        what = type(meaning).__name__.lower().removeprefix("sig")
        raise InputError(
            "sig",
            original,
            f"be AMOUNT UNIT ROUTE TIMING, e.g. '1 cap po qhs' ({token!r} is a {what} where a {name} belongs)",
            code="invalid-sig",
        )
    return meaning


def _phrase(text: str, position: int, phrases: Iterable[tuple[str, Any]]) -> tuple[Any, int] | None:
    """The meaning of the longest phrase that starts at ``position`` and ends at a word boundary."""
    best: tuple[Any, int] | None = None
    for phrase, meaning in phrases:
        end = position + len(phrase)
        ends_word = end == len(text) or text[end : end + 1] == " "
        if text.startswith(phrase, position) and ends_word and (best is None or end > best[1]):
            best = (meaning, end)
    return best


def _skip(text: str, position: int) -> int:
    return position + 1 if position < len(text) and text[position] == " " else position


def _understood(codes: SigCodes) -> str:
    verbs = sorted({verb for route in codes.routes.values() for verb in route.verbs})
    units = [u.en if u.en == u.en_plural else f"{u.en}(s)" for u in codes.units.values()]
    places = [m.en for group in (codes.routes, codes.sites) for m in group.values()]
    timings = [timing.en for timing in codes.timings.values()]
    return (
        f"verbs {', '.join(verbs)}; units {', '.join(units)}; routes {', '.join(places)}; "
        f"timings {', '.join(timings)}; then optionally '{codes.schedule['en']}'"
    )


def parse_directions(text: str, *, settings: Settings | None = None) -> Directions:
    """Read English directions: ``VERB [AMOUNT UNIT] ROUTE TIMING``, e.g. ``"Take 3 capsules by mouth at bedtime"``.

    Case and spacing do not matter, a final full stop is allowed, and amounts
    are digits (or one to ten in words).  Text that cannot be read raises one
    :class:`~ldn_compound.exceptions.InputError` (code ``unreadable-directions``) that names the part not
    understood, lists the phrases that are, and suggests a sig code.

    >>> parse_directions("Apply 1 click to the inner wrist once daily").text()
    'Apply 1 click to the inner wrist once daily'
    """
    codes = _codes(settings)
    original = _length(text, "directions")
    line = original.lower().rstrip(".").rstrip()
    position = 0
    verbs = [(verb, verb) for route in codes.routes.values() for verb in route.verbs]
    found = _phrase(line, position, verbs)

    def refuse(at: int, what: str) -> InputError:
        rest = original[at:].strip()
        where = f"at {rest!r}" if rest else "at the end"
        return InputError(
            "directions",
            original,
            f"be directions ldn_compound can read, VERB [AMOUNT UNIT] ROUTE TIMING, e.g. 'Take 1 capsule by mouth "
            f"at bedtime' (expected {what} {where}); it understands {_understood(codes)}; or give sig codes, "
            "e.g. '1 cap po qhs'",
            code="unreadable-directions",
        )

    if found is None:
        raise refuse(position, "a verb")
    verb, position = found[0], _skip(line, found[1])
    amount: Decimal | None = None
    unit: SigUnit | None = None
    number = _AMOUNT_RE.match(line, position)
    word = _phrase(line, position, [(w, n) for w, n in _NUMBER_WORDS.items()])
    if number is not None or word is not None:
        if number is not None:
            amount, position = _number(number.group(1), "directions", original), number.end()
        elif word is not None:
            amount, position = Decimal(word[0]), word[1]
        position = _skip(line, position)
        found = _phrase(line, position, [(p, u) for u in codes.units.values() for p in u.phrases])
        if found is None:
            raise refuse(position, "a unit")
        unit, position = found[0], _skip(line, found[1])
    places: list[tuple[str, Any]] = [(p, r) for r in codes.routes.values() for p in r.phrases]
    places += [(p, s) for s in codes.sites.values() for p in s.phrases]
    found = _phrase(line, position, places)
    if found is None:
        raise refuse(position, "a route")
    site: Site | None = found[0] if isinstance(found[0], Site) else None
    route: Route = codes.routes[site.route] if site is not None else found[0]
    position = _skip(line, found[1])
    if verb not in route.verbs:
        raise refuse(0, f"a verb for {route.en} ({', '.join(route.verbs)})")
    found = _phrase(line, position, [(p, t) for t in codes.timings.values() for p in t.phrases])
    if found is None:
        raise refuse(position, "a timing")
    timing: Timing = found[0]
    position = _skip(line, found[1])
    if position < len(line):
        found = _phrase(line, position, [(p, True) for p in codes.schedule["phrases"]])
        if found is None or amount is not None:
            raise refuse(position, "the end")
        position = found[1]
    if position < len(line):  # pragma: no cover - the schedule phrase is the last thing read
        raise refuse(position, "the end")
    return Directions(amount=amount, unit=unit, route=route, timing=timing, site=site)


def is_sig(text: str, settings: Settings | None = None) -> bool:
    """Whether ``text`` reads as sig codes rather than an English sentence.

    English directions start with one of the verbs the vocabulary knows (Take,
    Place, Apply…); anything else is read as sig codes.
    """
    codes = _codes(settings)
    first = " ".join(str(text).split()).lower().split(" ")[0] if str(text).strip() else ""
    return first not in {verb for route in codes.routes.values() for verb in route.verbs}


def read_directions(value: Directions | str, *, settings: Settings | None = None) -> Directions:
    """A :class:`Directions` as it is, or text read as sig codes or English (see :func:`is_sig`).

    Text in another language than English (a Spanish verb, or letters outside ASCII)
    that does not read as sig codes raises an :class:`~ldn_compound.exceptions.InputError`
    with code ``directions-not-english`` that points to sig codes.
    """
    if isinstance(value, Directions):
        return value
    if not isinstance(value, str):
        raise InputError("directions", value, "be a Directions value, sig codes or English text")
    if is_sig(value, settings):
        try:
            return parse_sig(value, settings=settings)
        except InputError as error:
            if error.code in ("invalid-sig", "unknown-sig-code") and _foreign(value, settings):
                raise InputError(
                    "directions",
                    " ".join(value.split()),
                    "be English: only English free text is read; for a label in another language give sig codes "
                    "with --sig (e.g. '3 cap po qhs') and the label's language with --language",
                    code="directions-not-english",
                ) from None
            raise
    return parse_directions(value, settings=settings)


def _foreign(text: str, settings: Settings | None) -> bool:
    """Whether ``text`` looks like a sentence in another language: a Spanish verb first, or non-ASCII letters."""
    words = text.lower().split()
    spanish = {route.verb_es.lower() for route in _codes(settings).routes.values()}
    return bool(words) and (words[0] in spanish or not text.isascii())


_NUMBER: Final = r"(?:\d{1,6}(?:\.\d{1,6})?|\.\d{1,6}|\d{1,3} ?/ ?\d{1,3}|" + "|".join(_NUMBER_WORDS) + ")"
#: Units free text may use beyond the vocabulary's: masses of the active or of cream, and cc.
_EXTRA_UNITS: Final = {
    "mcg": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "cc": "mL",
    "cap": "capsule",
    "caps": "capsule",
}


def _read_number(token: str) -> Decimal:
    token = token.replace(" ", "")
    if token in _NUMBER_WORDS:
        return Decimal(_NUMBER_WORDS[token])
    if "/" in token:
        top, bottom = token.split("/")
        return Decimal(top) / Decimal(bottom) if int(bottom) else Decimal(0)
    return Decimal(token)


def most_per_day(text: str, *, settings: Settings | None = None) -> int | None:
    """The most administrations a day any timing in free text names ("twice daily", "bid"), or None.

    >>> most_per_day("Take 1 capsule at bedtime, or twice daily if needed")
    2
    """
    line = " ".join(str(text).split())[: MAX_LENGTH * 5].lower()
    counts = [
        timing.per_day
        for timing in _codes(settings).timings.values()
        if timing.per_day is not None
        and any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", line) for word in (*timing.phrases, *timing.codes))
    ]
    return max(counts, default=None)


def amounts_in(text: str, *, settings: Settings | None = None) -> tuple[tuple[Decimal, str], ...]:
    """Every amount with a unit in free text, as ``(amount, unit key)``, in the order written.

    Units are those of the vocabulary (capsule, mL, drop, click, mg, by any of their
    words or codes) and ``mcg``, ``g`` (of cream) and ``cc`` (mL); a range ("1-2
    capsules", "1 to 2 capsules") gives both ends.  Used for directions printed
    unchecked: their amounts are still held to the dose.

    >>> amounts_in("Take 10 capsules by mouth every night, or 1 to 2 mL")
    ((Decimal('10'), 'capsule'), (Decimal('1'), 'mL'), (Decimal('2'), 'mL'))
    """
    codes = _codes(settings)
    words: dict[str, str] = dict(_EXTRA_UNITS)
    for meaning in codes.units.values():
        for word in (*meaning.phrases, *meaning.codes, meaning.en.lower(), meaning.en_plural.lower()):
            words[word.lower()] = meaning.key
    names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])({_NUMBER})(?: ?(?:-|–|to|or) ?({_NUMBER}))? ?({names})(?!\w)", re.IGNORECASE)
    found: list[tuple[Decimal, str]] = []
    for match in pattern.finditer(" ".join(str(text).split())[: MAX_LENGTH * 5].lower()):
        unit = words[match.group(3).lower()]
        found.extend((_read_number(number), unit) for number in match.group(1, 2) if number is not None)
    return tuple(found)


# --------------------------------------------------------------------------- arithmetic


@attrs.frozen
class Dosing:
    """What one unit of a batch holds: the facts that turn directions into doses and days.

    ``strength`` is the batch's; ``drops_per_ml`` the calibrated dropper's (drops);
    ``click_volume`` and ``density`` the dispenser's (creams); ``graduation`` the
    dosing syringe's smallest mark (liquids); ``density_range`` the plausible
    densities of a cream whose density is not measured (``Settings.cream_density_range``),
    which bound the dose of a click.
    """

    form: DosageForm
    strength: Strength
    drops_per_ml: Decimal | None = None
    click_volume: Quantity | None = None
    density: Quantity | None = None
    graduation: Quantity = attrs.field(factory=lambda: default_settings().syringe_graduation)
    density_range: tuple[Quantity, Quantity] | None = attrs.field(
        factory=lambda: default_settings().cream_density_range
    )

    @classmethod
    def from_batch(cls, batch: BatchResult, settings: Settings | None = None) -> Dosing:
        """The dosing facts of a calculated batch."""
        formula = batch.formula
        topical = formula.topical
        return cls(
            form=formula.dosage_form,
            strength=batch.strength,
            drops_per_ml=batch.drops_per_ml,
            click_volume=None if topical is None else topical.click_volume,
            density=None if topical is None else topical.density,
            graduation=(settings or default_settings()).syringe_graduation,
            density_range=(settings or default_settings()).cream_density_range,
        )

    @property
    def _per_unit(self) -> Decimal:
        """Mg per capsule, per mL or per g of the form, in the strength's basis."""
        return magnitude(self.strength.amount, _STRENGTH_UNIT[self.form])

    @property
    def click_grams(self) -> Decimal | None:
        """Grams of cream one click delivers, when the dispenser is calibrated."""
        if self.click_volume is None or self.density is None:
            return None
        return magnitude(self.click_volume, "mL") * magnitude(self.density, "mg/mL") / 1000

    def supply(self, unit: str) -> Decimal | None:
        """The batch quantity (capsules, mL or g) one ``unit`` uses, or None when unknown."""
        if unit == "mg":
            return 1 / self._per_unit
        if unit == "capsule" and self.form is DosageForm.CAPSULES:
            return Decimal(1)
        if unit == "mL" and self.form in (DosageForm.ORAL_LIQUID, DosageForm.SUBLINGUAL_DROPS):
            return Decimal(1)
        if unit == "drop" and self.form is DosageForm.SUBLINGUAL_DROPS and self.drops_per_ml:
            return 1 / self.drops_per_ml
        if unit == "click" and self.form is DosageForm.TOPICAL_CREAM:
            return self.click_grams
        return None

    def mg_of(self, amount: Decimal, unit: str) -> Decimal | None:
        """The mg (strength's basis) in ``amount`` of ``unit`` (a vocabulary unit, ``mcg`` or ``g`` of cream), or None."""
        if unit == "mcg":
            return amount / 1000
        if unit == "g":
            return amount * self._per_unit if self.form is DosageForm.TOPICAL_CREAM else None
        supply = self.supply(unit)
        return None if supply is None else amount * supply * self._per_unit

    def click_range(self, clicks: Decimal) -> tuple[Decimal, Decimal] | None:
        """The lowest and highest mg ``clicks`` of a cream of unmeasured density can hold, or None.

        Bounded by ``density_range`` and the dispenser's click volume; None when the
        density is measured (the dose is then exact) or nothing bounds it.
        """
        if self.form is not DosageForm.TOPICAL_CREAM or self.click_volume is None or self.density is not None:
            return None
        if self.density_range is None:
            return None
        volume = clicks * magnitude(self.click_volume, "mL") * self._per_unit / 1000
        low, high = (magnitude(density, "mg/mL") for density in self.density_range)
        return volume * low, volume * high

    def check_unit(self, directions: Directions) -> None:
        """Refuse directions whose unit or route does not fit the batch's dosage form."""
        form = self.form
        if directions.unit is not None and form not in directions.unit.forms:
            raise InputError(
                "directions",
                directions.text(),
                f"measure {form.display_name} in a unit it is measured by, not {directions.unit.en_plural}",
                code="directions-wrong-unit",
            )
        if form not in directions.route.forms:
            raise InputError(
                "directions",
                directions.text(),
                f"give {form.display_name} by a route it is given by, not {directions.route.en}",
                code="directions-wrong-route",
            )

    def dose(self, directions: Directions) -> Strength | None:
        """The dose per administration, or the highest of the titration when the amount is on the schedule.

        None when the directions state no amount, or count clicks of a dispenser whose
        cream density is not known (a click's volume is not a mass without it).
        """
        if directions.amount is None or directions.unit is None:
            if directions.titration:
                return Strength(max(step.dose for step in directions.titration), self.strength.basis)
            return None
        self.check_unit(directions)
        supply = self.supply(directions.unit.key)
        if supply is None:
            return None
        return Strength(new_quantity(directions.amount * supply * self._per_unit, "mg"), self.strength.basis)

    def daily_dose(self, directions: Directions) -> Strength | None:
        """The dose a day, or None when the timing states no count."""
        dose = self.dose(directions)
        if dose is None or directions.per_day is None:
            return None
        return Strength(dose.amount * directions.per_day, dose.basis)

    def measure(self, dose: Quantity, field: str) -> tuple[Decimal, str]:
        """What the patient measures for ``dose`` (a mass): whole capsules, drops, clicks, or syringe marks.

        Raises :class:`~ldn_compound.exceptions.InputError` (code ``dose-not-measurable``) for a dose the patient cannot measure.
        """
        mg = magnitude(dose, "mg")
        per = self._per_unit
        shown = format_amount(dose, significant=6)
        strength = format_amount(self.strength.amount)

        def refuse(rule: str) -> InputError:
            return InputError(field, shown, rule, code="dose-not-measurable")

        if self.form is DosageForm.CAPSULES:
            count = mg / per
            if count < 1:
                raise refuse(
                    f"be at least one capsule's strength, {strength}: a capsule cannot be split "
                    "(make capsules of the lower strength)"
                )
            if count != count.to_integral_value():
                raise refuse(
                    f"be a whole number of {strength} capsules (it is {format_number(count, significant=4)} capsules)"
                )
            return count, "capsule"
        if self.form is DosageForm.SUBLINGUAL_DROPS and self.drops_per_ml:
            drops = mg * self.drops_per_ml / per
            if drops != drops.to_integral_value():
                per_drop = format_amount(new_quantity(per / self.drops_per_ml, "mg"), significant=4)
                raise refuse(
                    f"be a whole number of drops of {per_drop} (it is {format_number(drops, significant=4)} drops)"
                )
            return drops, "drop"
        if self.form is DosageForm.ORAL_LIQUID:
            volume = mg / per
            step = magnitude(self.graduation, "mL")
            if volume % step:
                raise refuse(
                    f"be a whole number of {format_amount(self.graduation)} graduations (the dosing syringe's) at "
                    f"{strength} (it is {format_number(volume, significant=4)} mL)"
                )
            return volume, "mL"
        if self.form is DosageForm.TOPICAL_CREAM and self.click_grams:
            clicks = mg / (per * self.click_grams)
            if clicks != clicks.to_integral_value():
                raise refuse(
                    f"be a whole number of dispenser clicks of {format_amount(new_quantity(per * self.click_grams, 'mg'), significant=4)} "
                    f"(it is {format_number(clicks, significant=4)} clicks)"
                )
            return clicks, "click"
        return mg, "mg"

    def used_per_dose(self, dose: Quantity) -> Decimal:
        """The batch quantity (capsules, mL or g) one dose of ``dose`` (a mass) uses."""
        return magnitude(dose, "mg") / self._per_unit

    def days_supply(self, directions: Directions, dispensed: Quantity) -> int | None:
        """Whole days ``dispensed`` lasts on these directions, or None when the daily use is not known."""
        amount = magnitude(dispensed, _FORM_UNIT[self.form])
        per_day = directions.per_day
        if per_day is None:
            return None
        if directions.titration and directions.amount is None:
            days = 0
            for step in directions.titration:
                daily = self.used_per_dose(step.dose) * per_day
                if step.days is None:
                    return days + int(amount / daily)
                if amount < daily * step.days:
                    return days + int(amount / daily)
                amount -= daily * step.days
                days += step.days
            return days
        dose = self.dose(directions)
        if dose is None:
            return None
        return int(amount / (self.used_per_dose(dose.amount) * per_day))


def _in_form_unit(dosing: Dosing, directions: Directions, dose: Quantity, field: str) -> Directions:
    """``directions`` with the amount of ``dose`` in what the patient measures: capsules, syringe mL, drops, clicks.

    A mass is turned into the form's unit and must be measurable; mL of drops
    become drops when the dropper is calibrated.  A dose that only a mass could
    state (clicks of a cream of unmeasured density) is refused: the patient
    cannot measure it.
    """
    unit = directions.unit
    if unit is not None and unit.key not in ("mg", "mL"):
        return directions
    if (
        unit is not None
        and unit.key == "mL"
        and not (dosing.form is DosageForm.SUBLINGUAL_DROPS and dosing.drops_per_ml)
    ):
        return directions
    count, key = dosing.measure(dose, field)
    if key == "mg" and dosing.form is DosageForm.SUBLINGUAL_DROPS:  # no calibrated dropper: mL on the syringe
        count, key = magnitude(dose, "mg") / dosing._per_unit, "mL"  # noqa: SLF001 - the same module's arithmetic
        if count % magnitude(dosing.graduation, "mL"):
            raise InputError(
                field,
                format_amount(dose, significant=6),
                f"be a volume on the {format_amount(dosing.graduation)} graduations (it is "
                f"{format_number(count, significant=4)} mL)",
                code="dose-not-measurable",
            )
    if key == "mg":
        raise InputError(
            "directions",
            directions.text(),
            f"state the number of clicks: the patient cannot measure {format_amount(dose, significant=6)} of "
            "naltrexone in a cream whose density is not measured (e.g. 'Apply 1 click to the skin once daily')",
            code="dose-not-measurable",
        )
    return attrs.evolve(directions, amount=count, unit=builtin_sig_codes().units[key])


def form_quantity(form: DosageForm, amount: Decimal) -> Quantity:
    """``amount`` in the form's batch unit: capsules, mL or g."""
    return new_quantity(amount, _FORM_UNIT[form])


def describe_dose(dosing: Dosing, directions: Directions) -> str:
    """How the directions' dose is worked out: ``3 capsules × 4.5 mg = 13.5 mg naltrexone HCl``."""
    dose = dosing.dose(directions)
    if dose is None:
        return "no amount: the dose is on the titration schedule" if directions.titration else "no amount stated"
    quantity = directions.quantity
    if quantity is None or directions.unit is None or directions.unit.key == "mg":
        return dose.describe(significant=6)
    supply = dosing.supply(directions.unit.key)
    assert supply is not None
    per = new_quantity(supply * dosing._per_unit, "mg")  # noqa: SLF001 - the same module's arithmetic
    each = f"{format_amount(per, significant=6)} per {directions.unit.en}"
    return f"{format_amount(quantity)} × {each} = {dose.describe(significant=6)}"


# --------------------------------------------------------------------------- checks


@attrs.frozen
class Prescribed:
    """What the directions, the dose and the titration say together, once checked.

    ``dose`` is the dose per administration held to the dose limits (``dose_field``
    says where it came from: ``"dose"`` or ``"directions"``); ``daily_dose`` the
    dose a day where the timing states a count; ``days_supply`` the whole days the
    ``dispensed`` quantity lasts, where that can be known.
    """

    directions: Directions | None
    dose: Strength | None
    dose_field: str
    daily_dose: Strength | None
    dispensed: Quantity | None
    days_supply: int | None
    notes: tuple[str, ...] = ()
    warnings: tuple[BatchWarning, ...] = ()
    #: The highest dose a click can hold where the cream's density is not measured (held to the limits).
    upper: Strength | None = None


def check_prescribed(
    dosing: Dosing,
    *,
    directions: Directions | None,
    dose: Quantity | None,
    titration: Sequence[TitrationStep] = (),
    dispensed: Quantity | None = None,
    quantity: Quantity,
) -> Prescribed:
    """Check the directions, the dose and the titration against each other and the batch.

    - Directions fit the dosage form (unit and route) and, with a titration, are once a day.
    - The dose (``dose``, a mass in the strength's basis) is measurable: whole capsules
      (never below one), whole drops, whole syringe graduations, whole clicks.
    - Where two of them state a dose, they state the same one; the error
      (code ``dose-disagreement``) names both.
    - Directions without an amount need a dose or a titration (code ``directions-without-dose``).
    - ``dispensed`` (default: the batch ``quantity``) holds at least one dose
      (code ``dispensed-below-one-dose``).
    - The directions returned state what the patient measures: a mass (or mL of
      calibrated drops) becomes whole capsules, syringe mL, drops or clicks, and
      directions without an amount take the amount of ``dose`` (without a titration);
      code ``dose-not-measurable`` where that cannot be measured.
    - Clicks of a cream of unmeasured density: ``dose`` must lie within what the clicks
      hold over ``Dosing.density_range`` (code ``dose-per-click-implausible``); the
      upper end is returned as ``upper`` for the dose limits.

    The dose limits themselves are checked by the batch, which records overrides.
    """
    basis = dosing.strength.basis
    steps = tuple(titration) or (() if directions is None else directions.titration)
    notes: list[str] = []
    warnings: list[BatchWarning] = []
    upper: Strength | None = None
    if directions is not None and steps:
        if directions.titration and directions.titration != steps:
            raise InputError(
                "directions", directions.text(), "carry the same titration as the one given", code="dose-disagreement"
            )
        directions = attrs.evolve(directions, titration=steps)
    given = None if dose is None else Strength(dose, basis)
    if given is not None:
        dosing.measure(given.amount, "dose")
    highest = Strength(max(step.dose for step in steps), basis) if steps else None
    stated: Strength | None = None
    if directions is not None:
        dosing.check_unit(directions)
        if steps and directions.per_day != 1:
            raise InputError(
                "directions",
                directions.text(),
                f"give one dose a day with a titration schedule (each step is a daily dose), not {directions.timing.en}",
                code="dose-disagreement",
            )
        if directions.amount is not None and directions.unit is not None and dosing.dose(directions) is None:
            # clicks of a dispenser whose cream density is unknown: the dose must come from elsewhere
            if given is None:
                raise InputError(
                    "directions",
                    directions.text(),
                    "come with the dose per administration: the formula gives no cream density, so the dose of a "
                    "click cannot be worked out (measure the density and set [topical] density in the formula)",
                    code="directions-without-dose",
                )
            bounds = dosing.click_range(directions.amount)
            if bounds is not None:
                low, high = (Strength(new_quantity(mg, "mg"), basis) for mg in bounds)
                assert dosing.density_range is not None
                densities = " to ".join(
                    f"{format_number(magnitude(d, 'mg/mL') / 1000, significant=4)} g/mL" for d in dosing.density_range
                )
                if not low.amount <= given.amount <= high.amount:
                    raise InputError(
                        "dose",
                        given.describe(significant=6),
                        f"be what {format_amount(new_quantity(directions.amount, 'click'))} can hold: "
                        f"{low.describe(significant=4)} to {high.describe(significant=4)} for a cream of "
                        f"{densities} (the density is not measured; set [topical] density in the formula)",
                        code="dose-per-click-implausible",
                    )
                upper = high
            warnings.append(
                BatchWarning(
                    "dose-per-click-unknown",
                    (
                        f"the dose of {format_amount(new_quantity(directions.amount, 'click'))} cannot be worked out without "
                        f"the cream's density: the dose given, {given.describe(significant=6)}, was checked instead; "
                        "measure the density and set [topical] density in the formula"
                    ),
                )
            )
        elif directions.amount is not None and directions.unit is not None:
            stated = dosing.dose(directions)
            if directions.unit.key == "mg":
                assert stated is not None
                dosing.measure(stated.amount, "directions")
            elif directions.unit.key == "mL":
                step = magnitude(dosing.graduation, "mL")
                if directions.amount % step:
                    raise InputError(
                        "directions",
                        directions.text(),
                        f"give a volume on the dosing syringe's {format_amount(dosing.graduation)} graduations",
                        code="dose-not-measurable",
                    )
            assert stated is not None
            notes.append(f"directions: {describe_dose(dosing, directions)}")
            directions = _in_form_unit(dosing, directions, stated.amount, "directions")
        elif given is None and highest is None:
            raise InputError(
                "directions",
                directions.text(),
                "state the amount per administration (e.g. 'Take 1 capsule by mouth at bedtime'), or come with a "
                "dose or a titration schedule",
                code="directions-without-dose",
            )
        elif given is not None and not steps:  # the label states the amount of the dose given
            directions = _in_form_unit(dosing, directions, given.amount, "dose")
    if stated is not None and directions is not None:
        says = f"the directions say {stated.describe(significant=6)} ({describe_dose(dosing, directions)})"
        if given is not None and stated.amount != given.amount:
            raise InputError(
                "directions",
                directions.text(),
                f"agree with the dose: {says}, the dose says {given.describe(significant=6)}",
                code="dose-disagreement",
            )
        if steps and any(step.dose != stated.amount for step in steps):
            raise InputError(
                "directions",
                directions.text(),
                f"agree with the titration: {says}, the titration's doses run from "
                f"{format_amount(min(s.dose for s in steps))} to {format_amount(max(s.dose for s in steps))}; "
                "leave the amount out (e.g. 'Take by mouth at bedtime following the dosing schedule')",
                code="dose-disagreement",
            )
    if given is not None and highest is not None and given.amount != highest.amount:
        raise InputError(
            "dose",
            given.describe(significant=6),
            f"agree with the titration: the dose says {given.describe(significant=6)}, the titration's highest "
            f"dose is {highest.describe(significant=6)}",
            code="dose-disagreement",
        )
    per_dose: Strength | None
    field = "dose"
    if stated is not None:
        per_dose, field = stated, "directions"
    elif given is not None:
        per_dose = given
    elif highest is not None:
        per_dose = highest
    elif dosing.form is DosageForm.CAPSULES:
        per_dose = dosing.strength  # one capsule: the smallest dose
    else:
        per_dose = None
    daily: Strength | None = None
    if directions is not None and directions.per_day is not None and per_dose is not None:
        daily = Strength(per_dose.amount * directions.per_day, basis)
    supply_of = dispensed if dispensed is not None else quantity
    first = Strength(steps[0].dose, basis) if steps else per_dose
    if first is not None:
        one = dosing.used_per_dose(first.amount)
        have = magnitude(supply_of, _FORM_UNIT[dosing.form])
        if have < one:
            raise InputError(
                "dispensed quantity",
                format_amount(supply_of),
                f"hold at least one dose of {first.describe(significant=6)}, "
                f"{format_amount(form_quantity(dosing.form, one), significant=6)}",
                code="dispensed-below-one-dose",
            )
    days = None
    if directions is not None and (directions.amount is not None or steps):
        days = dosing.days_supply(directions, supply_of)
    return Prescribed(
        directions=directions,
        dose=per_dose,
        dose_field=field,
        daily_dose=daily,
        dispensed=dispensed,
        days_supply=days,
        notes=tuple(notes),
        warnings=tuple(warnings),
        upper=upper,
    )

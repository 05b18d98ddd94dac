"""The co-medication screen: opioids among the patient's other medicines, by any name or code.

Naltrexone blocks opioids and can precipitate withdrawal, so an opioid among
the patient's other medicines stops a batch unless a reason is given.  The
screen reads each medicine against the list in ``opioids.toml`` (generic
names, brand names, combination products, RxNorm and ATC codes; see that
file for its sources and grammar):

>>> find_opioids(["Levothyroxine", "Percocet 5/325 mg", "tramadol 50 mg"])
('oxycodone', 'tramadol')
>>> screen_medicines(["metformin", "levothyroxine"]).summary()
'Co-medication screened: metformin, levothyroxine: no opioid'

A medicine is a name as written on a medicine list, matched case-insensitively
on whole words with anything around it ("OXYCONTIN 10MG ER", "Tylenol #3"),
or a code:

- ``rxcui:7804``: an RxNorm *ingredient* RxCUI (term type IN).  A product or
  brand RxCUI is not an ingredient and is not recognised: map it to its
  ingredients first (RxNav ``/rxcui/{id}/related?tty=IN``).
- ``atc:N02AA05``, or the bare code ``N02AA05`` (a bare code needs at least
  four characters, e.g. ``N02A``): a WHO ATC code.  A code beneath one of the
  opioid groups (N02A, N07BC, R05DA, R05FA, A07DA, N01AH) is an opioid unless
  the list says otherwise (dextromethorphan R05DA09 is not; loperamide A07DA03
  is a note); a code above one (``N02``) is too broad and is unclear.

A name a letter or two away from an opioid's ("oxycodon", "percoset") is
*unclear*: it is refused with a did-you-mean unless a reason is given.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs

from ldn_compound._toml import parse_toml, read_text
from ldn_compound.exceptions import CoMedicationError, DataFileError, InputError, MedicineNameError, Problem
from ldn_compound.model import MedicineStatus, Override, ScreenedMedicine, Screening
from ldn_compound.settings import Settings, default_settings

__all__ = [
    "MAX_MEDICINES",
    "MAX_MEDICINE_CHARS",
    "AtcGroup",
    "ListedMedicine",
    "OpioidList",
    "OpioidListError",
    "find_opioids",
    "load_opioid_list",
    "opioid_rule",
    "read_medicines",
    "screen_medicines",
    "unclear_rule",
]

#: The longest medicine text screened (a name with its strength and form is far shorter).
MAX_MEDICINE_CHARS: Final = 200
#: The most medicines screened for one batch.
MAX_MEDICINES: Final = 100

_EFFECTS: Final = ("block", "note", "clear")
_TOKEN: Final = re.compile(r"[a-z]+|[0-9]+")
_CODE: Final = re.compile(r"(rxcui|atc)\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
_RXCUI: Final = re.compile(r"[0-9]{1,10}")
_ATC: Final = re.compile(r"[A-Z](?:[0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?)?")
_BARE_ATC: Final = re.compile(r"[A-Z][0-9]{2}[A-Z](?:[A-Z](?:[0-9]{2})?)?")


class OpioidListError(DataFileError):
    """An opioid list file that cannot be read or does not follow the grammar in ``opioids.toml``."""

    code = "invalid-opioid-list"

    kind = "opioid list"


@attrs.frozen
class ListedMedicine:
    """One ingredient of the opioid list, with every name and code it is known by, and its source."""

    ingredient: str
    effect: str  # "block", "note" or "clear"
    source: str
    rxcui: str | None = None
    atc: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    combinations: tuple[str, ...] = ()
    note: str = ""

    @property
    def all_names(self) -> tuple[str, ...]:
        """The generic name, then the other names, brands and combination products."""
        return (self.ingredient, *self.names, *self.brands, *self.combinations)


@attrs.frozen
class AtcGroup:
    """An ATC group whose every code is screened (a code no entry lists takes the group's effect)."""

    atc: str
    name: str
    effect: str
    source: str


def _normalise(text: str) -> str:
    """Lower case, accents dropped: ``"Codéine"`` → ``"codeine"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _tokens(text: str) -> list[str]:
    """The words and numbers of ``text``: ``"Percocet 5/325mg"`` → ``["percocet", "5", "325", "mg"]``."""
    return _TOKEN.findall(_normalise(text))


def _allowed_edits(key: str) -> int:
    """How many edits away a misspelling of ``key`` may be: none under 5 letters, 1 up to 7, else 2."""
    return 0 if len(key) < 5 else 1 if len(key) < 8 else 2


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made from it by deleting up to ``depth`` letters."""
    found = {word}
    layer = {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1 :] for w in layer for i in range(len(w))}
        found |= layer
    return found


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), or ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class OpioidList:
    """The opioid list read from a file, with the indexes the screen uses.

    Build one with :func:`load_opioid_list`; the built-in list is read once
    and shared.
    """

    def __init__(
        self,
        version: str,
        medicines: Sequence[ListedMedicine],
        groups: Sequence[AtcGroup],
        known_words: Iterable[str] = (),
        source: str = "",
    ) -> None:
        self.version = version
        self.medicines = tuple(medicines)
        self.groups = tuple(groups)
        self.source = source
        self._names: dict[str, list[tuple[ListedMedicine, str]]] = {}
        self._rxcui: dict[str, ListedMedicine] = {}
        self._atc: dict[str, list[ListedMedicine]] = {}
        self.max_words = 1
        for entry in self.medicines:
            for name in entry.all_names:
                words = _tokens(name)
                self.max_words = max(self.max_words, len(words))
                self._names.setdefault("".join(words), []).append((entry, name))
            if entry.rxcui:
                self._rxcui[entry.rxcui] = entry
            for code in entry.atc:
                self._atc.setdefault(code, []).append(entry)
        self._known = frozenset(_normalise(w) for w in known_words) | frozenset(self._names)
        # misspellings are looked for among the names of opioids and noted medicines (letters only, 5 or more)
        self._near: dict[str, set[str]] = {}
        for key, listed in self._names.items():
            if not key.isalpha() or _allowed_edits(key) == 0:
                continue
            if not any(entry.effect != "clear" for entry, _ in listed):
                continue
            for variant in _deletions(key, _allowed_edits(key)):
                self._near.setdefault(variant, set()).add(key)
        self._longest = max((len(k) for k in self._names), default=0)

    # ----------------------------------------------------------------- lookups

    def listed(self, key: str) -> list[tuple[ListedMedicine, str]]:
        """The entries and listed names whose words, run together, are ``key``."""
        return self._names.get(key, [])

    def by_rxcui(self, rxcui: str) -> ListedMedicine | None:
        """The entry with this RxNorm ingredient RxCUI."""
        return self._rxcui.get(rxcui)

    def by_atc(self, code: str) -> list[ListedMedicine]:
        """The entries that list this ATC code."""
        return self._atc.get(code, [])

    def near(self, key: str) -> list[str]:
        """Listed names (as keys) within their allowed edits of ``key``, closest first."""
        if key in self._known or len(key) > self._longest + 2:
            return []
        candidates: set[str] = set()
        for variant in _deletions(key, 2):
            candidates |= self._near.get(variant, set())
        scored = []
        for candidate in candidates:
            limit = _allowed_edits(candidate)
            distance = _edit_distance(key, candidate, limit)
            if distance <= limit:
                scored.append((distance, candidate))
        return [candidate for _, candidate in sorted(scored)]


def _strings(data: dict[str, Any], key: str, where: str, problems: list[Problem]) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(f"{where}.{key}", "must be a list of non-empty strings"))
        return ()
    return tuple(v.strip() for v in value)


def _text(data: dict[str, Any], key: str, where: str, problems: list[Problem], *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(Problem(f"{where}.{key}", "must be non-empty text" if required else "must be text"))
        return ""
    return value.strip()


def _effect(data: dict[str, Any], where: str, problems: list[Problem]) -> str:
    effect = data.get("effect")
    if effect not in _EFFECTS:
        problems.append(Problem(f"{where}.effect", f"must be one of {', '.join(_EFFECTS)} (got {effect!r})"))
        return "block"
    return str(effect)


def _atc_code(code: str, where: str, problems: list[Problem]) -> str:
    if not _ATC.fullmatch(code):
        problems.append(Problem(where, f"must be an ATC code such as 'N02AA05' (got {code!r})"))
    return code


def _read_list(data: dict[str, Any], source: str) -> OpioidList:
    problems: list[Problem] = []
    known = [
        "version",
        "known_words",
        "group",
        "medicine",
    ]
    problems += [
        Problem(f"$.{key}", f"is not a known key (known: {', '.join(known)})") for key in data if key not in known
    ]
    version = _text(data, "version", "$", problems)
    known_words = _strings(data, "known_words", "$", problems)
    groups: list[AtcGroup] = []
    raw_groups = data.get("group", [])
    if not isinstance(raw_groups, list):
        raw_groups = []
        problems.append(Problem("$.group", "must be a list of tables ([[group]])"))
    for index, raw in enumerate(raw_groups):
        where = f"$.group[{index}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "must be a table"))
            continue
        code = _atc_code(_text(raw, "atc", where, problems), f"{where}.atc", problems)
        groups.append(
            AtcGroup(
                code,
                _text(raw, "name", where, problems),
                _effect(raw, where, problems),
                _text(raw, "source", where, problems),
            )
        )
    medicines: list[ListedMedicine] = []
    raw_medicines = data.get("medicine", [])
    if not isinstance(raw_medicines, list) or not raw_medicines:
        raw_medicines = []
        problems.append(Problem("$.medicine", "must be a non-empty list of tables ([[medicine]])"))
    fields = {f.name for f in attrs.fields(ListedMedicine)}
    seen: dict[str, str] = {}
    for index, raw in enumerate(raw_medicines):
        where = f"$.medicine[{index}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "must be a table"))
            continue
        listing = ", ".join(sorted(fields))
        problems += [
            Problem(f"{where}.{key}", f"is not a known key (known: {listing})") for key in raw if key not in fields
        ]
        effect = _effect(raw, where, problems)
        rxcui = raw.get("rxcui")
        if rxcui is not None and not (isinstance(rxcui, str) and _RXCUI.fullmatch(rxcui)):
            problems.append(Problem(f"{where}.rxcui", f'must be an RxCUI as text, e.g. "7804" (got {rxcui!r})'))
            rxcui = None
        entry = ListedMedicine(
            ingredient=_text(raw, "ingredient", where, problems),
            effect=effect,
            source=_text(raw, "source", where, problems),
            rxcui=rxcui,
            atc=tuple(
                _atc_code(c, f"{where}.atc[{i}]", problems) for i, c in enumerate(_strings(raw, "atc", where, problems))
            ),
            names=_strings(raw, "names", where, problems),
            brands=_strings(raw, "brands", where, problems),
            combinations=_strings(raw, "combinations", where, problems),
            note=_text(raw, "note", where, problems, required=effect == "note"),
        )
        for name in entry.all_names:
            key = "".join(_tokens(name))
            if not key:
                problems.append(Problem(where, f"name {name!r} has no letters or digits"))
            elif seen.setdefault(key, entry.ingredient) != entry.ingredient:
                problems.append(Problem(where, f"name {name!r} is already listed for {seen[key]}"))
        medicines.append(entry)
    if problems:
        raise OpioidListError(source, problems)
    return OpioidList(version, medicines, groups, known_words, source)


def load_opioid_list(path: str | Path | None = None) -> OpioidList:
    """Read an opioid list: the built-in ``opioids.toml`` (read once), or a pharmacy's own file.

    A file that breaks the grammar (see the built-in file's header) raises
    :class:`OpioidListError` listing every problem.
    """
    if path is None:
        return _builtin()
    text = read_text(path, OpioidListError)
    return _read_list(parse_toml(text, str(path), OpioidListError), str(path))


@functools.cache
def _builtin() -> OpioidList:
    text = resources.files("ldn_compound").joinpath("opioids.toml").read_text(encoding="utf-8")
    return _read_list(parse_toml(text, "opioids.toml", OpioidListError), "opioids.toml")


# --------------------------------------------------------------------------- reading one medicine


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _blocks(effect: str, settings: Settings) -> bool:
    return effect == "block" or (effect == "note" and settings.co_medication_notes_block)


def _recognised(
    given: str, matches: Sequence[tuple[ListedMedicine, str]], settings: Settings
) -> ScreenedMedicine | None:
    """The medicine as its matched entries make it, or ``None`` when nothing matched."""
    if not matches:
        return None
    blocking = [(e, n) for e, n in matches if _blocks(e.effect, settings)]
    if blocking:
        return ScreenedMedicine(
            given,
            MedicineStatus.OPIOID,
            _unique(e.ingredient for e, _ in blocking),
            _unique(n for _, n in blocking),
        )
    notes = [(e, n) for e, n in matches if e.effect == "note"]
    if notes:
        return ScreenedMedicine(
            given,
            MedicineStatus.NOTE,
            _unique(e.ingredient for e, _ in notes),
            _unique(n for _, n in notes),
            note="; ".join(_unique(e.note for e, _ in notes)),
        )
    return ScreenedMedicine(
        given,
        MedicineStatus.NOT_OPIOID,
        _unique(e.ingredient for e, _ in matches),
        _unique(n for _, n in matches),
    )


def _read_code(given: str, scheme: str, value: str, book: OpioidList, settings: Settings) -> ScreenedMedicine:
    if scheme == "rxcui":
        if not _RXCUI.fullmatch(value):
            raise InputError(
                "other medicines",
                given,
                "give an RxNorm ingredient RxCUI as digits, e.g. 'rxcui:7804'",
                code="invalid-medicine-code",
            )
        entry = book.by_rxcui(value)
        label = f"rxcui:{value}"
        if entry is None:
            return ScreenedMedicine(given, MedicineStatus.NOT_LISTED, matched=(label,))
        found = _recognised(given, [(entry, label)], settings)
        assert found is not None
        return found
    code = value.upper()
    if not _ATC.fullmatch(code):
        raise InputError(
            "other medicines",
            given,
            "give a WHO ATC code, e.g. 'atc:N02AA05'",
            code="invalid-medicine-code",
        )
    label = f"atc:{code}"
    entries = book.by_atc(code)
    if entries:
        found = _recognised(given, [(e, label) for e in entries], settings)
        assert found is not None
        return found
    for group in book.groups:
        if code.startswith(group.atc):
            status = MedicineStatus.OPIOID if _blocks(group.effect, settings) else MedicineStatus.NOTE
            return ScreenedMedicine(
                given,
                status,
                (f"an opioid in ATC {group.atc}",),
                (label,),
                note="" if status is MedicineStatus.OPIOID else f"in ATC {group.atc} ({group.name})",
            )
    wider = [group for group in book.groups if group.atc.startswith(code)]
    if wider:
        return ScreenedMedicine(given, MedicineStatus.UNCLEAR, (), (label,), tuple(f"atc:{g.atc}" for g in wider))
    return ScreenedMedicine(given, MedicineStatus.NOT_LISTED, matched=(label,))


def _grams(count: int, longest: int) -> Iterator[tuple[int, int]]:
    """Every run ``[start, end)`` of 1 to ``longest`` neighbouring tokens."""
    for start in range(count):
        for end in range(start + 1, min(count, start + longest) + 1):
            yield start, end


def _read_one(given: str, book: OpioidList, settings: Settings) -> ScreenedMedicine:
    text = given.strip()
    code = _CODE.fullmatch(text)
    if code:
        return _read_code(given, code.group(1).lower(), code.group(2).strip(), book, settings)
    if _BARE_ATC.fullmatch(text.upper()):
        return _read_code(given, "atc", text, book, settings)
    words = _tokens(text)
    matches: list[tuple[ListedMedicine, str]] = []
    covered: set[int] = set()
    for start, end in _grams(len(words), book.max_words):
        listed = book.listed("".join(words[start:end]))
        if listed:
            matches += listed
            covered.update(range(start, end))
    found = _recognised(given, matches, settings)
    if found is not None and found.status is MedicineStatus.OPIOID:
        return found
    # a misspelt opioid: a word, or a few words run together, a letter or two away from a blocking name
    close: list[str] = []
    for start, end in _grams(len(words), min(book.max_words, 3)):
        run = words[start:end]
        if covered.intersection(range(start, end)) or not all(w.isalpha() for w in run):
            continue
        for key in book.near("".join(run)):
            for entry, name in book.listed(key):
                if _blocks(entry.effect, settings):
                    close.append(name if name == entry.ingredient else f"{name} ({entry.ingredient})")
    if close:
        return ScreenedMedicine(given, MedicineStatus.UNCLEAR, suggestions=_unique(close))
    return found or ScreenedMedicine(given, MedicineStatus.NOT_LISTED)


def read_medicines(
    medicines: Iterable[str] | str,
    *,
    settings: Settings | None = None,
    opioid_list: OpioidList | None = None,
) -> tuple[ScreenedMedicine, ...]:
    """Read each medicine (a name or a code) against the opioid list; never refuses an opioid.

    Raises :class:`~ldn_compound.exceptions.InputError` for input that cannot
    be screened: an empty name, a name longer than :data:`MAX_MEDICINE_CHARS`,
    more than :data:`MAX_MEDICINES` medicines, a malformed code.
    """
    settings = settings or default_settings()
    book = opioid_list or load_opioid_list()
    items = [medicines] if isinstance(medicines, str) else list(medicines)
    if len(items) > MAX_MEDICINES:
        raise InputError(
            "other medicines",
            f"{len(items)} medicines",
            f"list at most {MAX_MEDICINES} medicines",
            code="too-many-medicines",
        )
    read: list[ScreenedMedicine] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError("other medicines", item, "be names or codes as text")
        if not item.strip():
            raise InputError("other medicines", item, "name a medicine (got an empty name)")
        if len(item) > MAX_MEDICINE_CHARS:
            raise InputError(
                "other medicines",
                item[:40] + "…",
                f"be at most {MAX_MEDICINE_CHARS} characters each",
                code="medicine-name-too-long",
            )
        read.append(_read_one(item.strip(), book, settings))
    return tuple(read)


def _reason(text: str | None) -> str:
    return text.strip() if isinstance(text, str) else ""


def screen_medicines(
    medicines: Iterable[str] | str,
    *,
    co_medication_reason: str | None = None,
    unclear_medicine_reason: str | None = None,
    settings: Settings | None = None,
    opioid_list: OpioidList | None = None,
) -> Screening:
    """Screen the patient's other medicines (names or codes) for opioids.

    Returns the :class:`~ldn_compound.model.Screening`: each medicine as
    recognised, the opioids found, the notes and the overrides used.  Raises
    :class:`~ldn_compound.exceptions.MedicineNameError` (code
    ``medicine-name-unclear``) for a name close to an opioid's unless
    ``unclear_medicine_reason`` is given, then
    :class:`~ldn_compound.exceptions.CoMedicationError` for an opioid unless
    ``co_medication_reason`` is given.  A loperamide-like "note" entry blocks
    only when ``settings.co_medication_notes_block`` is set.
    """
    items = [medicines] if isinstance(medicines, str) else list(medicines)
    if not items:
        return Screening()
    book = opioid_list or load_opioid_list()
    read = read_medicines(items, settings=settings, opioid_list=book)
    overrides: list[Override] = []
    unclear = [m for m in read if m.status is MedicineStatus.UNCLEAR]
    if unclear:
        reason = _reason(unclear_medicine_reason)
        if not reason:
            first = unclear[0]
            raise MedicineNameError(
                "other medicines",
                first.given,
                unclear_rule(first),
                first.suggestions,
            )
        overrides.append(Override("medicine-name-unclear", reason))
    opioids = [m for m in read if m.status is MedicineStatus.OPIOID]
    if opioids:
        reason = _reason(co_medication_reason)
        if not reason:
            raise CoMedicationError(
                "other medicines",
                "; ".join(m.given for m in opioids),
                opioid_rule(opioids),
            )
        overrides.append(Override("opioid-co-medication", reason))
    return Screening(read, tuple(overrides), book.version)


def opioid_rule(opioids: Sequence[ScreenedMedicine], how: str = "override only with a documented reason") -> str:
    """The rule of a :class:`~ldn_compound.exceptions.CoMedicationError`: which opioids, why they stop the batch, how to go on."""
    found = "; ".join(f"{m.given}: {', '.join(m.ingredients)}" for m in opioids)
    return f"not include opioids ({found}): naltrexone blocks them and can precipitate withdrawal ({how})"


def unclear_rule(medicine: ScreenedMedicine, how: str = "") -> str:
    """The rule of a :class:`~ldn_compound.exceptions.MedicineNameError`: what the name is close to, and (with ``how``) how to go on."""
    close = " or ".join(medicine.suggestions)
    if medicine.matched:  # a code broader than an opioid group
        rule = f"give a full code: {medicine.matched[0]} covers the opioid group {close} and other medicines"
    else:
        rule = f"name each medicine exactly: it is close to {close} but not it (did you mean {close}?)"
    return f"{rule}; {how}" if how else rule


def find_opioids(medicines: Iterable[str]) -> tuple[str, ...]:
    """The opioid ingredients (sorted) among ``medicines``, by generic name, brand, combination or code.

    Unlike :func:`screen_medicines` this never raises for an opioid and
    ignores unclear names; use it to look, not to decide.
    """
    found = {i for m in read_medicines(medicines) if m.status is MedicineStatus.OPIOID for i in m.ingredients}
    return tuple(sorted(found))


def __getattr__(name: str) -> Any:
    """``OPIOIDS`` (deprecated): the generic names of the listed opioids, read from the data file."""
    if name == "OPIOIDS":
        return tuple(sorted(m.ingredient for m in load_opioid_list().medicines if m.effect == "block"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The co-medication screen: every entry of opioids.toml found by name, brand, combination, code and near miss."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ldn_compound
from ldn_compound import Settings, calculate_batch, find_opioids, load_opioid_list, screen_medicines
from ldn_compound.exceptions import CoMedicationError, InputError, MedicineNameError
from ldn_compound.model import MedicineStatus, Screening
from ldn_compound.safety import (
    MAX_MEDICINE_CHARS,
    MAX_MEDICINES,
    ListedMedicine,
    OpioidListError,
    read_medicines,
)
from tests import strategies

LIST = load_opioid_list()
ENTRIES = {entry.ingredient: entry for entry in LIST.medicines}
EXPECTED = {"block": MedicineStatus.OPIOID, "note": MedicineStatus.NOTE, "clear": MedicineStatus.NOT_OPIOID}


def read(text: str, **options: object) -> tuple[MedicineStatus, tuple[str, ...]]:
    (medicine,) = read_medicines([text], **options)  # type: ignore[arg-type]
    return medicine.status, medicine.ingredients


def entry_names(kind: str) -> list[tuple[str, str]]:
    """(ingredient, name) for every listed name of one kind: names, brands or combinations."""
    return [(entry.ingredient, name) for entry in LIST.medicines for name in getattr(entry, kind)]


def written_around(name: str) -> list[str]:
    """The ways a medicine list writes a name: as is, in capitals, with a strength, form and punctuation."""
    return [name, name.upper(), name.lower(), f"{name} 5/325 mg", f"{name.upper()} 10MG ER", f"{name}® (2 tabs), daily"]


# --------------------------------------------------------------------------- the data file itself


def test_the_list_has_every_opioid_of_the_reference_and_its_ingredient_rxcuis() -> None:
    # ldn-compounding.md §8 (contraindicated) and §10 (RxCUIs)
    for name in [
        "morphine",
        "oxycodone",
        "hydrocodone",
        "hydromorphone",
        "oxymorphone",
        "codeine",
        "fentanyl",
        "methadone",
        "buprenorphine",
        "tramadol",
        "tapentadol",
        "meperidine",
        "levorphanol",
        "butorphanol",
        "nalbuphine",
        "pentazocine",
        "diphenoxylate",
    ]:
        assert ENTRIES[name].effect == "block", name
    rxcuis = {"oxycodone": "7804", "hydrocodone": "5489", "buprenorphine": "1819", "tramadol": "10689"}
    rxcuis |= {"codeine": "2670", "morphine": "7052", "fentanyl": "4337", "methadone": "6813"}
    rxcuis |= {"hydromorphone": "3423", "tapentadol": "787390"}
    assert {name: ENTRIES[name].rxcui for name in rxcuis} == rxcuis
    assert ENTRIES["loperamide"].effect == "note"
    assert ENTRIES["kratom (mitragynine)"].effect == "block"


def test_every_entry_and_group_names_its_source() -> None:
    for entry in LIST.medicines:
        assert len(entry.source) > 10, entry.ingredient
    for group in LIST.groups:
        assert group.source.startswith("WHO ATC"), group.atc
    assert LIST.version


def test_every_atc_code_lies_beneath_a_screened_group() -> None:
    groups = [group.atc for group in LIST.groups]
    assert {"N02A", "N07BC", "R05DA", "A07DA"} <= set(groups)
    for entry in LIST.medicines:
        for code in entry.atc:
            assert any(code.startswith(group) for group in groups), (entry.ingredient, code)


def test_the_brands_the_issue_names_are_all_listed() -> None:
    listed = {name.lower(): entry.ingredient for entry in LIST.medicines for name in entry.all_names}
    issue = [
        "Percocet",
        "Endocet",
        "Roxicodone",
        "OxyContin",
        "Xtampza",
        "Norco",
        "Vicodin",
        "Lortab",
        "Hysingla",
        "Zohydro",
        "Dilaudid",
        "Exalgo",
        "Opana",
        "Kadian",
        "Duramorph",
        "Duragesic",
        "Actiq",
        "Fentora",
        "Subsys",
        "Dolophine",
        "Methadose",
        "Suboxone",
        "Subutex",
        "Zubsolv",
        "Butrans",
        "Belbuca",
        "Sublocade",
        "Brixadi",
        "Ultram",
        "Ultracet",
        "ConZip",
        "Nucynta",
        "Demerol",
        "Talwin",
        "Stadol",
        "Nubain",
        "Lomotil",
        "Motofen",
        "Tussionex",
        "Hycodan",
        "Apadaz",
        "Seglentis",
        "RoxyBond",
        "Oxaydo",
        "Synalgos-DC",
    ]
    assert [name for name in issue if name.lower() not in listed] == []
    for name in ("MS Contin", "Tylenol with Codeine", "Tylenol #3", "Tylenol #4"):
        assert name.lower() in listed


# --------------------------------------------------------------------------- every entry, every way in


@pytest.mark.parametrize("entry", LIST.medicines, ids=lambda e: e.ingredient)
def test_every_entry_is_found_by_its_generic_name(entry: ListedMedicine) -> None:
    for text in written_around(entry.ingredient):
        status, ingredients = read(text)
        assert status is EXPECTED[entry.effect], text
        assert entry.ingredient in ingredients, text


@pytest.mark.parametrize(("ingredient", "name"), entry_names("names") + entry_names("brands"))
def test_every_other_name_and_brand_is_found(ingredient: str, name: str) -> None:
    for text in written_around(name):
        status, ingredients = read(text)
        assert status is EXPECTED[ENTRIES[ingredient].effect], text
        assert ingredient in ingredients, text


@pytest.mark.parametrize(("ingredient", "name"), entry_names("combinations"))
def test_every_combination_product_is_found(ingredient: str, name: str) -> None:
    for text in written_around(name):
        status, ingredients = read(text)
        assert status is MedicineStatus.OPIOID, text
        assert ingredient in ingredients, text


@pytest.mark.parametrize("entry", [e for e in LIST.medicines if e.rxcui], ids=lambda e: e.ingredient)
def test_every_rxcui_is_found(entry: ListedMedicine) -> None:
    for text in (f"rxcui:{entry.rxcui}", f"RXCUI: {entry.rxcui}"):
        status, ingredients = read(text)
        assert (status, ingredients) == (EXPECTED[entry.effect], (entry.ingredient,))


@pytest.mark.parametrize("entry", [e for e in LIST.medicines if e.atc], ids=lambda e: e.ingredient)
def test_every_atc_code_is_found_and_the_group_above_it_blocks(entry: ListedMedicine) -> None:
    for code in entry.atc:
        for text in (f"atc:{code}", code, code.lower(), f"ATC: {code}"):
            status, ingredients = read(text)
            assert status is EXPECTED[entry.effect], text
            assert entry.ingredient in ingredients, text
        # the level-4 group above the code is screened as a whole: a code beneath a group
        status, ingredients = read(f"atc:{code[:5]}")
        assert status is MedicineStatus.OPIOID, code


def misspelt(name: str) -> str:
    """The name with one letter left out of the middle: "oxycodone" → "oxycdone"."""
    word = "".join(c for c in name.lower() if c.isalpha())
    middle = len(word) // 2
    return word[:middle] + word[middle + 1 :]


def near_miss_cases() -> list[tuple[str, str]]:
    cases = []
    for entry in LIST.medicines:
        if entry.effect != "block":
            continue
        for name in entry.all_names:
            word = misspelt(name)
            if len(name) >= 5 and name.replace(" ", "").isalpha() and not LIST.listed(word):
                cases.append((entry.ingredient, name))
    return cases


@pytest.mark.parametrize(("ingredient", "name"), near_miss_cases())
def test_a_name_a_letter_off_an_opioid_is_unclear_with_a_did_you_mean(ingredient: str, name: str) -> None:
    text = f"{misspelt(name)} 10 mg"
    (medicine,) = read_medicines([text])
    assert medicine.status is MedicineStatus.UNCLEAR, text
    assert any(name in suggestion for suggestion in medicine.suggestions), medicine.suggestions
    with pytest.raises(MedicineNameError, match="did you mean") as caught:
        screen_medicines([text])
    assert caught.value.code == "medicine-name-unclear"
    assert caught.value.suggestions == medicine.suggestions


def test_every_opioid_entry_has_a_near_miss_case() -> None:
    covered = {ingredient for ingredient, _ in near_miss_cases()}
    blocking = {e.ingredient for e in LIST.medicines if e.effect == "block"}
    assert blocking - covered == set()


# --------------------------------------------------------------------------- hand-picked from the issue


@pytest.mark.parametrize(
    ("text", "ingredient"),
    [
        ("Percocet 5/325", "oxycodone"),
        ("Percocet 5/325 mg", "oxycodone"),
        ("OXYCONTIN 10MG ER", "oxycodone"),
        ("oxycodone/APAP 5-325", "oxycodone"),
        ("Tylenol #3", "codeine"),
        ("Tylenol No. 4 with codeine", "codeine"),
        ("tylenol#3", "codeine"),
        ("MS Contin 15 mg", "morphine"),
        ("MSContin 15 mg", "morphine"),
        ("Oxy Contin", "oxycodone"),
        ("Norco 10-325", "hydrocodone"),
        ("hydrocodone-acetaminophen", "hydrocodone"),
        ("Suboxone 8-2 mg film", "buprenorphine"),
        ("buprenorphine/naloxone", "buprenorphine"),
        ("Ultram 50 mg", "tramadol"),
        ("Synalgos-DC", "dihydrocodeine"),
        ("Fentanyl patch 25 mcg/hr", "fentanyl"),
        ("Codéine", "codeine"),
        ("kratom capsules", "kratom (mitragynine)"),
        ("pain pill (opioid)", "an opioid (unnamed)"),
        ("rxcui:7804", "oxycodone"),
        ("atc:N02AA05", "oxycodone"),
        ("N02AJ13", "tramadol"),
        ("atc:N02AB01", "an opioid in ATC N02A"),
        ("N02A", "an opioid in ATC N02A"),
        ("atc:N07BC", "an opioid in ATC N07BC"),
        ("R05DA", "an opioid in ATC R05DA"),
        ("A07DA", "an opioid in ATC A07DA"),
    ],
)
def test_opioids_by_any_name_or_code(text: str, ingredient: str) -> None:
    assert read(text) == (MedicineStatus.OPIOID, (ingredient,))
    with pytest.raises(CoMedicationError, match="must not include opioids") as caught:
        screen_medicines(["metformin", text])
    assert caught.value.value == text
    assert ingredient in str(caught.value)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("oxycodon", "oxycodone"),
        ("percoset", "Percocet (oxycodone)"),
        ("Percocett 5/325", "Percocet (oxycodone)"),
        ("oxycontn 10 mg", "OxyContin (oxycodone)"),
        ("fentynal patch", "fentanyl"),
        ("hydrocodne", "hydrocodone"),
        ("MS Contn", "MS Contin (morphine)"),
        ("vicoden", "Vicodin (hydrocodone)"),
        ("trammadol", "tramadol"),
    ],
)
def test_near_misses_are_refused_with_a_did_you_mean(text: str, suggestion: str) -> None:
    with pytest.raises(MedicineNameError) as caught:
        screen_medicines([text])
    assert suggestion in caught.value.suggestions
    assert f"did you mean {suggestion}" in str(caught.value) or suggestion in str(caught.value)
    assert caught.value.value == text


def test_an_unclear_name_is_accepted_only_with_a_reason_and_the_reason_is_kept() -> None:
    screening = screen_medicines(["oxycodon"], unclear_medicine_reason="patient's spelling of oxybutynin")
    assert screening.result == "unclear"
    assert [(o.code, o.reason) for o in screening.overrides] == [
        ("medicine-name-unclear", "patient's spelling of oxybutynin")
    ]
    with pytest.raises(MedicineNameError):
        screen_medicines(["oxycodon"], co_medication_reason="the opioid reason does not accept a name")
    with pytest.raises(MedicineNameError):
        screen_medicines(["oxycodon"], unclear_medicine_reason="   ")


def test_an_atc_code_above_an_opioid_group_is_unclear() -> None:
    (medicine,) = read_medicines(["atc:N02"])
    assert (medicine.status, medicine.suggestions) == (MedicineStatus.UNCLEAR, ("atc:N02A",))
    with pytest.raises(MedicineNameError, match="give a full code: atc:N02 covers the opioid group atc:N02A"):
        screen_medicines(["atc:N02"])


@pytest.mark.parametrize(
    ("text", "status", "ingredients"),
    [
        ("metformin 500 mg", MedicineStatus.NOT_LISTED, ()),
        ("Tylenol 500 mg", MedicineStatus.NOT_LISTED, ()),
        ("Tylenol 8 HR", MedicineStatus.NOT_LISTED, ()),
        ("rxcui:6809", MedicineStatus.NOT_LISTED, ()),
        ("atc:A10BA02", MedicineStatus.NOT_LISTED, ()),
        ("Narcan nasal spray", MedicineStatus.NOT_OPIOID, ("naloxone",)),
        ("Delsym", MedicineStatus.NOT_OPIOID, ("dextromethorphan",)),
        ("R05DA09", MedicineStatus.NOT_OPIOID, ("dextromethorphan",)),
        ("atc:N07BC04", MedicineStatus.NOT_OPIOID, ("lofexidine",)),
        ("Imodium A-D 2 mg", MedicineStatus.NOTE, ("loperamide",)),
        ("atc:A07DA03", MedicineStatus.NOTE, ("loperamide",)),
        ("rxcui:6468", MedicineStatus.NOTE, ("loperamide",)),
    ],
)
def test_what_is_not_an_opioid(text: str, status: MedicineStatus, ingredients: tuple[str, ...]) -> None:
    assert read(text) == (status, ingredients)
    assert screen_medicines([text]).opioids == ()


# The most-prescribed US medicines and common supplements, a few chosen because their names are near an
# opioid's (Actos/Actiq, Sotalol/Stadol, Lotrel/Lortab, Motrin/Motofen, Mitigare/Mitigo, cocaine/codeine).
NOT_OPIOIDS = """
metformin levothyroxine lisinopril atorvastatin amlodipine metoprolol omeprazole simvastatin losartan albuterol
gabapentin hydrochlorothiazide sertraline furosemide fluticasone acetaminophen amoxicillin alprazolam atenolol
citalopram montelukast trazodone pantoprazole escitalopram prednisone bupropion pravastatin carvedilol tamsulosin
rosuvastatin meloxicam clopidogrel propranolol aspirin cyclobenzaprine glipizide duloxetine methylphenidate
venlafaxine zolpidem warfarin fluoxetine insulin allopurinol estradiol lorazepam ibuprofen clonazepam
spironolactone cetirizine loratadine famotidine diclofenac naproxen topiramate lamotrigine quetiapine buspirone
hydroxyzine doxycycline cephalexin azithromycin ciprofloxacin tizanidine baclofen methocarbamol ondansetron
sumatriptan finasteride latanoprost valsartan diltiazem verapamil nifedipine clonidine benazepril enalapril
ramipril olmesartan sitagliptin empagliflozin semaglutide pioglitazone glimepiride levetiracetam oxcarbazepine
carbamazepine lithium aripiprazole risperidone olanzapine mirtazapine amitriptyline nortriptyline paroxetine
modafinil donepezil memantine ropinirole pramipexole carbidopa levodopa rasagiline oxybutynin solifenacin
tadalafil sildenafil testosterone progesterone liothyronine hydroxychloroquine methotrexate dexamethasone
budesonide benzonatate guaifenesin diphenhydramine promethazine metoclopramide sucralfate docusate senna
naltrexone naloxone lofexidine dextromethorphan caffeine cocaine digoxin sotalol
Synthroid Lipitor Zoloft Lexapro Wellbutrin Cymbalta Lyrica Neurontin Xanax Ativan Klonopin Ambien Adderall
Ritalin Plaquenil Humira Advair Symbicort Spiriva Singulair Flonase Zyrtec Claritin Allegra Benadryl Tylenol
Advil Motrin Aleve Excedrin Fioricet Celebrex Mobic Flexeril Robaxin Zanaflex Soma Imitrex Maxalt Topamax
Lamictal Depakote Keppra Tegretol Trileptal Seroquel Abilify Risperdal Zyprexa Latuda Remeron Elavil Pamelor
Paxil Prozac Celexa Effexor Pristiq Buspar Vistaril Zofran Phenergan Reglan Protonix Nexium Prilosec Pepcid
Carafate Colace Miralax Linzess Xifaxan Flagyl Cipro Levaquin Bactrim Keflex Augmentin Zithromax Valtrex
Diflucan Actos Norvasc Nuvigil Provigil Orapred Demadex Tarka Lotrel Mitigare Tessalon Lanoxin Dilantin
Sudafed Mucinex Vivitrol Revia Lucemyra Narcan Enbrel Exelon Aricept Maxidex Diamox Rybelsus Ozempic
Armour Thyroid, vitamin D3 2000 IU, vitamin B12, fish oil, magnesium glycinate, melatonin 3 mg, turmeric,
CoQ10, probiotic, Ultra Omega-3, low-dose naltrexone 4.5 mg, zinc, iron, vitamin C 500 mg
"""


def test_common_medicines_are_neither_opioids_nor_unclear() -> None:
    medicines = [m.strip() for line in NOT_OPIOIDS.split("\n") for m in line.split("," if "," in line else None)]
    medicines = [m for m in medicines if m]
    assert len(medicines) >= 250
    flagged = [
        m
        for m in read_medicines(medicines[:MAX_MEDICINES])
        if m.status in {MedicineStatus.OPIOID, MedicineStatus.UNCLEAR}
    ]
    for start in range(MAX_MEDICINES, len(medicines), MAX_MEDICINES):
        flagged += [
            m
            for m in read_medicines(medicines[start : start + MAX_MEDICINES])
            if m.status in {MedicineStatus.OPIOID, MedicineStatus.UNCLEAR}
        ]
    assert flagged == []


# --------------------------------------------------------------------------- the result, settings, limits


def test_the_screening_lists_what_was_screened_and_the_result() -> None:
    screening = screen_medicines(["metformin", "levothyroxine"])
    assert screening.summary() == "Co-medication screened: metformin, levothyroxine: no opioid"
    assert (screening.result, screening.opioids, screening.overrides) == ("no-opioid", (), ())
    assert screening.list_version == LIST.version
    assert Screening().summary() == "No other medicines given: not screened"
    assert screen_medicines([]) == Screening()

    overridden = screen_medicines(["Percocet 5/325 mg", "tramadol"], co_medication_reason="palliative care plan")
    assert overridden.opioids == ("oxycodone", "tramadol")
    assert overridden.summary() == (
        "Co-medication screened: Percocet 5/325 mg (oxycodone), tramadol (tramadol): opioid found "
        "(oxycodone, tramadol); overridden (opioid-co-medication): palliative care plan"
    )
    noted = screen_medicines(["Imodium 2 mg"])
    assert noted.result == "note"
    assert noted.notes == ("Imodium 2 mg (loperamide): a peripherally acting opioid at usual doses; not a block",)
    assert noted.summary().startswith("Co-medication screened: Imodium 2 mg (loperamide): no opioid; note: ")


def test_a_setting_makes_noted_medicines_block() -> None:
    strict = Settings(co_medication_notes_block=True)
    assert read("loperamide 2 mg", settings=strict) == (MedicineStatus.OPIOID, ("loperamide",))
    with pytest.raises(CoMedicationError, match="loperamide"):
        screen_medicines(["Imodium"], settings=strict)
    with pytest.raises(CoMedicationError):
        calculate_batch("ldn-capsules", quantity=30, date="2026-03-01", other_medicines=["Imodium"], settings=strict)
    result = calculate_batch("ldn-capsules", quantity=30, date="2026-03-01", other_medicines=["Imodium"])
    assert [w.code for w in result.warnings] == ["co-medication-note"]


def test_input_is_bounded_and_each_fault_has_a_code() -> None:
    with pytest.raises(InputError, match=f"at most {MAX_MEDICINE_CHARS} characters") as caught:
        read_medicines(["x" * (MAX_MEDICINE_CHARS + 1)])
    assert caught.value.code == "medicine-name-too-long"
    with pytest.raises(InputError, match=f"at most {MAX_MEDICINES} medicines") as caught:
        read_medicines(["metformin"] * (MAX_MEDICINES + 1))
    assert caught.value.code == "too-many-medicines"
    with pytest.raises(InputError, match="name a medicine"):
        read_medicines(["  "])
    with pytest.raises(InputError, match="as text"):
        read_medicines([7804])  # type: ignore[list-item]
    for code in ("rxcui:abc", "rxcui:", "atc:N2", "atc:12345"):
        with pytest.raises(InputError) as caught:
            read_medicines([code])
        assert caught.value.code == "invalid-medicine-code", code
    assert read_medicines("tramadol")[0].status is MedicineStatus.OPIOID  # one string is one medicine


@settings(max_examples=200, deadline=None)
@given(strategies.medicine_texts)
def test_any_text_is_read_or_refused_with_an_input_error(text: str) -> None:
    try:
        (medicine,) = read_medicines([text])
    except InputError as error:
        assert error.code in {"invalid-medicine-code", "invalid-input"}
        return
    assert medicine.given == text.strip()
    assert isinstance(medicine.status, MedicineStatus)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([n for e in LIST.medicines if e.effect == "block" for n in e.all_names]),
    strategies.around_a_name,
    strategies.around_a_name,
)
def test_an_opioid_name_with_anything_around_it_is_found(name: str, before: str, after: str) -> None:
    status, _ = read(f"{before} {name} {after}")
    assert status is MedicineStatus.OPIOID


def test_long_input_does_not_take_quadratic_time() -> None:
    # bounded input: the longest text and the most medicines are read (no timing asserted; it returns)
    worst = ["oxycodonx " * (MAX_MEDICINE_CHARS // 10)] * MAX_MEDICINES
    assert len(read_medicines(worst)) == MAX_MEDICINES


def test_find_opioids_and_the_deprecated_constant_still_work() -> None:
    assert find_opioids(["Levothyroxine", "Percocet 5/325 mg", "tramadol 50 mg", "oxycodon"]) == (
        "oxycodone",
        "tramadol",
    )
    from ldn_compound import safety

    assert "oxycodone" in safety.OPIOIDS
    assert "loperamide" not in safety.OPIOIDS
    with pytest.raises(AttributeError):
        _ = safety.NOT_A_NAME  # type: ignore[attr-defined]


def test_the_screen_is_exported_with_its_values() -> None:
    for name in ("screen_medicines", "find_opioids", "Screening", "ScreenedMedicine", "MedicineStatus"):
        assert name in ldn_compound.__all__


# --------------------------------------------------------------------------- a pharmacy's own list


def write_list(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "opioids.toml"
    path.write_text('version = "2026-12-01"\n' + body, encoding="utf-8")
    return path


def test_a_pharmacy_list_is_read_and_used(tmp_path: Path) -> None:
    path = write_list(
        tmp_path,
        '[[medicine]]\ningredient = "tianeptine"\neffect = "block"\nbrands = ["Stablon"]\nsource = "our SOP 12"\n',
    )
    own = load_opioid_list(path)
    assert read_medicines(["Stablon 12.5 mg"], opioid_list=own)[0].ingredients == ("tianeptine",)
    with pytest.raises(CoMedicationError):
        screen_medicines(["tianeptine"], opioid_list=own)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[[medicine]]\ningredient = "x"\neffect = "maybe"\nsource = "s"\n', "$.medicine[0].effect: must be one of"),
        ('[[medicine]]\ningredient = "x"\neffect = "block"\n', "$.medicine[0].source: must be non-empty text"),
        ('[[medicine]]\ningredient = "x"\neffect = "note"\nsource = "s"\n', "$.medicine[0].note"),
        ('[[medicine]]\ningredient = "x"\neffect = "block"\nsource = "s"\nbrand = ["y"]\n', "is not a known key"),
        ('[[medicine]]\ningredient = "x"\neffect = "block"\nsource = "s"\nrxcui = 7\n', "must be an RxCUI as text"),
        ('[[medicine]]\ningredient = "x"\neffect = "block"\nsource = "s"\natc = ["N2"]\n', "must be an ATC code"),
        (
            (
                '[[medicine]]\ningredient = "x"\neffect = "block"\nsource = "s"\n'
                '[[medicine]]\ningredient = "y"\neffect = "block"\nsource = "s"\nnames = ["X"]\n'
            ),
            "is already listed for x",
        ),
        ("", "$.medicine: must be a non-empty list"),
        ("[[group]]\natc = 'N02A'\n", "$.group[0].name"),
        ("colour = 1\n", "$.colour: is not a known key"),
    ],
)
def test_a_bad_list_file_names_every_problem(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(OpioidListError, match="opioid list") as caught:
        load_opioid_list(write_list(tmp_path, body))
    assert caught.value.code == "invalid-opioid-list"
    assert problem in str(caught.value)


def test_a_missing_or_broken_list_file_is_an_opioid_list_error(tmp_path: Path) -> None:
    with pytest.raises(OpioidListError, match="cannot be read"):
        load_opioid_list(tmp_path / "absent.toml")
    with pytest.raises(OpioidListError, match="not valid TOML"):
        load_opioid_list(write_list(tmp_path, "[[medicine\n"))


def test_listed_medicine_names_are_in_order() -> None:
    entry = ENTRIES["oxycodone"]
    assert entry.all_names[0] == "oxycodone"
    assert attrs.evolve(entry, brands=()).all_names[-1] == entry.combinations[-1]

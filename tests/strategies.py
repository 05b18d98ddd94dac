"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals from ``low`` to ``high`` with at most ``places`` decimal places."""
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )


capsule_strengths = decimals("0.1", "10", 1)
capsule_counts = st.integers(min_value=1, max_value=2000)
liquid_strengths = decimals("0.1", "5", 2)
volumes = decimals("5", "1000", 1)
cream_strengths = decimals("0.5", "10", 1)
masses_g = decimals("5", "500", 1)
potencies = decimals("90", "100", 2)
overages = decimals("0", "20", 1)
capsule_sizes = st.sampled_from(["000", "00", "0", "1", "2", "3", "4"])
bases = st.sampled_from(["base", "hcl", "hcl-dihydrate"])
assays = decimals("98", "102", 2)  # on the anhydrous or dried basis (the USP limits)
waters = decimals("0", "10", 2)  # water, residual solvent or loss on drying, percent
assay_bases = st.sampled_from(["as-is", "anhydrous", "dried"])
masses_mg = decimals("0.001", "100000", 3).filter(lambda d: d > 0)


# --------------------------------------------------------------------------- hostile input
#
# The kinds of input a fuzzing run found faults with: characters that must not be
# printed, very long and very small values, nested brackets, dates out of range,
# and special files where a file is expected.

#: Control characters, bidirectional controls, zero-width characters, a lone surrogate (a byte that was not UTF-8).
UNSAFE_CHARACTERS = (
    "\x00\x07\x08\t\n\r\x1b\x7f\x85\x9b"
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff\udcff"
)
unsafe_characters = st.sampled_from(UNSAFE_CHARACTERS)

#: Text with an unsafe character somewhere in an otherwise ordinary value.
hostile_text = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.text(alphabet="abcXYZ 0123456789.-", max_size=8),
    unsafe_characters,
    st.text(alphabet="abcXYZ 0123456789.-", max_size=8),
)

#: Very long values: a long run of one character, or a word repeated (1,000 unit words), up to 20,000 characters.
long_text = st.one_of(
    st.builds(lambda char, n: char * n, st.sampled_from([" ", "x", "9", "[", "(", "é"]), st.integers(300, 20_000)),
    st.builds(
        lambda word, n: "4.5 " + " ".join([word] * n),
        st.sampled_from(["mg", "mL", "mg/mL", "(mg"]),
        st.integers(50, 1000),
    ),
)

#: Very small and very large numbers, with and without a unit.
extreme_numbers = st.builds(
    lambda mantissa, exponent, unit: f"{mantissa}e{exponent}{unit}",
    st.sampled_from(["1", "4.5", "-1", "9.99"]),
    st.integers(-40, 40),
    st.sampled_from(["", " mg", " mL", " g", " mg/mL", " mg/g", " capsule"]),
)

#: Brackets nested deep: unit text ("((((mg") or TOML arrays ("[[[[").
nested_brackets = st.builds(
    lambda open_, depth, inner: open_ * depth + inner,
    st.sampled_from(["(", "[", "{"]),
    st.integers(1, 600),
    st.sampled_from(["", "mg", "1", "]"]),
)

#: Dates, most of them far from today: year 1 to 9999 (the beyond-use date of 9999-12-31 overflows).
any_dates = st.dates().map(lambda day: day.isoformat())

#: Quantities a person might type, near the edges of what is measurable.
edge_quantities = st.one_of(
    st.sampled_from(
        ["0", "-5", "0.1 mL", "0.09 mL", "1e-7 mL", "1e-8 mL", "5 L", "5.1 L", "10000", "10001", "1e28", "NaN", "inf"]
    ),
    extreme_numbers,
)

#: Any value an option could be given.
hostile_values = st.one_of(
    st.text(max_size=30),
    hostile_text,
    long_text,
    extreme_numbers,
    nested_brackets,
    any_dates,
    edge_quantities,
    st.sampled_from(["", "-", "--", "²", "½", "٣", "4,5 mg", "1,000", "4.5 mg/capsule", "5 mg/5 mL"]),
)

#: What a file option can name, relative to a prepared folder (see ``tests/test_fuzz_cli.py``):
#: regular files, new names, special files, links, the command's own inputs, missing folders.
FILE_TARGETS = (
    "out.pdf",
    "record.pdf",
    "labels.pdf",
    "-",
    "/dev/null",
    "/dev/zero",
    "/dev/stdout",
    "fifo",
    "folder",
    "folder/",
    "missing/out.pdf",
    "link-to-out.pdf",
    "dangling-link",
    "link-to-formula.pdf",
    "hard-link-to-config.pdf",
    "formulas/my-caps.toml",
    "pharmacy.toml",
    "./formulas/../pharmacy.toml",
)
file_targets = st.one_of(st.sampled_from(FILE_TARGETS), hostile_text, long_text)

#: What an input file option can name: good files, special files, nested brackets, the outputs.
INPUT_FILES = (
    "pharmacy.toml",
    "nested.toml",
    "bidi.toml",
    "/dev/zero",
    "/dev/null",
    "folder",
    "missing.toml",
    "formulas/my-caps.toml",
    "link-to-formula.pdf",
)
input_files = st.one_of(st.sampled_from(INPUT_FILES), hostile_text)
# the co-medication screen: any text a medicine list may hold, and what may surround a name on it
medicine_texts = st.text(max_size=200).filter(str.strip)
around_a_name = st.text(alphabet=" ,;()/-#.0123456789mgMGER", max_size=20)

#: A batch request for each built-in form: the formula, then options for calculate_batch.
readabilities = st.sampled_from(["0.01 mg", "0.1 mg", "1 mg"])
tablet_weights = decimals("60", "400", 0)


@st.composite
def batch_requests(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A built-in formula with a random strength, quantity, potency or tablets, balance and basis."""
    formula, strength, quantity = draw(
        st.one_of(
            st.tuples(st.just("ldn-capsules"), capsule_strengths.map(lambda d: f"{d} mg"), capsule_counts),
            st.tuples(
                st.just("ldn-oral-liquid"),
                liquid_strengths.map(lambda d: f"{d} mg/mL"),
                volumes.map(lambda d: f"{d} mL"),
            ),
            st.tuples(
                st.just("ldn-sublingual-drops"),
                decimals("1", "20", 1).map(lambda d: f"{d} mg/mL"),
                volumes.map(lambda d: f"{d} mL"),
            ),
            st.tuples(
                st.just("ldn-topical-cream"),
                cream_strengths.map(lambda d: f"{d} mg/g"),
                masses_g.map(lambda d: f"{d} g"),
            ),
        )
    )
    options: dict[str, object] = {
        "strength": strength,
        "quantity": quantity,
        "balance_readability": draw(readabilities),
        "strength_basis": draw(bases),
        "overage": draw(st.sampled_from([0, 0, 5, 10])),
    }
    source = draw(st.sampled_from(["none", "potency", "assay", "tablets"]))
    if source == "potency":
        options["potency"] = draw(potencies.filter(lambda d: d <= 102))
    elif source == "assay":
        options["assay"] = draw(decimals("98", "102", 1))
        options["water"] = draw(decimals("0", "5", 1))
    elif source == "tablets":
        options["tablet_weight"] = f"{draw(tablet_weights)} mg"
    return formula, options


@st.composite
def directions(draw: st.DrawFn) -> object:
    """Any :class:`ldn_compound.Directions` the built-in vocabulary can say (without a titration)."""
    from ldn_compound import Directions
    from ldn_compound.directions import builtin_sig_codes

    codes = builtin_sig_codes()
    route = draw(st.sampled_from(sorted(codes.routes.values(), key=lambda r: r.key)))
    sites = [None, *sorted((s for s in codes.sites.values() if s.route == route.key), key=lambda s: s.key)]
    site = draw(st.sampled_from(sites))
    timing = draw(st.sampled_from(sorted(codes.timings.values(), key=lambda t: t.key)))
    unit = draw(st.sampled_from([None, *sorted(codes.units.values(), key=lambda u: u.key)]))
    amount = None
    if unit is not None:
        counted = unit.key in {"capsule", "drop", "click"}
        amount = Decimal(draw(st.integers(1, 50))) if counted else draw(decimals("0.01", "100", 2).filter(bool))
    return Directions(amount=amount, unit=unit, route=route, timing=timing, site=site)

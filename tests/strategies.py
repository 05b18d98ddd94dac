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
masses_mg = decimals("0.001", "100000", 3).filter(lambda d: d > 0)

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

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

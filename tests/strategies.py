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

# the co-medication screen: any text a medicine list may hold, and what may surround a name on it
medicine_texts = st.text(max_size=200).filter(str.strip)
around_a_name = st.text(alphabet=" ,;()/-#.0123456789mgMGER", max_size=20)

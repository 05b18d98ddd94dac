"""Safety checks run before anything is printed: dose limits and opioid co-medication.

>>> find_opioids(["Levothyroxine", "OxyContin (oxycodone)", "tramadol 50 mg"])
('oxycodone', 'tramadol')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["OPIOIDS", "find_opioids"]

#: Opioids whose use is a contraindication to naltrexone (naltrexone labeling), generic names.
OPIOIDS: Final = (
    "buprenorphine",
    "butorphanol",
    "codeine",
    "dihydrocodeine",
    "diphenoxylate",
    "fentanyl",
    "hydrocodone",
    "hydromorphone",
    "levorphanol",
    "meperidine",
    "pethidine",
    "methadone",
    "morphine",
    "nalbuphine",
    "oxycodone",
    "oxymorphone",
    "pentazocine",
    "sufentanil",
    "remifentanil",
    "alfentanil",
    "tapentadol",
    "tramadol",
    "opium",
)
_WORD = re.compile(r"[a-z]+")


def find_opioids(medicines: Iterable[str]) -> tuple[str, ...]:
    """The opioids (generic names, sorted) named in a list of medicines, matched case-insensitively.

    A medicine matches when one of its words is an opioid's generic name, so
    "Tylenol with Codeine #3" matches codeine, while "naltrexone" matches nothing.
    """
    found: set[str] = set()
    for medicine in medicines:
        words = set(_WORD.findall(str(medicine).lower()))
        found.update(name for name in OPIOIDS if name in words)
    return tuple(sorted(found))

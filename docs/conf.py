"""Sphinx configuration for the ldn_compound documentation (built with warnings as errors in CI)."""

from __future__ import annotations

import ldn_compound
import ldn_compound.directions
import ldn_compound.model

project = "ldn_compound"
author = "The ldn_compound authors"
copyright = "2026, The ldn_compound authors"
version = release = ldn_compound.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "_inventories"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
nitpicky = True

# model.py names Directions (a later layer's class) only for type checkers; give autodoc the
# class so the annotations of Prescription and BatchResult resolve
ldn_compound.model.Directions = ldn_compound.directions.Directions  # type: ignore[attr-defined]
# Outside objects resolve through small local inventories (docs/make_inventories.py), so the
# build needs no network; the address after each is where the links point.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", "_inventories/python.inv"),
    "pint": ("https://pint.readthedocs.io/en/stable", "_inventories/pint.inv"),
    "attrs": ("https://www.attrs.org/en/stable", "_inventories/attrs.inv"),
}
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"
html_title = f"ldn_compound {release}"
# SQLAlchemy has no local inventory: the register's constructor takes its Engine (made by open_register).
nitpick_ignore = [("py:class", "Engine")]

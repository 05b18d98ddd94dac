"""Sphinx configuration for the ldn_compound documentation (built with warnings as errors in CI)."""

from __future__ import annotations

import ldn_compound

project = "ldn_compound"
author = "The ldn_compound authors"
copyright = "2026, The ldn_compound authors"
version = release = ldn_compound.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
nitpicky = False
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"
html_title = f"ldn_compound {release}"

"""PDF output: compounding records, master formulation records and labels.

reportlab is imported only inside this package.  The shared machinery
(fonts, escaping, page templates, tables, atomic writing, barcodes) lives in
``_pdf``; label text fitting in ``_labelfit``; label stocks in :mod:`stocks`
with their data in ``stocks.toml``.
"""

from ldn_compound.render.stocks import LabelStock, get_stock, load_stocks, read_stocks

__all__ = ["LabelStock", "get_stock", "load_stocks", "read_stocks"]

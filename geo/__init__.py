"""Analysis core of Mineral Atlas: pure functions on GeoDataFrames, no UI.

Modules: ``crs`` (the CRS contract), ``export`` (RFC 7946 GeoJSON), ``cli`` (the command line),
``settings`` (documented constants); errors live in ``geo._errors``.
"""

from geo import crs, export, settings
from geo._errors import CRSError, ExportError, LayerError

__all__ = ["CRSError", "ExportError", "LayerError", "crs", "export", "settings"]

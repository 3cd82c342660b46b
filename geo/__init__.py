"""Analysis core of Mineral Atlas: pure functions on GeoDataFrames, no UI.

Modules: ``crs`` (the CRS contract), ``distance`` (geodesic primitives), ``proximity`` (nearest,
within, distance matrices), ``export`` (RFC 7946 GeoJSON), ``cli`` (the command line),
``settings`` (documented constants); errors live in ``geo._errors``.
"""

from geo import crs, distance, export, proximity, settings
from geo._errors import CRSError, ExportError, InputError, LayerError

__all__ = ["CRSError", "ExportError", "InputError", "LayerError", "crs", "distance", "export", "proximity", "settings"]

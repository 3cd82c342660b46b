"""Analysis core of Mineral Atlas: pure functions on GeoDataFrames, no UI.

Modules: ``crs`` (the CRS contract), ``distance`` (geodesic primitives), ``proximity`` (nearest,
within, distance matrices), ``io`` (reading user files), ``export`` (GeoJSON and other formats),
``cli`` (the command line),
``settings`` (documented constants); errors live in ``geo._errors``.
"""

from geo import crs, distance, export, io, proximity, settings
from geo._errors import CRSError, ExportError, InputError, LayerError

__all__ = [
    "CRSError",
    "ExportError",
    "InputError",
    "LayerError",
    "crs",
    "distance",
    "export",
    "io",
    "proximity",
    "settings",
]

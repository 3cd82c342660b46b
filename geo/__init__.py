"""Analysis core of Mineral Atlas: pure functions on GeoDataFrames and arrays; no UI, no map layers.

Modules (imported when first used, so ``import geo`` stays cheap for the command line)
----------------------------------------------------------------------------------------
crs         the CRS contract: no CRS is an error; reprojection to EPSG:4326 for display and GeoJSON
distance    geodesic (WGS84) primitives: Vincenty/Karney distances, unit vectors, bounds
proximity   nearest targets, within a distance, distance matrices, geodesic lines and circles
corridor    corridor polygons around routes and the features inside them, by chainage
network     road, rail and sea networks (scgraph-data, searoute): routing, matrices, metrics
siting      H3 suitability grids, criteria, ranking, sensitivity, p-median and maximal coverage
measure     geodesic length, perimeter and area of drawn shapes
io          reading user files (GeoJSON, GeoPackage, CSV, KML/KMZ, Shapefile, GeoParquet)
export      GeoJSON (RFC 7946) and other formats
settings    documented, typed constants (limits, speeds, emission factors with their sources)

Errors are :class:`CRSError`, :class:`ExportError`, :class:`InputError` and :class:`LayerError`, all
subclasses of :class:`ValueError`; the workspace store raises the :class:`LayerError` subclasses
:class:`WorkspaceBusy`, :class:`WorkspaceDamaged` and :class:`LayerPermissionError`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from geo._errors import (
    CRSError,
    ExportError,
    InputError,
    LayerChoiceError,
    LayerError,
    LayerPermissionError,
    WorkspaceBusy,
    WorkspaceDamaged,
)

_MODULES = (
    "corridor",
    "crs",
    "distance",
    "export",
    "io",
    "measure",
    "network",
    "proximity",
    "settings",
    "siting",
)

__all__ = [
    "CRSError",
    "ExportError",
    "InputError",
    "LayerChoiceError",
    "LayerError",
    "LayerPermissionError",
    "WorkspaceBusy",
    "WorkspaceDamaged",
    *_MODULES,
]


def __getattr__(name: str) -> ModuleType:
    """Import a module of the package on first use (``geo.siting``)."""
    if name in _MODULES:
        return importlib.import_module(f"geo.{name}")
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)

"""Analysis core of Mineral Atlas: pure functions on GeoDataFrames and arrays; no UI, no map layers.

Modules (imported when first used, so ``import geo`` stays cheap for the command line)
----------------------------------------------------------------------------------------
crs           the CRS contract: no CRS is an error; reprojection to EPSG:4326 for display and GeoJSON
distance      geodesic (WGS84) primitives: Vincenty/Karney distances, unit vectors, bounds
proximity     nearest targets, within a distance, distance matrices, geodesic lines and circles
corridor      corridor polygons around routes and the features inside them, by chainage
network       road, rail and sea networks (scgraph-data, searoute): routing, matrices, metrics
service_area  service areas (isochrones) on the road and rail networks, in hours or km
siting        H3 suitability grids, criteria, ranking, sensitivity, spread candidates
allocation    location-allocation: p-median and maximal coverage (also importable from siting)
measure       geodesic length, perimeter and area of drawn shapes
select        select by location: features near, inside or along those of another layer
search        find a place: fuzzy match of a typed query against named features, or coordinates
io            reading user files (GeoJSON, GeoPackage, CSV, KML/KMZ, Shapefile, GeoParquet)
export        GeoJSON (RFC 7946) and other formats
settings      documented, typed constants (limits, speeds, emission factors with their sources)

Private modules (``_x``) serve the public ones and are not imported from outside ``geo``.

Errors are :class:`CRSError`, :class:`ExportError`, :class:`InputError` and :class:`LayerError`, all
subclasses of :class:`ValueError`; the workspace store raises the :class:`LayerError` subclasses
:class:`WorkspaceBusy`, :class:`WorkspaceDamaged` and :class:`LayerPermissionError`. Import them from
``geo`` (``from geo import InputError``), not from the private ``geo._errors``.
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
    "allocation",
    "corridor",
    "crs",
    "distance",
    "export",
    "io",
    "measure",
    "network",
    "proximity",
    "search",
    "select",
    "service_area",
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

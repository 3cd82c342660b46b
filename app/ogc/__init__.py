"""OGC API – Features at ``/ogc``: the atlas's layers for QGIS, ArcGIS, GDAL and OWSLib, read-only.

``/ogc`` (landing page), ``/conformance`` (Core, GeoJSON, HTML, OAS30), ``/api`` (OpenAPI 3.0),
``/collections``, ``/collections/{id}`` (with ``/queryables``), ``/collections/{id}/items`` (GeoJSON;
``bbox``, ``datetime``, ``limit``, ``offset`` with ``next``/``prev`` links, ``numberMatched`` and
``numberReturned``, one parameter per property as an exact-value filter such as ``?status=operating``)
and ``/collections/{id}/items/{featureId}``; JSON, or escaped HTML for ``f=html`` and browsers.

Why the endpoints are written here and not pygeoapi mounted as a route
----------------------------------------------------------------------
pygeoapi (0.21.0, the OGC reference implementation) was weighed first. It installs here from PyPI
(``pip download pygeoapi``: 45 wheels, 85 MB) and ships a Starlette app that could be mounted, with
custom providers named by dotted path. Against it:

* weight: rasterio (36 MB, a second copy of GDAL beside pyogrio's), Flask, SQLAlchemy, Babel,
  pydantic, dateparser, tinydb, for six small read-only collections;
* configuration: ``pygeoapi.starlette_app`` reads a YAML configuration and a generated OpenAPI file
  named by the ``PYGEOAPI_CONFIG``/``PYGEOAPI_OPENAPI`` environment variables *when it is imported*,
  one per process; the analyses a user saves appear while the server runs, which would mean its
  admin API rewriting that file;
* the part we need (Features Part 1 over in-memory GeoDataFrames) is about 1,500 lines here with
  their docstrings, tested against two clients no one here wrote (GDAL's OAPIF driver, OWSLib).

So: Starlette routes mounted beside Streamlit by :mod:`app.asgi`, over a two-method provider
interface (:mod:`app.ogc.providers`) that the workspace plugs into. Switching to pygeoapi later means
writing one pygeoapi provider class around the same :class:`~app.ogc.providers.Provider`.
"""

from __future__ import annotations

from app.ogc.api import CONFORMANCE, routes
from app.ogc.providers import BuiltinLayers, Collection, FrameProvider, Provider, Providers, describe

__all__ = [
    "CONFORMANCE",
    "BuiltinLayers",
    "Collection",
    "FrameProvider",
    "Provider",
    "Providers",
    "describe",
    "routes",
]

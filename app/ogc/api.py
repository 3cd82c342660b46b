"""The endpoints of the OGC API – Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0), read-only.

Every answer is JSON (GeoJSON for features) or, asked with ``f=html`` or by a browser's ``Accept``
header, a plain escaped HTML page. A bad request is a 400 (a parameter that does not parse, an
unknown parameter) or a 404 (an unknown collection, feature or path) with an OGC exception body
``{"code": ..., "description": ...}``; a collection that cannot be read is a 500 with the same body
and no traceback.

Where the parts are: the pages about the API and its collections in :mod:`app.ogc._collections`, the
features in :mod:`app.ogc._items`, what they share in :mod:`app.ogc._service`, the encoding of answers
and errors in :mod:`app.ogc._responses`, the OpenAPI document in :mod:`app.ogc.openapi`, the query
parameters in :mod:`app.ogc.query`, the HTML pages in :mod:`app.ogc._html`.
"""

from __future__ import annotations

import functools

from starlette.routing import BaseRoute, Route

from app.ogc import _collections, _items
from app.ogc._collections import CONFORMANCE
from app.ogc._responses import guard
from app.ogc._service import Service
from app.ogc.providers import Provider

__all__ = ["CONFORMANCE", "routes"]


def routes(
    provider: Provider,
    *,
    prefix: str = "/ogc",
    title: str = "Mineral Atlas",
    description: str = "The atlas's layers as OGC API – Features collections (GeoJSON, WGS84).",
) -> list[BaseRoute]:
    """The routes of an OGC API – Features at ``prefix`` serving ``provider``'s collections (GET and HEAD).

    Parameters
    ----------
    provider : Provider
        Where the collections come from (see :mod:`app.ogc.providers`).
    prefix : str, keyword-only
        Path of the landing page.
    title, description : str, keyword-only
        Shown on the landing page and in the API definition.
    """
    service = Service(provider, prefix=prefix, title=title, description=description)
    p = service.prefix
    table = [
        (p, _collections.landing),
        (f"{p}/", _collections.landing),
        (f"{p}/conformance", _collections.conformance),
        (f"{p}/api", _collections.api),
        (f"{p}/collections", _collections.collections),
        (f"{p}/collections/{{collection_id}}", _collections.collection_endpoint),
        (f"{p}/collections/{{collection_id}}/queryables", _collections.queryables),
        (f"{p}/collections/{{collection_id}}/items", _items.items),
        (f"{p}/collections/{{collection_id}}/items/{{feature_id}}", _items.item),
        (f"{p}/{{rest:path}}", _collections.not_found),
    ]
    return [
        Route(path, guard(functools.partial(endpoint, service)), methods=["GET"], name=endpoint.__name__)
        for path, endpoint in table
    ]

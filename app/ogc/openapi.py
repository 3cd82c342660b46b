"""The OpenAPI 3.0 document of the OGC API – Features (``{prefix}/api``), and the media types it names.

One operation per endpoint, and per collection its items (with one exact-value filter parameter per
property) and its single feature; every operation answers JSON (or GeoJSON) and HTML, and an OGC
exception body for a 400, 404 or 500. :mod:`app.ogc.api` serves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from app.ogc.providers import Collection
from app.ogc.query import DEFAULT_LIMIT, MAX_LIMIT, RESERVED

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"


def collection_path(collection_id: str) -> str:
    """Path of a collection below the landing page (``/collections/{id}``, the id percent-encoded)."""
    return f"/collections/{quote(collection_id, safe='')}"


def openapi_document(
    collections: Sequence[Collection], *, base: str, title: str, description: str
) -> dict[str, Any]:
    """The OpenAPI 3.0 document of an API serving ``collections`` at ``base`` (its landing page URL).

    Parameters
    ----------
    collections : sequence of Collection
        The collections served (:meth:`app.ogc.providers.Provider.collections`).
    base : str, keyword-only
        Absolute URL of the landing page, the document's server.
    title, description : str, keyword-only
        The API's title and description.
    """
    ids = [c.id for c in collections]

    def query_param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema,
            "style": "form",
            "explode": False,
            **extra,
        }

    f = query_param("f", {"type": "string", "enum": ["json", "html"]}, "The response format.")
    bbox = query_param(
        "bbox",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "Features intersecting min_lon,min_lat,max_lon,max_lat (WGS84 degrees, CRS84).",
    )
    datetime_ = query_param(
        "datetime",
        {"type": "string"},
        "An RFC 3339 instant or interval start/end ('..' open); dates stand for their whole period.",
    )
    limit = query_param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Features per page.",
    )
    offset = query_param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Features skipped.")
    collection_id = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "description": "A collection's id.",
        "schema": {"type": "string", "enum": ids},
    }
    feature_id = {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "A feature's id.",
        "schema": {"type": "string"},
    }
    exception = {
        "description": "An OGC exception: code and description.",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
    }

    def operation(
        summary: str, operation_id: str, media: Sequence[str], parameters: list[dict[str, Any]], tag: str
    ) -> dict[str, Any]:
        ok = {"description": summary, "content": {m: {} for m in (*media, HTML)}}
        responses = {"200": ok, "400": exception, "500": exception}
        if any(p.get("in") == "path" for p in parameters):
            responses["404"] = exception
        return {
            "get": {
                "summary": summary,
                "operationId": operation_id,
                "tags": [tag],
                "parameters": parameters,
                "responses": responses,
            }
        }

    paths: dict[str, Any] = {
        "/": operation("The landing page", "getLandingPage", [JSON], [f], "Capabilities"),
        "/conformance": operation("The conformance classes", "getConformance", [JSON], [f], "Capabilities"),
        "/api": operation("This API definition", "getAPI", [OPENAPI], [f], "Capabilities"),
        "/collections": operation("The collections", "getCollections", [JSON], [f], "Capabilities"),
        "/collections/{collectionId}": operation(
            "A collection", "describeCollection", [JSON], [collection_id, f], "Capabilities"
        ),
        "/collections/{collectionId}/queryables": operation(
            "A collection's properties",
            "getQueryables",
            ["application/schema+json"],
            [collection_id, f],
            "Capabilities",
        ),
    }
    for c in collections:
        path = collection_path(c.id)
        filters = [
            query_param(
                name,
                {"type": kind},
                f"Features whose {name} equals the value (repeat for any of several).",
                explode=True,
            )
            for name, kind in c.properties.items()
            if name not in RESERVED
        ]
        paths[f"{path}/items"] = operation(
            f"The features of {c.title}",
            f"getFeatures_{c.id}",
            [GEOJSON],
            [bbox, datetime_, limit, offset, f, *filters],
            c.title,
        )
        paths[f"{path}/items/{{featureId}}"] = operation(
            f"A feature of {c.title}", f"getFeature_{c.id}", [GEOJSON], [feature_id, f], c.title
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "description": description,
            "version": "1.0.0",
            "license": {"name": "data: see each collection's sources and attribution"},
        },
        "servers": [{"url": base}],
        "tags": [
            {"name": "Capabilities"},
            *({"name": c.title, "description": c.description} for c in collections),
        ],
        "paths": paths,
        "components": {
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                }
            }
        },
    }

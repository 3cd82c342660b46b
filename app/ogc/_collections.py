"""The OGC API's pages about itself and its collections, each in JSON or as an escaped HTML page.

The landing page, conformance, the API definition, the collections, one collection and its queryables.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.ogc import _html as h
from app.ogc._responses import NotFound, html_response, json_response, requested_format
from app.ogc._service import Service
from app.ogc.openapi import GEOJSON, HTML, JSON, OPENAPI, openapi_document
from app.ogc.providers import Collection
from app.ogc.query import CRS84, reject_parameters

CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def landing(service: Service, request: Request) -> Response:
    """``{prefix}``: the landing page, linking the API definition, conformance and collections."""
    reject_parameters(request.query_params.multi_items())
    fmt, base = requested_format(request), service.base(request)
    document = {
        "title": service.title,
        "description": service.description,
        "links": [
            *service.self_links(request, fmt),
            {
                "rel": "service-desc",
                "href": f"{base}/api",
                "type": OPENAPI,
                "title": "the API definition",
            },
            {
                "rel": "service-doc",
                "href": f"{base}/api?f=html",
                "type": HTML,
                "title": "the API definition",
            },
            {"rel": "conformance", "href": f"{base}/conformance", "type": JSON, "title": "conformance"},
            {"rel": "data", "href": f"{base}/collections", "type": JSON, "title": "the collections"},
        ],
    }
    if fmt == "json":
        return json_response(document)
    body = (
        f"<p>{h.e(service.description)}</p><ul>"
        f"<li>{h.link(f'{base}/collections?f=html', 'Collections')}</li>"
        f"<li>{h.link(f'{base}/conformance?f=html', 'Conformance')}</li>"
        f"<li>{h.link(f'{base}/api?f=html', 'API definition (OpenAPI 3.0)')}</li></ul>"
    )
    return html_response(h.page(service.title, body, json_href=f"{base}?f=json"))


def conformance(service: Service, request: Request) -> Response:
    """``/conformance``: the conformance classes (:data:`CONFORMANCE`)."""
    reject_parameters(request.query_params.multi_items())
    fmt, base = requested_format(request), service.base(request)
    if fmt == "json":
        return json_response({"conformsTo": list(CONFORMANCE)})
    items = "".join(f"<li>{h.e(c)}</li>" for c in CONFORMANCE)
    crumbs = [(f"{base}?f=html", service.title)]
    return html_response(
        h.page("Conformance", f"<ul>{items}</ul>", crumbs=crumbs, json_href=f"{base}/conformance?f=json")
    )


def api(service: Service, request: Request) -> Response:
    """``/api``: the OpenAPI 3.0 document."""
    reject_parameters(request.query_params.multi_items())
    fmt, base = requested_format(request), service.base(request)
    document = openapi_document(
        service.provider.collections(), base=base, title=service.title, description=service.description
    )
    if fmt == "json":
        return json_response(document, OPENAPI)
    crumbs = [(f"{base}?f=html", service.title)]
    return html_response(
        h.page("API definition", h.json_block(document), crumbs=crumbs, json_href=f"{base}/api?f=json")
    )


def collection_document(service: Service, collection: Collection, base: str) -> dict[str, Any]:
    """The description of ``collection`` (extent, links), as ``/collections`` lists it."""
    href = base + service.collection_path(collection.id)
    extent: dict[str, Any] = {}
    if collection.bbox is not None:
        extent["spatial"] = {"bbox": [list(collection.bbox)], "crs": CRS84}
    if collection.interval is not None:
        extent["temporal"] = {"interval": [list(collection.interval)], "trs": GREGORIAN}
    document: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extent,
        "links": [
            {"rel": "self", "href": f"{href}?f=json", "type": JSON, "title": collection.title},
            {"rel": "alternate", "href": f"{href}?f=html", "type": HTML, "title": collection.title},
            {"rel": "items", "href": f"{href}/items?f=json", "type": GEOJSON, "title": "the features"},
            {"rel": "items", "href": f"{href}/items?f=html", "type": HTML, "title": "the features"},
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "href": f"{href}/queryables",
                "type": "application/schema+json",
                "title": "the properties a request can filter on",
            },
        ],
    }
    if collection.attribution:
        document["attribution"] = collection.attribution
    return document


def collections(service: Service, request: Request) -> Response:
    """``/collections``: every collection."""
    reject_parameters(request.query_params.multi_items())
    fmt, base = requested_format(request), service.base(request)
    listed = service.provider.collections()
    if fmt == "json":
        return json_response(
            {
                "links": service.self_links(request, fmt),
                "collections": [collection_document(service, c, base) for c in listed],
            }
        )
    rows = (
        [
            h.link(f"{base}{service.collection_path(c.id)}?f=html", c.title),
            h.e(c.id),
            h.e(c.count),
            h.e(", ".join(c.geometry_types)),
            h.e(c.description),
        ]
        for c in listed
    )
    body = h.table(("title", "id", "features", "geometry", "description"), rows)
    crumbs = [(f"{base}?f=html", service.title)]
    return html_response(h.page("Collections", body, crumbs=crumbs, json_href=f"{base}/collections?f=json"))


def collection_endpoint(service: Service, request: Request) -> Response:
    """``/collections/{collection_id}``: one collection."""
    reject_parameters(request.query_params.multi_items())
    collection = service.collection(request.path_params["collection_id"])
    fmt, base = requested_format(request), service.base(request)
    if fmt == "json":
        return json_response(collection_document(service, collection, base))
    href = base + service.collection_path(collection.id)
    extent = ", ".join(f"{v:.4f}" for v in collection.bbox) if collection.bbox else "none"
    facts = {
        "id": collection.id,
        "features": collection.count,
        "geometry": ", ".join(collection.geometry_types),
        "extent (lon/lat)": extent,
        "dates": " to ".join(end or ".." for end in collection.interval) if collection.interval else "none",
        "attribution": collection.attribution,
        "properties": ", ".join(collection.properties),
    }
    body = (
        f"<p>{h.e(collection.description)}</p>{h.definition_list(facts)}"
        f"<p>{h.link(f'{href}/items?f=html', 'Browse the features')} · "
        f"{h.link(f'{href}/items?f=json', 'GeoJSON')}</p>"
    )
    crumbs = [(f"{base}?f=html", service.title), (f"{base}/collections?f=html", "Collections")]
    return html_response(h.page(collection.title, body, crumbs=crumbs, json_href=f"{href}?f=json"))


def queryables(service: Service, request: Request) -> Response:
    """``/collections/{collection_id}/queryables``: the properties an items request filters on."""
    reject_parameters(request.query_params.multi_items())
    collection = service.collection(request.path_params["collection_id"])
    fmt, base = requested_format(request), service.base(request)
    href = f"{base}{service.collection_path(collection.id)}/queryables"
    document = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": href,
        "type": "object",
        "title": collection.title,
        "properties": {name: {"title": name, "type": kind} for name, kind in collection.properties.items()},
        "additionalProperties": False,
    }
    if fmt == "json":
        return Response(json.dumps(document, ensure_ascii=False), media_type="application/schema+json")
    crumbs = [
        (f"{base}?f=html", service.title),
        (f"{base}{service.collection_path(collection.id)}?f=html", collection.title),
    ]
    rows = ([h.e(name), h.e(kind)] for name, kind in collection.properties.items())
    body = "<p>Each property is a filter parameter of the items request (exact value).</p>" + h.table(
        ("property", "type"), rows
    )
    return html_response(
        h.page(f"Queryables of {collection.title}", body, crumbs=crumbs, json_href=f"{href}?f=json")
    )


def not_found(service: Service, request: Request) -> Response:
    """Any other path below the landing page: a 404 naming the landing page."""
    raise NotFound(f"no resource at {request.url.path}; start at {service.base(request)}")

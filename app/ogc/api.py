"""The endpoints of the OGC API – Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0), read-only.

Every answer is JSON (GeoJSON for features) or, asked with ``f=html`` or by a browser's ``Accept``
header, a plain escaped HTML page. A bad request is a 400 (a parameter that does not parse, an
unknown parameter) or a 404 (an unknown collection, feature or path) with an OGC exception body
``{"code": ..., "description": ...}``; a collection that cannot be read is a 500 with the same body
and no traceback.

The endpoints stay together in one class of about 500 lines: each is a short method answering the
same request in JSON and in HTML, and reading them in a row shows the whole API. What they share
lives beside them: the OpenAPI document in :mod:`app.ogc.openapi`, the query parameters in
:mod:`app.ogc.query`, the HTML pages in :mod:`app.ogc._html`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.ogc import _html as h
from app.ogc.openapi import GEOJSON, HTML, JSON, OPENAPI, collection_path, openapi_document
from app.ogc.providers import Collection, Provider
from app.ogc.query import (
    CRS84,
    check_crs,
    parse_items_query,
    reject_parameters,
    select,
)
from geo import CRSError, InputError, LayerError

logger = logging.getLogger(__name__)

CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


class _NotFound(LookupError):
    """A collection, feature or path that does not exist (answered 404)."""


def _exception(status: int, code: str, description: str) -> Response:
    body = json.dumps({"code": code, "description": description}, ensure_ascii=False)
    return Response(body, status_code=status, media_type=JSON)


def _guard(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Turn the errors of ``endpoint`` into OGC exception responses; never a traceback to the client."""

    @functools.wraps(endpoint)
    def handle(request: Request) -> Response:
        try:
            return endpoint(request)
        except InputError as exc:
            return _exception(400, "InvalidParameterValue", str(exc))
        except _NotFound as exc:
            return _exception(404, "NotFound", str(exc.args[0]))
        except (LayerError, CRSError) as exc:
            logger.error("OGC API %s: %s", request.url.path, exc)
            return _exception(500, "ServerError", f"the data could not be read: {exc}")
        except Exception:
            logger.exception("OGC API %s failed", request.url.path)
            return _exception(500, "ServerError", "internal error; the server log has the details")

    return handle


def _format(request: Request) -> str:
    """``json`` or ``html``: the ``f`` parameter, else HTML for browsers (``Accept: text/html``)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html"):
            msg = f"f: expected json or html, got {f!r}"
            raise InputError(msg)
        return f
    return "html" if HTML in request.headers.get("accept", "") else "json"


def _json(document: Any, media_type: str = JSON) -> Response:
    return Response(json.dumps(document, ensure_ascii=False), media_type=media_type)


def _html(markup: str) -> Response:
    return Response(markup, media_type=HTML)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _properties(gdf: gpd.GeoDataFrame) -> list[dict[Hashable, Any]]:
    """The features' properties (every column but ``id`` and the geometry), missing values as null."""
    frame = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name, "id"], errors="ignore"))
    for name in frame.columns:
        if pd.api.types.is_float_dtype(frame[name]):
            frame[name] = frame[name].where(np.isfinite(frame[name]))
    frame = frame.astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def _features(gdf: gpd.GeoDataFrame) -> list[str]:
    """Each feature as a GeoJSON text (exact coordinates), in order."""
    geometries = shapely.to_geojson(gdf.geometry.values)
    ids = gdf["id"].astype(str)
    return [
        f'{{"type":"Feature","id":{json.dumps(fid, ensure_ascii=False)},'
        f'"geometry":{geometry if geometry is not None else "null"},'
        f'"properties":{json.dumps(props, ensure_ascii=False, default=_jsonable)}}}'
        for fid, geometry, props in zip(ids, geometries, _properties(gdf), strict=True)
    ]


class _API:
    def __init__(self, provider: Provider, *, prefix: str, title: str, description: str) -> None:
        self.provider = provider
        self.prefix = prefix.rstrip("/")
        self.title = title
        self.description = description

    # -- helpers
    def base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + self.prefix

    @staticmethod
    def url(base: str, path: str = "", params: Sequence[tuple[str, str]] = ()) -> str:
        return f"{base}{path}" + (f"?{urlencode(list(params))}" if params else "")

    def features(self, collection: Collection) -> gpd.GeoDataFrame:
        try:
            return self.provider.features(collection.id)
        except KeyError:  # gone since it was listed (a workspace layer deleted meanwhile)
            raise _NotFound(f"no collection {collection.id!r}") from None

    def collection(self, collection_id: str) -> Collection:
        for collection in self.provider.collections():
            if collection.id == collection_id:
                return collection
        known = ", ".join(c.id for c in self.provider.collections())
        raise _NotFound(f"no collection {collection_id!r}; collections: {known}")

    def self_links(self, request: Request, fmt: str, *, json_type: str = JSON) -> list[dict[str, str]]:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
        base = str(request.url.replace(query="")).rstrip("/")
        as_json = {"href": self.url(base, "", [*params, ("f", "json")]), "type": json_type}
        as_html = {"href": self.url(base, "", [*params, ("f", "html")]), "type": HTML}
        first, second = (as_json, as_html) if fmt == "json" else (as_html, as_json)
        return [
            {"rel": "self", **first, "title": "this document"},
            {
                "rel": "alternate",
                **second,
                "title": "this document as " + ("HTML" if fmt == "json" else "JSON"),
            },
        ]

    def collection_path(self, collection_id: str) -> str:
        return collection_path(collection_id)

    # -- endpoints
    def landing(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        fmt, base = _format(request), self.base(request)
        document = {
            "title": self.title,
            "description": self.description,
            "links": [
                *self.self_links(request, fmt),
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
            return _json(document)
        body = (
            f"<p>{h.e(self.description)}</p><ul>"
            f"<li>{h.link(f'{base}/collections?f=html', 'Collections')}</li>"
            f"<li>{h.link(f'{base}/conformance?f=html', 'Conformance')}</li>"
            f"<li>{h.link(f'{base}/api?f=html', 'API definition (OpenAPI 3.0)')}</li></ul>"
        )
        return _html(h.page(self.title, body, json_href=f"{base}?f=json"))

    def conformance(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        fmt, base = _format(request), self.base(request)
        if fmt == "json":
            return _json({"conformsTo": list(CONFORMANCE)})
        items = "".join(f"<li>{h.e(c)}</li>" for c in CONFORMANCE)
        crumbs = [(f"{base}?f=html", self.title)]
        return _html(
            h.page("Conformance", f"<ul>{items}</ul>", crumbs=crumbs, json_href=f"{base}/conformance?f=json")
        )

    def api(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        fmt, base = _format(request), self.base(request)
        document = openapi_document(
            self.provider.collections(), base=base, title=self.title, description=self.description
        )
        if fmt == "json":
            return _json(document, OPENAPI)
        crumbs = [(f"{base}?f=html", self.title)]
        return _html(
            h.page("API definition", h.json_block(document), crumbs=crumbs, json_href=f"{base}/api?f=json")
        )

    def collection_document(self, collection: Collection, base: str) -> dict[str, Any]:
        href = base + self.collection_path(collection.id)
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

    def collections(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        fmt, base = _format(request), self.base(request)
        listed = self.provider.collections()
        if fmt == "json":
            return _json(
                {
                    "links": self.self_links(request, fmt),
                    "collections": [self.collection_document(c, base) for c in listed],
                }
            )
        rows = (
            [
                h.link(f"{base}{self.collection_path(c.id)}?f=html", c.title),
                h.e(c.id),
                h.e(c.count),
                h.e(", ".join(c.geometry_types)),
                h.e(c.description),
            ]
            for c in listed
        )
        body = h.table(("title", "id", "features", "geometry", "description"), rows)
        crumbs = [(f"{base}?f=html", self.title)]
        return _html(h.page("Collections", body, crumbs=crumbs, json_href=f"{base}/collections?f=json"))

    def collection_endpoint(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        collection = self.collection(request.path_params["collection_id"])
        fmt, base = _format(request), self.base(request)
        if fmt == "json":
            return _json(self.collection_document(collection, base))
        href = base + self.collection_path(collection.id)
        extent = ", ".join(f"{v:.4f}" for v in collection.bbox) if collection.bbox else "none"
        facts = {
            "id": collection.id,
            "features": collection.count,
            "geometry": ", ".join(collection.geometry_types),
            "extent (lon/lat)": extent,
            "dates": " to ".join(end or ".." for end in collection.interval)
            if collection.interval
            else "none",
            "attribution": collection.attribution,
            "properties": ", ".join(collection.properties),
        }
        body = (
            f"<p>{h.e(collection.description)}</p>{h.definition_list(facts)}"
            f"<p>{h.link(f'{href}/items?f=html', 'Browse the features')} · "
            f"{h.link(f'{href}/items?f=json', 'GeoJSON')}</p>"
        )
        crumbs = [(f"{base}?f=html", self.title), (f"{base}/collections?f=html", "Collections")]
        return _html(h.page(collection.title, body, crumbs=crumbs, json_href=f"{href}?f=json"))

    def queryables(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items())
        collection = self.collection(request.path_params["collection_id"])
        fmt, base = _format(request), self.base(request)
        href = f"{base}{self.collection_path(collection.id)}/queryables"
        document = {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": href,
            "type": "object",
            "title": collection.title,
            "properties": {
                name: {"title": name, "type": kind} for name, kind in collection.properties.items()
            },
            "additionalProperties": False,
        }
        if fmt == "json":
            return Response(json.dumps(document, ensure_ascii=False), media_type="application/schema+json")
        crumbs = [
            (f"{base}?f=html", self.title),
            (f"{base}{self.collection_path(collection.id)}?f=html", collection.title),
        ]
        rows = ([h.e(name), h.e(kind)] for name, kind in collection.properties.items())
        body = "<p>Each property is a filter parameter of the items request (exact value).</p>" + h.table(
            ("property", "type"), rows
        )
        return _html(
            h.page(f"Queryables of {collection.title}", body, crumbs=crumbs, json_href=f"{href}?f=json")
        )

    def items(self, request: Request) -> Response:
        collection = self.collection(request.path_params["collection_id"])
        params = request.query_params.multi_items()
        query = parse_items_query(params, properties=collection.properties)
        fmt, base = _format(request), self.base(request)
        matched = select(self.features(collection), query, temporal_property=collection.temporal_property)
        page = matched.iloc[query.offset : query.offset + query.limit]
        links = self.self_links(request, fmt, json_type=GEOJSON)
        kept = [(k, v) for k, v in params if k not in ("offset", "f")]
        here = base + self.collection_path(collection.id) + "/items"
        mime = GEOJSON if fmt == "json" else HTML
        if query.offset + query.limit < len(matched):
            offset = str(query.offset + query.limit)
            next_href = self.url(here, "", [*kept, ("offset", offset), ("f", fmt)])
            links.append({"rel": "next", "href": next_href, "type": mime, "title": "next page"})
        if query.offset > 0:
            offset = str(max(0, query.offset - query.limit))
            prev_href = self.url(here, "", [*kept, ("offset", offset), ("f", fmt)])
            links.append({"rel": "prev", "href": prev_href, "type": mime, "title": "previous page"})
        links.append(
            {
                "rel": "collection",
                "href": base + self.collection_path(collection.id) + "?f=json",
                "type": JSON,
                "title": collection.title,
            }
        )
        if fmt == "json":
            head = {
                "type": "FeatureCollection",
                "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "numberMatched": len(matched),
                "numberReturned": len(page),
                "links": links,
            }
            text = (
                json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(_features(page)) + "]}"
            )
            return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})
        return _html(
            self.items_page(collection, page, matched_count=len(matched), query=query, links=links, base=base)
        )

    def items_page(
        self,
        collection: Collection,
        page: gpd.GeoDataFrame,
        *,
        matched_count: int,
        query: Any,
        links: list[dict[str, str]],
        base: str,
    ) -> str:
        href = base + self.collection_path(collection.id)
        columns = [c for c in page.columns if c not in ("id", page.geometry.name)]
        rows = (
            [
                h.link(f"{href}/items/{quote(str(fid), safe='')}?f=html", fid),
                h.e(geometry.geom_type if geometry is not None else ""),
                *(h.value_cell(_cell(row[c])) for c in columns),
            ]
            for fid, geometry, (_, row) in zip(page["id"], page.geometry, page.iterrows(), strict=True)
        )
        shown = f"{query.offset + 1}–{query.offset + len(page)}" if len(page) else "none"
        pager = " · ".join(
            h.link(link["href"], link["title"]) for link in links if link["rel"] in ("prev", "next")
        )
        json_href = next(
            link["href"] for link in links if link["type"] == GEOJSON and link["rel"] in ("self", "alternate")
        )
        body = f"<p>Features {h.e(shown)} of {h.e(matched_count)} matching.</p><p>{pager}</p>" + h.table(
            ("id", "geometry", *columns), rows
        )
        crumbs = [
            (f"{base}?f=html", self.title),
            (f"{base}/collections?f=html", "Collections"),
            (f"{href}?f=html", collection.title),
        ]
        return h.page(f"{collection.title}: features", body, crumbs=crumbs, json_href=json_href)

    def item(self, request: Request) -> Response:
        reject_parameters(request.query_params.multi_items(), allowed=("f", "crs"))
        check_crs(request.query_params.get("crs"), name="crs")
        collection = self.collection(request.path_params["collection_id"])
        feature_id = request.path_params["feature_id"]
        fmt, base = _format(request), self.base(request)
        gdf = self.features(collection)
        found = gdf[gdf["id"].astype(str) == feature_id]
        if found.empty:
            raise _NotFound(f"collection {collection.id!r} has no feature {feature_id!r}")
        href = f"{base}{self.collection_path(collection.id)}"
        links = [
            *self.self_links(request, fmt, json_type=GEOJSON),
            {"rel": "collection", "href": f"{href}?f=json", "type": JSON, "title": collection.title},
        ]
        if fmt == "json":
            text = (
                _features(found.iloc[:1])[0][:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
            )
            return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})
        row = found.iloc[0]
        geometry = row[found.geometry.name]
        facts = {c: _cell(row[c]) for c in found.columns if c != found.geometry.name}
        if geometry is not None:
            facts["geometry"] = geometry.geom_type
            facts["extent (lon/lat)"] = ", ".join(f"{v:.5f}" for v in geometry.bounds)
        crumbs = [
            (f"{base}?f=html", self.title),
            (f"{base}/collections?f=html", "Collections"),
            (f"{href}?f=html", collection.title),
            (f"{href}/items?f=html", "features"),
        ]
        json_href = next(link["href"] for link in links if link["type"] == GEOJSON)
        title = str(row["name"]) if "name" in found.columns and isinstance(row["name"], str) else feature_id
        return _html(h.page(title, h.definition_list(facts), crumbs=crumbs, json_href=json_href))

    def not_found(self, request: Request) -> Response:
        raise _NotFound(f"no resource at {request.url.path}; start at {self.base(request)}")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    return _jsonable(value) if not isinstance(value, (str, int, float)) else value


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
    api = _API(provider, prefix=prefix, title=title, description=description)
    p = api.prefix
    table = [
        (p, api.landing),
        (f"{p}/", api.landing),
        (f"{p}/conformance", api.conformance),
        (f"{p}/api", api.api),
        (f"{p}/collections", api.collections),
        (f"{p}/collections/{{collection_id}}", api.collection_endpoint),
        (f"{p}/collections/{{collection_id}}/queryables", api.queryables),
        (f"{p}/collections/{{collection_id}}/items", api.items),
        (f"{p}/collections/{{collection_id}}/items/{{feature_id}}", api.item),
        (f"{p}/{{rest:path}}", api.not_found),
    ]
    return [Route(path, _guard(endpoint), methods=["GET"]) for path, endpoint in table]

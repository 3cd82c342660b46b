"""The OGC API's features: ``/collections/{collection_id}/items`` (filtered and paged) and one feature.

Each answers GeoJSON, or an escaped HTML page. The query parameters are parsed and applied by
:mod:`app.ogc.query`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import geopandas as gpd
from starlette.requests import Request
from starlette.responses import Response

from app.ogc import _html as h
from app.ogc._responses import NotFound, as_geojson, cell, html_response, requested_format
from app.ogc._service import Service
from app.ogc.openapi import GEOJSON, HTML, JSON
from app.ogc.providers import Collection
from app.ogc.query import CRS84, check_crs, parse_items_query, reject_parameters, select


def items(service: Service, request: Request) -> Response:
    """``/collections/{collection_id}/items``: the features matching the query, one page of them."""
    collection = service.collection(request.path_params["collection_id"])
    params = request.query_params.multi_items()
    query = parse_items_query(params, properties=collection.properties)
    fmt, base = requested_format(request), service.base(request)
    matched = select(service.features(collection), query, temporal_property=collection.temporal_property)
    page = matched.iloc[query.offset : query.offset + query.limit]
    links = service.self_links(request, fmt, json_type=GEOJSON)
    kept = [(k, v) for k, v in params if k not in ("offset", "f")]
    here = base + service.collection_path(collection.id) + "/items"
    mime = GEOJSON if fmt == "json" else HTML
    if query.offset + query.limit < len(matched):
        offset = str(query.offset + query.limit)
        next_href = service.url(here, "", [*kept, ("offset", offset), ("f", fmt)])
        links.append({"rel": "next", "href": next_href, "type": mime, "title": "next page"})
    if query.offset > 0:
        offset = str(max(0, query.offset - query.limit))
        prev_href = service.url(here, "", [*kept, ("offset", offset), ("f", fmt)])
        links.append({"rel": "prev", "href": prev_href, "type": mime, "title": "previous page"})
    links.append(
        {
            "rel": "collection",
            "href": base + service.collection_path(collection.id) + "?f=json",
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
        text = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(as_geojson(page)) + "]}"
        return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})
    return html_response(
        items_page(service, collection, page, matched_count=len(matched), query=query, links=links, base=base)
    )


def items_page(
    service: Service,
    collection: Collection,
    page: gpd.GeoDataFrame,
    *,
    matched_count: int,
    query: Any,
    links: list[dict[str, str]],
    base: str,
) -> str:
    """The HTML page of a page of features, with links to the previous and next pages."""
    href = base + service.collection_path(collection.id)
    columns = [c for c in page.columns if c not in ("id", page.geometry.name)]
    rows = (
        [
            h.link(f"{href}/items/{quote(str(fid), safe='')}?f=html", fid),
            h.e(geometry.geom_type if geometry is not None else ""),
            *(h.value_cell(cell(row[c])) for c in columns),
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
        (f"{base}?f=html", service.title),
        (f"{base}/collections?f=html", "Collections"),
        (f"{href}?f=html", collection.title),
    ]
    return h.page(f"{collection.title}: features", body, crumbs=crumbs, json_href=json_href)


def item(service: Service, request: Request) -> Response:
    """``/collections/{collection_id}/items/{feature_id}``: one feature."""
    reject_parameters(request.query_params.multi_items(), allowed=("f", "crs"))
    check_crs(request.query_params.get("crs"), name="crs")
    collection = service.collection(request.path_params["collection_id"])
    feature_id = request.path_params["feature_id"]
    fmt, base = requested_format(request), service.base(request)
    gdf = service.features(collection)
    found = gdf[gdf["id"].astype(str) == feature_id]
    if found.empty:
        raise NotFound(f"collection {collection.id!r} has no feature {feature_id!r}")
    href = f"{base}{service.collection_path(collection.id)}"
    links = [
        *service.self_links(request, fmt, json_type=GEOJSON),
        {"rel": "collection", "href": f"{href}?f=json", "type": JSON, "title": collection.title},
    ]
    if fmt == "json":
        text = as_geojson(found.iloc[:1])[0][:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
        return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})
    row = found.iloc[0]
    geometry = row[found.geometry.name]
    facts = {c: cell(row[c]) for c in found.columns if c != found.geometry.name}
    if geometry is not None:
        facts["geometry"] = geometry.geom_type
        facts["extent (lon/lat)"] = ", ".join(f"{v:.5f}" for v in geometry.bounds)
    crumbs = [
        (f"{base}?f=html", service.title),
        (f"{base}/collections?f=html", "Collections"),
        (f"{href}?f=html", collection.title),
        (f"{href}/items?f=html", "features"),
    ]
    json_href = next(link["href"] for link in links if link["type"] == GEOJSON)
    title = str(row["name"]) if "name" in found.columns and isinstance(row["name"], str) else feature_id
    return html_response(h.page(title, h.definition_list(facts), crumbs=crumbs, json_href=json_href))

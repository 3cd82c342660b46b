"""How the OGC API answers: the format asked for, JSON, GeoJSON and HTML bodies, OGC exceptions.

A bad request is a 400 (a parameter that does not parse, an unknown parameter) or a 404 (an unknown
collection, feature or path) with an OGC exception body ``{"code": ..., "description": ...}``; a
collection that cannot be read is a 500 with the same body and no traceback (:func:`guard`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Hashable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from starlette.requests import Request
from starlette.responses import Response

from app.ogc.openapi import HTML, JSON
from geo import CRSError, InputError, LayerError

logger = logging.getLogger(__name__)


class NotFound(LookupError):
    """A collection, feature or path that does not exist (answered 404)."""


def exception_response(status: int, code: str, description: str) -> Response:
    """An OGC exception: ``{"code": ..., "description": ...}`` with ``status``."""
    body = json.dumps({"code": code, "description": description}, ensure_ascii=False)
    return Response(body, status_code=status, media_type=JSON)


def guard(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Turn the errors of ``endpoint`` into OGC exception responses; never a traceback to the client."""

    @functools.wraps(endpoint)
    def handle(request: Request) -> Response:
        try:
            return endpoint(request)
        except InputError as exc:
            return exception_response(400, "InvalidParameterValue", str(exc))
        except NotFound as exc:
            return exception_response(404, "NotFound", str(exc.args[0]))
        except (LayerError, CRSError) as exc:
            logger.error("OGC API %s: %s", request.url.path, exc)
            return exception_response(500, "ServerError", f"the data could not be read: {exc}")
        except Exception:
            logger.exception("OGC API %s failed", request.url.path)
            return exception_response(500, "ServerError", "internal error; the server log has the details")

    return handle


def requested_format(request: Request) -> str:
    """``json`` or ``html``: the ``f`` parameter, else HTML for browsers (``Accept: text/html``)."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html"):
            msg = f"f: expected json or html, got {f!r}"
            raise InputError(msg)
        return f
    return "html" if HTML in request.headers.get("accept", "") else "json"


def json_response(document: Any, media_type: str = JSON) -> Response:
    """``document`` as JSON text (UTF-8, not ASCII-escaped)."""
    return Response(json.dumps(document, ensure_ascii=False), media_type=media_type)


def html_response(markup: str) -> Response:
    """A page of :mod:`app.ogc._html`."""
    return Response(markup, media_type=HTML)


def jsonable(value: Any) -> Any:
    """A value JSON cannot hold as it is, as JSON can: dates ISO text, numpy scalars numbers, bytes hex."""
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


def as_geojson(gdf: gpd.GeoDataFrame) -> list[str]:
    """Each feature as a GeoJSON text (exact coordinates), in order."""
    geometries = shapely.to_geojson(gdf.geometry.values)
    ids = gdf["id"].astype(str)
    return [
        f'{{"type":"Feature","id":{json.dumps(fid, ensure_ascii=False)},'
        f'"geometry":{geometry if geometry is not None else "null"},'
        f'"properties":{json.dumps(props, ensure_ascii=False, default=jsonable)}}}'
        for fid, geometry, props in zip(ids, geometries, _properties(gdf), strict=True)
    ]


def cell(value: Any) -> Any:
    """A property value as an HTML page shows it: missing values empty, others as in JSON."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    return jsonable(value) if not isinstance(value, (str, int, float)) else value

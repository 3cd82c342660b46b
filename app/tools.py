"""The GIS tools as the CLI and the pages call them.

Service areas from feature ids, selection by location over named layers or drawn shapes, and the
context and parameters of the analyses' reports.

Like :mod:`app.workflows`: the caller loads the layers (cached in the app, read once in the CLI) and
passes them as frames; nothing here prints or draws a widget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import InputError, LayerError

#: Layers whose feature ids name an origin (the route endpoints').
ORIGIN_LAYERS: tuple[str, ...] = ("facilities", "lithium_blocks", "ports", "demand")


def resolve_places(refs: Sequence[str], frames: Mapping[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Origins named by feature id (of :data:`ORIGIN_LAYERS` in ``frames``) or as ``lon,lat`` text.

    Returns
    -------
    GeoDataFrame
        One row per reference, in order: ``id``, ``name``, ``layer`` and ``source`` (of the feature,
        or "typed coordinates"), with the feature's geometry (a point inside a polygon), EPSG:4326.

    Raises
    ------
    InputError
        A reference that is neither, naming it and the layers searched.
    """
    from geo.crs import to_wgs84

    parts = [
        to_wgs84(frames[name], argument=name).assign(layer=name)
        for name in ORIGIN_LAYERS
        if name in frames and "id" in frames[name].columns
    ]
    ends = pd.concat(parts, ignore_index=True).drop_duplicates("id").set_index("id") if parts else None
    rows = []
    for ref in refs:
        text = str(ref).strip()
        if ends is not None and text in ends.index:
            feature = ends.loc[text]
            point = shapely.point_on_surface(feature.geometry)
            source = feature["source"] if "source" in ends.columns else ""
            rows.append((text, str(feature.get("name", text)), feature["layer"], str(source), point))
            continue
        try:
            lon, lat = (float(v) for v in text.split(","))
        except ValueError:
            msg = f"ID: {text!r} is neither a feature id of the {', '.join(ORIGIN_LAYERS)} layers nor lon,lat"
            raise InputError(msg) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            msg = f"ID: {text!r} is not a lon,lat position (lon -180..180, lat -90..90)"
            raise InputError(msg)
        rows.append((text, text, "coordinates", "typed coordinates", shapely.Point(lon, lat)))
    if not rows:
        msg = "ID: expected at least one feature id or lon,lat"
        raise InputError(msg)
    ids, names, layer_names, sources, points = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"id": list(ids), "name": list(names), "layer": list(layer_names), "source": list(sources)},
        geometry=list(points),
        crs="EPSG:4326",
    )


def service_areas_for(
    refs: Sequence[str],
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    mode: str = "road",
    hours: Sequence[float] | None = None,
    km: Sequence[float] | None = None,
    merge: bool = False,
    access_km: float | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Service areas of the origins named in ``refs`` (``mineral-atlas service-area ID ...``).

    The feedstock population inside comes from ``frames["demand"]`` and the facilities inside from
    ``frames["facilities"]`` when present.

    Returns
    -------
    (areas, origins)
        :func:`geo.service_area.service_areas`'s frame, and the resolved origins (for the map and
        the report).
    """
    from geo.service_area import service_areas

    origins = resolve_places(refs, frames)
    areas = service_areas(
        origins,
        mode=mode,
        hours=hours,
        km=km,
        merge=merge,
        access_km=access_km,
        demand=frames.get("demand"),
        facilities=frames.get("facilities"),
    )
    return areas, origins


def select_by_location(
    a: gpd.GeoDataFrame,
    b: gpd.GeoDataFrame | shapely.Geometry,
    *,
    how: str,
    distance_km: float | None = None,
    b_name: str = "the other layer",
) -> gpd.GeoDataFrame:
    """Select features of ``a`` by their location relative to ``b``.

    ``how`` is ``within`` (needs ``distance_km``), ``inside``, ``intersects`` or ``along`` (``b`` a
    route: a line or its legs; ``distance_km`` the half-width).

    ``b`` may be a drawn shapely geometry (a polygon for ``inside``, a line for ``along``).

    Raises
    ------
    InputError
        An unknown ``how``, or ``within``/``along`` without ``distance_km``.
    """
    from geo.select import select_along_route, select_inside, select_within_distance

    if isinstance(b, shapely.Geometry):
        b = gpd.GeoDataFrame(geometry=[b], crs="EPSG:4326")
    if how in ("within", "along") and distance_km is None:
        msg = f"distance_km: {how!r} needs a distance in km"
        raise InputError(msg)
    if how == "within":
        return select_within_distance(a, b, distance_km=float(distance_km or 0.0), b_name=b_name)
    if how in ("inside", "intersects"):
        return select_inside(
            a, b, predicate="inside" if how == "inside" else "intersects", polygons_name=b_name
        )
    if how == "along":
        return select_along_route(a, b, width_km=float(distance_km or 0.0), route_name=b_name)
    msg = f"how: expected one of within, inside, intersects, along, got {how!r}"
    raise InputError(msg)


def report_context(
    frames: Mapping[str, gpd.GeoDataFrame], names: Sequence[str]
) -> dict[str, gpd.GeoDataFrame]:
    """The frames of ``names`` (the layers an analysis used), to draw and cite in its report.

    Raises
    ------
    LayerError
        A name missing from ``frames``.
    """
    missing = [n for n in names if n not in frames]
    if missing:
        msg = f"report: layer(s) {', '.join(missing)} not loaded; loaded: {', '.join(frames)}"
        raise LayerError(msg)
    return {n: frames[n] for n in names}


def parameters_text(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Parameters as printable text (lists joined by commas, None as 'not set')."""
    out = {}
    for key, value in parameters.items():
        if value is None:
            out[key] = "not set"
        elif isinstance(value, (list, tuple)):
            out[key] = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        else:
            out[key] = str(value)
    return out

"""GeoJSON in: checked on its bytes first (nesting, top-level type), read by GDAL, ``crs`` members honoured.

The text is transcoded to UTF-8 if needed (:mod:`geo._io_encoding`) and scanned in pieces
(:mod:`geo._jsonscan`) before any parser recurses into it. A file GDAL cannot read gets Python's
precise JSON message. GeoJSON has no CRS (RFC 7946: WGS84 lon/lat) unless a GeoJSON 2008 ``crs``
member says otherwise, at the top or per feature: those GDAL ignores are honoured when they agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyproj

from geo._errors import LayerError
from geo._io_crs import crs_name
from geo._io_encoding import utf8_file
from geo._io_gdal import ogr
from geo._io_messages import fail
from geo._io_sources import Source
from geo._jsonscan import key_values, scan_json
from geo.settings import WGS84

GEOJSON_TYPES = (
    "FeatureCollection",
    "Feature",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
_JSON_DIAGNOSE_BYTES = 64 << 20  # a JSON file GDAL cannot read is parsed by Python's json up to this size


def read_geojson(src: Source) -> gpd.GeoDataFrame:
    label = src.label
    path = utf8_file(src)
    scan = scan_json(label, path)
    expected = "not GeoJSON: expected an object with type FeatureCollection, Feature or a geometry"
    if scan.first != b"{":
        _diagnose_json(label, path)
        got = {b"": "no JSON value", b"[": "an array"}.get(scan.first, "a single value")
        raise fail(label, f"{expected}, got {got}")
    top_type = next(key_values(path, [scan.keys[b"type"][-1][0]]))[0] if scan.keys[b"type"] else None
    if top_type not in GEOJSON_TYPES:
        _diagnose_json(label, path)
        got = f"type {top_type!r}" if isinstance(top_type, str) else "no type member"
        raise fail(label, f"{expected}, got {got}")
    target = path.rename(src.tmp / "layer.geojson")
    try:
        gdf = ogr(src, target)
    except LayerError:
        _diagnose_json(label, target)
        raise
    top_crs = [k for k in scan.keys[b"crs"] if k[1] == 1]
    nested = [k for k in scan.keys[b"crs"] if k[1] > 1]
    if gdf.crs is None and not top_crs:
        gdf = gdf.set_crs(WGS84)  # RFC 7946: GeoJSON is WGS84 lon/lat
    if nested:
        gdf = _feature_crs(src, target, gdf, nested, declared=bool(top_crs))
    return gdf


def _diagnose_json(label: str, path: Path) -> None:
    """Raise Python's precise message for a JSON syntax error (files up to 64 MB; depth already checked)."""
    if path.stat().st_size > _JSON_DIAGNOSE_BYTES:
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            label, f"not parseable: JSON error at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except RecursionError:
        raise fail(label, "JSON nested too deeply; the file is refused") from None


def _feature_crs(
    src: Source, path: Path, gdf: gpd.GeoDataFrame, members: list[tuple[int, int, int]], *, declared: bool
) -> gpd.GeoDataFrame:
    """Honour per-feature ``crs`` members when every feature declares the same CRS as the layer; else refuse.

    GDAL ignores these GeoJSON 2008 members; reading on as if they were absent would place the
    features wrongly without a word. A nested ``crs`` key counts when its value is an object with a
    ``type`` member (the shape of a CRS object); other values are properties of that name.
    """
    label = src.label
    seen: dict[str, tuple[int, pyproj.CRS]] = {}
    parsed: dict[str, tuple[pyproj.CRS, str]] = {}
    features_with: set[int] = set()
    values = key_values(path, [offset for offset, _, _ in members])
    for (_, _, ordinal), (value, text) in zip(members, values, strict=True):
        feature = max(ordinal, 1)
        if not (isinstance(value, dict) and "type" in value):
            continue  # a property or foreign member named crs, not a GeoJSON 2008 CRS object
        if text not in parsed:
            try:
                member = _member_crs(value)
                parsed[text] = (member, member.to_wkt())
            except (ValueError, pyproj.exceptions.CRSError):
                raise fail(
                    label,
                    f"feature {feature}: its crs member names no coordinate reference system pyproj knows",
                ) from None
        crs, wkt = parsed[text]
        seen.setdefault(wkt, (feature, crs))
        features_with.add(feature)
    if not seen:
        return gdf
    if len(seen) > 1:
        listed = ", ".join(f"feature {f}: {crs_name(c)}" for f, c in list(seen.values())[:4])
        raise fail(
            label,
            f"features declare different CRSs in their crs members ({listed}); a layer has one CRS: "
            "reproject the features to one CRS (GeoJSON: WGS84 lon/lat) and remove the crs members",
        )
    feature, crs = next(iter(seen.values()))
    everyone = features_with >= set(range(1, len(gdf) + 1))
    if declared and gdf.crs is not None and not gdf.crs.equals(crs):
        raise fail(
            label,
            f"feature {feature} declares crs {crs_name(crs)} but the file declares {crs_name(gdf.crs)}; "
            "a layer has one CRS: reproject the feature or remove its crs member",
        )
    if not everyone:
        missing = min(set(range(1, len(gdf) + 1)) - features_with)
        if not crs.equals(gdf.crs if gdf.crs is not None else WGS84):
            raise fail(
                label,
                f"feature {feature} declares crs {crs_name(crs)} but feature {missing} declares none (WGS84 "
                "lon/lat by RFC 7946); a layer has one CRS: reproject the features to one CRS and remove "
                "the crs members",
            )
    src.notes.append(
        f"{'every feature declares' if everyone else 'some features declare'} crs {crs_name(crs)} in a "
        "GeoJSON 2008 crs member; the layer was read in that CRS and reprojected to EPSG:4326"
    )
    return gdf.set_crs(crs, allow_override=True)


def _member_crs(value: object) -> pyproj.CRS:
    """The CRS of a GeoJSON 2008 ``crs`` member (``ValueError`` if it names none)."""
    if isinstance(value, dict) and isinstance(value.get("properties"), dict):
        props = value["properties"]
        if value.get("type") == "name" and isinstance(props.get("name"), str):
            return pyproj.CRS.from_user_input(props["name"])
        if value.get("type") == "EPSG" and isinstance(props.get("code"), (int, str)):
            return pyproj.CRS.from_epsg(int(props["code"]))
    raise ValueError("not a named CRS")

"""The layers of a source: listed, described and chosen.

GeoPackage tables, KML/KMZ folders and the Shapefiles of a zip are layers (listed by GDAL); GeoJSON,
CSV and GeoParquet files hold one. :func:`layer_parts` gives each as a :class:`Part` (its name, a reader,
its :class:`LayerInfo`), :func:`choose` the one asked for, or the only one with features, and
refuses to guess with :class:`~geo._errors.LayerChoiceError` when several hold features.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from geo._errors import LayerChoiceError, LayerError
from geo._io_csv import read_csv
from geo._io_encoding import AUTO_ENCODING
from geo._io_gdal import gdal_warnings_logged, ogr
from geo._io_geojson import read_geojson
from geo._io_messages import fail, gdal_problem, quantity
from geo._io_names import safe_layer_name
from geo._io_parquet import read_parquet
from geo._io_sources import Source, check_xml, extract, open_zip, safe_members


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a source, as :func:`geo.io.list_layers` reports it.

    Attributes
    ----------
    name : str
        The layer's name in the source (a GeoPackage table, a KML folder, a Shapefile's name, or the
        file name for single-layer formats): pass it as ``layer=``.
    geometry_type : str
        Geometry type(s), e.g. ``"Point"`` or ``"Point, Polygon"``; ``"None"`` for a table without
        geometry.
    features : int
        Number of features (-1 when the driver cannot tell).
    """

    name: str
    geometry_type: str
    features: int

    def describe(self) -> str:
        """``'mines' (Point, 12 features)``."""
        count = "unknown number of features" if self.features < 0 else quantity(self.features, "feature")
        return f"{self.name!r} ({self.geometry_type}, {count})"


def _ogr_layers(src: Source, path: Path, names: list[str] | None = None) -> list[LayerInfo]:
    """The layers GDAL finds in ``path`` with their geometry types and feature counts."""
    try:
        with gdal_warnings_logged(src.label):
            listed = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
            infos = []
            for (layer, gtype), shown in zip(listed, names or [n for n, _ in listed], strict=True):
                count = int(pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"])
                if gtype == "Unknown" and count > 0:  # KML, GEOMETRY columns: look at the geometries
                    try:
                        geoms = ogr(src, path, layer, columns=[])
                        gtype = ", ".join(sorted(geoms.geometry.dropna().geom_type.unique())) or "None"
                    except LayerError as exc:
                        gtype = "None" if "table without a geometry" in str(exc) else "unreadable geometry"
                infos.append(LayerInfo(shown, "None" if gtype == "Unknown" else gtype, count))
            return infos
    except pyogrio.errors.DataSourceError as exc:
        raise fail(src.label, gdal_problem(exc, tmp=src.tmp, label=src.label, kind="not parseable")) from None
    except pyogrio.errors.DataLayerError as exc:
        raise fail(
            src.label, gdal_problem(exc, tmp=src.tmp, label=src.label, kind="no readable layer")
        ) from None


# ----------------------------------------------------------------------------- layers of a source
@dataclass
class Part:
    """One layer of a source: its name, how to describe it and how to read it."""

    name: str
    read: Callable[[], gpd.GeoDataFrame]
    info: LayerInfo | None = None

    def describe(self) -> LayerInfo:
        if self.info is None:
            gdf = self.read()
            kinds = ", ".join(sorted(gdf.geometry.dropna().geom_type.unique())) or "None"
            self.info = LayerInfo(self.name, kinds, len(gdf))
        return self.info


def layer_parts(src: Source) -> list[Part]:
    """The layers of a staged source (one for single-layer formats)."""
    if src.fmt == "gpkg":
        try:
            with gdal_warnings_logged(src.label):
                pyogrio.list_layers(src.path)
        except pyogrio.errors.DataSourceError:
            raise fail(src.label, "not parseable: not a GeoPackage") from None
        return _gdal_parts(src, src.path)
    if src.fmt == "kml":
        check_xml(src.label, src.path)
        return _gdal_parts(src, src.path.rename(src.tmp / "layer.kml"))
    if src.fmt == "kmz":
        return _kmz_parts(src)
    if src.fmt == "shapefile":
        return _shapefile_parts(src)
    reader = {"geojson": read_geojson, "csv": read_csv, "parquet": read_parquet}[src.fmt]
    cache: dict[str, gpd.GeoDataFrame] = {}

    def read_once() -> gpd.GeoDataFrame:  # describing a single layer reads it: read it once
        if "gdf" not in cache:
            cache["gdf"] = reader(src)
        return cache["gdf"]

    return [Part(src.label, read_once)]


def _gdal_parts(src: Source, path: Path) -> list[Part]:
    infos = _ogr_layers(src, path)
    if not infos:
        raise fail(src.label, "no layers in the file")
    return [Part(i.name, functools.partial(ogr, src, path, i.name), i) for i in infos]


def _kmz_parts(src: Source) -> list[Part]:
    with open_zip(src.label, src.path) as archive:
        members = safe_members(src.label, archive, src.max_bytes)
        kml = [m for m in members if m.filename.lower().endswith(".kml")]
        if not kml:
            raise fail(src.label, "KMZ archive holds no .kml document")
        root = next((m for m in kml if m.filename.lower() == "doc.kml"), kml[0])
        path = extract(src.label, archive, root, src.tmp / "layer.kml")
    check_xml(src.label, path)
    return _gdal_parts(src, path)


def _shapefile_parts(src: Source) -> list[Part]:
    label = src.label
    with open_zip(label, src.path) as archive:
        members = safe_members(label, archive, src.max_bytes)
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if not shps:
            raise fail(label, "zip archive holds no .shp file (expected a zipped Shapefile)")
        stems = [PurePosixPath(m.filename.replace("\\", "/")).stem for m in shps]
        names = [
            stem if stems.count(stem) == 1 else m.filename[:-4] for stem, m in zip(stems, shps, strict=True)
        ]
        paths = []
        for i, shp in enumerate(shps):
            stem = shp.filename[:-4]
            parts = {
                m.filename[len(stem) :].lower(): m
                for m in members
                if m.filename.startswith(stem) and m.filename[len(stem) :].startswith(".")
            }
            shown = PurePosixPath(shp.filename.replace("\\", "/")).name
            for required in (".shx", ".dbf"):
                if required not in parts:
                    raise fail(label, f"Shapefile {shown!r} lacks its {required} part")
            if ".prj" not in parts:
                raise fail(
                    label,
                    f"unknown CRS: Shapefile {shown!r} has no .prj file; add it, or export the layer "
                    "with its CRS",
                )
            for suffix, member in parts.items():
                if re.fullmatch(r"\.[a-z0-9.]{1,12}", suffix):
                    extract(label, archive, member, src.tmp / f"layer{i}{suffix}")
            paths.append(src.tmp / f"layer{i}.shp")
    encoding = None if src.encoding in AUTO_ENCODING else src.encoding
    result = []
    for path, shown in zip(paths, names, strict=True):
        (info,) = _ogr_layers(src, path, [shown])
        result.append(Part(shown, functools.partial(ogr, src, path, None, encoding=encoding), info))
    return result


def choose(src: Source, parts: list[Part], layer: str | None) -> Part:
    """The layer asked for, the only one, or the only one with features; else a LayerChoiceError."""
    if layer is not None:
        if not isinstance(layer, str):
            raise LayerError(f"layer: expected a layer name (text), got {type(layer).__name__}")
        for part in parts:
            if layer in (part.name, safe_layer_name(part.name)):
                return part
        raise fail(src.label, f"no layer {layer!r}; layers: {', '.join(repr(p.name) for p in parts)}")
    if len(parts) == 1:
        return parts[0]
    infos = [p.describe() for p in parts]
    usable = [p for p, i in zip(parts, infos, strict=True) if i.features != 0 and i.geometry_type != "None"]
    if len(usable) == 1:
        return usable[0]
    if not usable:
        return parts[0]
    shown = [p.describe().describe() for p in usable[:20]]
    more = f" and {len(usable) - 20} more" if len(usable) > 20 else ""
    raise LayerChoiceError(
        f"{src.label}: holds {len(usable)} layers with features: {', '.join(shown)}{more}; choose one "
        "or import them all",
        [p.describe() for p in usable],
    )

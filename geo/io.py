"""Reading user layers: GeoJSON, GeoPackage, CSV, KML/KMZ, zipped Shapefile, GeoParquet.

:func:`read_layer` returns a GeoDataFrame in EPSG:4326 with the file's properties, or raises
:class:`LayerError` with one line naming the file, the feature (1-based, or its id) where relevant,
and the problem. Bad files are the normal case: unparseable text, unsupported formats, no features,
no geometry, unknown CRS, coordinates out of range (and the likely lat/lon swap), coordinates that
cannot be in the declared CRS (degrees in a metre CRS, values far outside the CRS's area of use, and
the likely CRS), per-feature ``crs`` members, invalid geometry (repaired with ``make_valid`` and
reported), mixed geometry types (reported), JSON or XML nested too deeply, files over the size
limit, archives with path traversal, too many members or a bomb's compression ratio, XML with a
DTD or entities (KML), text in an unknown encoding and duplicate ids.

Sources with several layers (GeoPackage, KML folders, a zip of several Shapefiles) are listed by
:func:`list_layers`; :func:`read_layer` reads the one chosen with ``layer=`` (and refuses to guess
with :class:`LayerChoiceError` when several hold features), :func:`read_layers` reads them all.

Text (CSV, GeoJSON) is UTF-8 unless a byte-order mark says UTF-16/UTF-32 or the bytes are not UTF-8,
in which case Windows-1252 (or Latin-1) is used and ``attrs["notes"]`` says so; ``encoding=`` forces
an encoding. Large files are read without holding them in Python objects: the upload is copied to
disk, JSON is pre-scanned in chunks, GDAL reads through Arrow and CSV through ``pyarrow.csv``.

Nothing is executed or unpickled; an uploaded file name never becomes a path: bytes are written
under fixed names inside a private temporary folder. Layer names made from file names are safe
(:func:`safe_layer_name`); the original is kept as ``attrs["title"]``.

The work is done by private modules, in the order an import runs: :mod:`geo._io_sources` (staging,
format, archives, XML), :mod:`geo._io_encoding` (text encodings), :mod:`geo._io_layers` (listing and
choosing layers), the readers :mod:`geo._io_gdal` (GeoPackage, GeoJSON, KML, Shapefile),
:mod:`geo._io_geojson`, :mod:`geo._io_csv` and :mod:`geo._io_parquet`, then :mod:`geo._io_checks`
and :mod:`geo._io_crs` (checks after reading), with :mod:`geo._io_names` (layer names) and
:mod:`geo._io_messages` (one-line errors).
"""

from __future__ import annotations

import logging
import os
from typing import BinaryIO

import geopandas as gpd

from geo._errors import LayerChoiceError, LayerError
from geo._io_checks import finish
from geo._io_encoding import TEXT_ENCODINGS
from geo._io_layers import LayerInfo, Part, choose, layer_parts
from geo._io_messages import fail
from geo._io_names import check_layer_name, layer_title, safe_layer_name
from geo._io_sources import FORMATS, Source, import_folder, label_hint, open_source
from geo.settings import MAX_IMPORT_BYTES, MAX_LAYER_NAME_CHARS

__all__ = [
    "FORMATS",
    "TEXT_ENCODINGS",
    "LayerChoiceError",
    "LayerError",
    "LayerInfo",
    "check_layer_name",
    "list_layers",
    "read_layer",
    "read_layers",
    "safe_layer_name",
    "split_by_geometry_type",
]

logger = logging.getLogger(__name__)


def _read_part(src: Source, part: Part, *, swap_xy: bool, several: bool) -> gpd.GeoDataFrame:
    label = f"{src.label}, layer {part.name!r}" if several else src.label
    try:
        gdf = part.read()
    except LayerError as exc:
        if several and str(exc).startswith(f"{src.label}: "):
            raise LayerError(f"{label}: {str(exc)[len(src.label) + 2 :]}") from None
        raise
    gdf = finish(gdf, label, swap_xy=swap_xy)
    title = part.name if several else layer_title(src.label)
    gdf.attrs["name"] = safe_layer_name(title)
    gdf.attrs["title"] = title
    gdf.attrs["source"] = src.label
    gdf.attrs["notes"] = list(src.notes)
    for note in src.notes:
        logger.info("%s: %s", src.label, note)
    logger.info("read %d features from %s (%s)", len(gdf), label, src.fmt)
    return gdf


def read_layer(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    name: str | None = None,
    swap_xy: bool = False,
    encoding: str | None = None,
    layer: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> gpd.GeoDataFrame:
    """Read a user layer into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    source : path, bytes or binary file
        The file. For bytes and file objects, ``name`` gives the file name (its extension picks
        the format).
    name : str, optional, keyword-only
        File name used for the format and in messages; defaults to the path's name. Any text is
        fine: only its last path component is used, and the layer name made from it is safe.
    swap_xy : bool, keyword-only
        Swap the two coordinates of every vertex (for files with lat/lon in the wrong order).
    encoding : str, optional, keyword-only
        Text encoding of GeoJSON and CSV files (and of a Shapefile's attributes). ``None`` or
        ``"auto"``: UTF-8, or what a byte-order mark says (UTF-8, UTF-16, UTF-32), or UTF-16
        without one, else Windows-1252 / Latin-1 with a note in ``attrs["notes"]``.
    layer : str, optional, keyword-only
        Layer to read from a source with several (see :func:`list_layers`); its name or
        :func:`safe_layer_name` of it.
    max_bytes : int, keyword-only
        Size limit of the file, and of an archive's uncompressed content.

    Returns
    -------
    geopandas.GeoDataFrame
        With the original properties. ``attrs["name"]`` is a safe layer name made from the file
        (or layer) name and ``attrs["title"]`` the name as given; ``attrs["repairs"]`` lists
        geometries repaired with ``make_valid``; ``attrs["notes"]`` how the file was read (an
        encoding guessed, per-feature CRSs honoured, columns renamed); ``attrs["geometry_types"]``
        counts the geometry types (several types: see :func:`split_by_geometry_type`).

    Raises
    ------
    LayerChoiceError
        The source holds several layers with features and ``layer`` is not given; its ``layers``
        attribute lists them.
    LayerError
        One line naming the file, the feature where relevant, and the problem.
    """
    with import_folder(label_hint(source, name)) as tmp:
        src = open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        parts = layer_parts(src)
        part = choose(src, parts, layer)
        return _read_part(src, part, swap_xy=swap_xy, several=len(parts) > 1)


def read_layers(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    name: str | None = None,
    swap_xy: bool = False,
    encoding: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> dict[str, gpd.GeoDataFrame]:
    """Read every layer with features of a source, keyed by safe layer name (made unique).

    Parameters are those of :func:`read_layer`. Each layer's ``attrs["title"]`` is its name in the
    source. Layers without features or geometry are skipped and named in every layer's
    ``attrs["notes"]``. The first bad layer raises a :class:`LayerError` naming it.
    """
    with import_folder(label_hint(source, name)) as tmp:
        src = open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        parts = layer_parts(src)
        several = len(parts) > 1
        usable = parts
        if several:
            usable = [p for p in parts if p.describe().features != 0 and p.describe().geometry_type != "None"]
            skipped = [p.name for p in parts if p not in usable]
            if skipped:
                src.notes.append(
                    f"skipped layers without features or geometry: {', '.join(map(repr, skipped))}"
                )
            if not usable:
                raise fail(src.label, "no features in any layer")
        result: dict[str, gpd.GeoDataFrame] = {}
        for part in usable:
            gdf = _read_part(src, part, swap_xy=swap_xy, several=several)
            key, k = gdf.attrs["name"], 1
            while key in result:
                k += 1
                key = f"{gdf.attrs['name'][: MAX_LAYER_NAME_CHARS - 4]}_{k}"
            gdf.attrs["name"] = key
            result[key] = gdf
        return result


def list_layers(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    name: str | None = None,
    encoding: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
) -> list[LayerInfo]:
    """The layers of a source: name, geometry type and number of features of each.

    GeoPackage tables, KML/KMZ folders and the Shapefiles of a zip are layers; GeoJSON, CSV and
    GeoParquet files have one (read to describe it). Parameters are those of :func:`read_layer`.

    Raises
    ------
    LayerError
        When the source cannot be opened (same messages as :func:`read_layer`).
    """
    with import_folder(label_hint(source, name)) as tmp:
        src = open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        return [p.describe() for p in layer_parts(src)]


def split_by_geometry_type(gdf: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split a layer of mixed geometry types into points, lines and polygons (Multi* kept with their kind)."""
    kinds = (
        gdf.geometry.geom_type.str.replace("Multi", "", regex=False)
        .map({"Point": "points", "LineString": "lines", "Polygon": "polygons"})
        .fillna("other")
    )
    return {
        kind: gdf[kinds == kind] for kind in ("points", "lines", "polygons", "other") if (kinds == kind).any()
    }

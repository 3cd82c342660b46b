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
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geo._errors import LayerChoiceError, LayerError
from geo._jsonscan import key_values, scan_json
from geo.settings import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_GEOMETRY_DEPTH,
    MAX_IMPORT_BYTES,
    MAX_LAYER_NAME_CHARS,
    MAX_QUOTED_MESSAGE_CHARS,
    MAX_XML_DEPTH,
    WGS84,
)

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

#: File name endings and the format each one means.
FORMATS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".csv": "csv",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "shapefile",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}
LAT_NAMES = ("lat", "latitude", "y")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
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
#: Values of ``encoding=`` that ask for detection.
AUTO_ENCODING = (None, "auto")
#: Text encodings to offer for CSV/GeoJSON uploads (value for ``encoding=`` -> label); any Python
#: codec name works too.
TEXT_ENCODINGS: dict[str, str] = {
    "auto": "Detect (UTF-8, UTF-16/32 by byte-order mark, else Windows-1252)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (Western European)",
    "latin-1": "Latin-1 (ISO-8859-1)",
    "shift_jis": "Shift JIS (Japanese)",
    "gb18030": "GB 18030 (Chinese)",
}
#: Layer names the workspace GeoPackage keeps for itself.
RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
RESERVED_NAMES = ("workspace_index",)

_CHUNK = 1 << 22  # 4 MiB: reads, scans and transcoding go through files in pieces of this size
_JSON_DIAGNOSE_BYTES = 64 << 20  # a JSON file GDAL cannot read is parsed by Python's json up to this size


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a source, as :func:`list_layers` reports it.

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
        count = "unknown number of features" if self.features < 0 else _count(self.features, "feature")
        return f"{self.name!r} ({self.geometry_type}, {count})"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _fail(label: str, problem: str) -> LayerError:
    return LayerError(f"{label}: {problem}")


# ----------------------------------------------------------------------------- names
def _name_chars(text: str) -> str:
    """``text`` NFKC-normalised, without control characters."""
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


def _word_char(c: str) -> bool:
    return unicodedata.category(c)[0] in "LMN" or c in "_-"


def safe_layer_name(text: str) -> str:
    """A layer name safe in the workspace, in messages, file names and URLs, made from any text.

    Parameters
    ----------
    text : str
        A file name (a known format's extension is dropped: ``"(2024) mines.csv"``) or any text.

    Returns
    -------
    str
        Lower-case letters (any script), digits, ``_`` and ``-``, starting with a letter or digit,
        at most :data:`~geo.settings.MAX_LAYER_NAME_CHARS` characters: ``"2024_mines"``,
        ``"<b>x</b>"`` -> ``"b_x_b"``, ``"../../etc/x"`` -> ``"etc_x"``; ``"layer"`` when nothing is
        left. Names the workspace keeps for itself get a ``layer_`` prefix.
    """
    text = _name_chars(text).strip()
    suffix = PurePosixPath(text.replace("\\", "/")).suffix
    if suffix.lower() in FORMATS and len(text) > len(suffix):
        text = text[: -len(suffix)]
    slug = "".join(c if _word_char(c) else "_" for c in text.lower())
    slug = re.sub(r"[_-]*_[_-]*", "_", slug)
    slug = slug.lstrip("_-")[:MAX_LAYER_NAME_CHARS].rstrip("_-")
    if not slug:
        return "layer"
    if slug.startswith(RESERVED_PREFIXES) or slug in RESERVED_NAMES:
        slug = f"layer_{slug}"[:MAX_LAYER_NAME_CHARS].rstrip("_-")
    return slug


def check_layer_name(name: str, *, argument: str = "name") -> str:
    """Check a layer name given by hand (``--name``, a text box) before anything is read or saved.

    Parameters
    ----------
    name : str
        The name. It may hold letters (any script), digits, spaces, ``_``, ``-``, ``.``, ``(`` and
        ``)``, must start with a letter or digit, hold no ``..``, not end with a space, not be one
        the workspace keeps for itself and be at most :data:`~geo.settings.MAX_LAYER_NAME_CHARS`
        characters.
    argument : str, keyword-only
        What to call the name in the message (``"--name"`` in the CLI).

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    LayerError
        ``"--name: '../../etc/x' cannot be a layer name: it starts with '.', not a letter or digit;
        use ..., for example 'etc_x'"`` (the example is :func:`safe_layer_name` of it).
    """
    if not isinstance(name, str):
        msg = f"{argument}: expected a layer name (text), got {type(name).__name__}"
        raise LayerError(msg)
    problem = None
    if not name.strip():
        problem = "is empty"
    elif len(name) > MAX_LAYER_NAME_CHARS:
        problem = f"is {len(name)} characters long, more than {MAX_LAYER_NAME_CHARS}"
    elif unicodedata.category(name[0])[0] not in "LN":
        problem = f"starts with {name[0]!r}, not a letter or digit"
    elif ".." in name:
        problem = "holds '..'"
    elif name != name.rstrip():
        problem = "ends with a space"
    elif name.lower().startswith(RESERVED_PREFIXES) or name.lower() in RESERVED_NAMES:
        problem = "is reserved by the workspace"
    else:
        bad = next((c for c in name if not (_word_char(c) or c in " .()")), None)
        if bad is not None:
            problem = f"holds {bad!r}"
    if problem:
        msg = (
            f"{argument}: {name!r} cannot be a layer name: it {problem}; use letters, digits, spaces, "
            f"'_', '-', '.', '(' and ')', starting with a letter or digit, for example {safe_layer_name(name)!r}"
        )
        raise LayerError(msg)
    return name


def _clean_label(label: str) -> str:
    """The file name shown in messages: no folders, no control characters, bounded length."""
    text = re.split(r"[\\/]", str(label))[-1] or str(label)
    text = "".join(c if unicodedata.category(c)[0] != "C" else "?" for c in text)
    return text if len(text) <= 120 else text[:100] + "…" + text[-19:]


def _title(label: str) -> str:
    suffix = PurePosixPath(label).suffix
    return label[: -len(suffix)] if suffix.lower() in FORMATS and len(label) > len(suffix) else label


# ----------------------------------------------------------------------------- messages
def _brief(text: object, *, tmp: Path | None = None, label: str = "") -> str:
    """A library's message in whole sentences and at most ``MAX_QUOTED_MESSAGE_CHARS`` characters.

    Temporary paths become the file's name; runs of whitespace one space; sentences are kept while
    they fit; a single sentence longer than the limit loses its long tokens (coordinate lists, dumps)
    and is then shortened at a clause boundary, marked with ``[…]``.
    """
    message = " ".join(str(text).split())
    if tmp is not None:
        message = re.sub(re.escape(str(tmp)) + r"/[^\s'\":;,)]*", label or "the file", message)
    limit = MAX_QUOTED_MESSAGE_CHARS
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+", message) if s]
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept.rstrip(";").rstrip()
    first = re.sub(r"\S{41,}", "[…]", sentences[0] if sentences else message)
    if len(first) <= limit:
        return first
    cut = first[:limit]
    for stop in (". ", "; ", ": ", ", ", " "):
        pos = cut.rfind(stop)
        if pos > limit // 3:
            return cut[:pos].rstrip() + " […]"
    return cut.rstrip() + " […]"


def _gdal_problem(exc: Exception, *, tmp: Path, label: str, kind: str) -> str:
    """GDAL's message about a file, in words a user can act on: ``kind (GDAL's sentences)`` or ours."""
    raw = " ".join(str(exc).split())
    too_big = re.search(r"At line (\d+), character (\d+): GeoJSON object too complex/large", raw)
    if too_big:
        return (
            f"a feature (near line {too_big.group(1)}, character {int(too_big.group(2)):,}) is too large for "
            "the GeoJSON reader, which keeps one feature under 200 MB of memory: simplify or split its "
            "geometry, or send the layer as GeoPackage or GeoParquet"
        )
    if "not recognized as being in a supported file format" in raw:
        return f"{kind}: GDAL does not recognise the content as this format"
    raw = re.sub(r"; It might help to specify the correct driver.*$", "", raw)
    return f"{kind} ({_brief(raw, tmp=tmp, label=label)})"


# ----------------------------------------------------------------------------- bytes in
@dataclass
class _Source:
    """An import's staged file and what is known about it."""

    label: str
    fmt: str
    path: Path
    tmp: Path
    encoding: str | None
    max_bytes: int
    notes: list[str] = field(default_factory=list)


def _stage(
    source: str | os.PathLike[str] | bytes | BinaryIO, name: str | None, max_bytes: int, tmp: Path
) -> tuple[Path, str]:
    """Copy the source to a fixed name in ``tmp`` (in pieces), checking its size; the file's label."""
    target = tmp / "source"
    limit = f"the import limit of {max_bytes / 1e6:.0f} MB"
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = _clean_label(name or "uploaded file")
        size = memoryview(source).nbytes
        if size > max_bytes:
            raise _fail(label, f"file is over {limit}")
        target.write_bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = _clean_label(name or path.name)
        try:
            info = path.stat()
        except OSError as exc:
            raise _fail(str(path), f"cannot open ({exc.strerror})") from exc
        if not stat.S_ISREG(info.st_mode):
            raise _fail(str(path), "is not a regular file")
        if info.st_size > max_bytes:
            raise _fail(label, f"file is {info.st_size / 1e6:.1f} MB, over {limit}")
        try:
            shutil.copyfile(path, target)
        except OSError as exc:
            raise _fail(str(path), f"cannot read ({exc.strerror})") from exc
        size = target.stat().st_size
        if size > max_bytes:
            raise _fail(label, f"file is over {limit}")
    else:
        label = _clean_label(name or getattr(source, "name", None) or "uploaded file")
        size = 0
        with target.open("wb") as out:
            while block := source.read(min(_CHUNK, max_bytes + 1 - size)):
                size += len(block)
                out.write(block)
                if size > max_bytes:
                    raise _fail(label, f"file is over {limit}")
    if size == 0:
        raise _fail(label, "file is empty")
    return target, label


def _detect_format(label: str, path: Path) -> str:
    suffix = PurePosixPath(label).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3"):
        return "gpkg"
    if head.startswith(b"PAR1"):
        return "parquet"
    known = ", ".join(sorted(FORMATS))
    raise _fail(label, f"unsupported format {suffix or '(no file extension)'!r}; expected one of {known}")


def _open_source(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    name: str | None,
    encoding: str | None,
    max_bytes: int,
    tmp: Path,
) -> _Source:
    path, label = _stage(source, name, max_bytes, tmp)
    return _Source(label, _detect_format(label, path), path, tmp, encoding, max_bytes)


# ----------------------------------------------------------------------------- text encodings
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with a byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _first_undecodable(path: Path, codec: str) -> tuple[int, int] | None:
    """Offset and value of the first byte ``codec`` cannot decode (the file read in pieces), or None."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            pending = decoder.getstate()[0] if hasattr(decoder, "getstate") else b""
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                start = offset - len(pending) + exc.start
                data = exc.object if isinstance(exc.object, bytes) else b""
                value = data[exc.start] if exc.start < len(data) else 0
                return max(start, 0), value
            if not block:
                return None
            offset += len(block)


def _choose_encoding(src: _Source) -> str:
    """The codec of the staged text; a note in ``src.notes`` when it was not plain UTF-8."""
    label, path = src.label, src.path
    with path.open("rb") as fh:
        head = fh.read(4096)
    if src.encoding not in AUTO_ENCODING:
        try:
            codec = codecs.lookup(str(src.encoding)).name
        except LookupError:
            raise _fail(label, f"unknown text encoding {src.encoding!r}") from None
        if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        bad = _first_undecodable(path, codec)
        if bad is not None:
            raise _fail(
                label,
                f"text is not valid {str(src.encoding).upper()} (byte 0x{bad[1]:02x} at offset {bad[0]}); "
                "save it as UTF-8 or pass the encoding",
            )
        return codec
    for bom, codec, what in _BOMS:
        if head.startswith(bom):
            bad = _first_undecodable(path, codec)
            if bad is not None:
                raise _fail(
                    label,
                    f"text starts with a {what} byte-order mark but is not valid {what} "
                    f"(byte 0x{bad[1]:02x} at offset {bad[0]}); save it as UTF-8",
                )
            if codec != "utf-8-sig":
                src.notes.append(f"text is {what} (byte-order mark); read as such")
            return codec
    sample = head[: len(head) // 2 * 2]
    if len(sample) >= 8:
        even_nul = sample[0::2].count(0) / (len(sample) // 2)
        odd_nul = sample[1::2].count(0) / (len(sample) // 2)
        guess = "utf-16-le" if odd_nul > 0.3 and even_nul < 0.05 else None
        guess = "utf-16-be" if even_nul > 0.3 and odd_nul < 0.05 else guess
        if guess and _first_undecodable(path, guess) is None:
            src.notes.append(f"text is {guess.upper()} without a byte-order mark; read as such")
            return guess
    bad = _first_undecodable(path, "utf-8")
    if bad is None:
        return "utf-8"
    fallback = "cp1252" if _first_undecodable(path, "cp1252") is None else "latin-1"
    what = "Windows-1252 (cp1252)" if fallback == "cp1252" else "Latin-1 (ISO-8859-1)"
    src.notes.append(
        f"text is not UTF-8 (byte 0x{bad[1]:02x} at offset {bad[0]}); read as {what}: check accented "
        "letters, or import again with the right encoding"
    )
    logger.info("%s: %s", label, src.notes[-1])
    return fallback


def _utf8_file(src: _Source) -> Path:
    """The staged text as UTF-8 without a byte-order mark: the staged file itself, or a transcoded copy."""
    codec = _choose_encoding(src)
    if codec == "utf-8":
        return src.path
    target = src.tmp / "text-utf8"
    decoder = codecs.getincrementaldecoder(codec)()
    first = True
    with src.path.open("rb") as fh, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            block = fh.read(_CHUNK)
            text = decoder.decode(block, final=not block)
            out.write(text.lstrip("\ufeff") if first else text)
            first = first and not text
            if not block:
                break
    return target


# ----------------------------------------------------------------------------- GeoJSON CRS members
def _member_crs(value: object) -> pyproj.CRS:
    """The CRS of a GeoJSON 2008 ``crs`` member (``ValueError`` if it names none)."""
    if isinstance(value, dict) and isinstance(value.get("properties"), dict):
        props = value["properties"]
        if value.get("type") == "name" and isinstance(props.get("name"), str):
            return pyproj.CRS.from_user_input(props["name"])
        if value.get("type") == "EPSG" and isinstance(props.get("code"), (int, str)):
            return pyproj.CRS.from_epsg(int(props["code"]))
    raise ValueError("not a named CRS")


def _crs_name(crs: pyproj.CRS) -> str:
    code = crs.to_authority(min_confidence=70)
    return f"{code[0]}:{code[1]} ({crs.name})" if code else crs.name


# ----------------------------------------------------------------------------- geometry nesting
def _wkt_depth(text: str) -> int:
    """Deepest nesting of parentheses in a WKT string."""
    arr = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)
    steps = (arr == ord("(")).astype(np.int64) - (arr == ord(")"))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _check_wkt_depth(label: str, column: str, values: object) -> None:
    """Refuse WKT nested deeper than :data:`MAX_GEOMETRY_DEPTH` before GEOS parses it (recursively)."""
    import pyarrow.compute as pc

    counts = pc.count_substring(values, "(").to_numpy(zero_copy_only=False)
    for row in np.flatnonzero(counts > MAX_GEOMETRY_DEPTH):
        if _wkt_depth(values[int(row)].as_py()) > MAX_GEOMETRY_DEPTH:
            raise _fail(
                label,
                f"feature {row + 1} (line {row + 2}): column {column!r} holds WKT nested more than "
                f"{MAX_GEOMETRY_DEPTH} levels deep (collections within collections); the file is refused",
            )


def _check_wkb_depth(label: str, column: object) -> None:
    """Refuse WKB collections nested deeper than :data:`MAX_GEOMETRY_DEPTH` before GEOS parses them."""
    import pyarrow as pa

    from geo._wkb import wkb_depths

    row0 = 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if pa.types.is_binary(chunk.type) or pa.types.is_large_binary(chunk.type):
            _, offsets_buf, data_buf = chunk.buffers()
            kind = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
            offsets = np.frombuffer(offsets_buf, dtype=kind)[chunk.offset : chunk.offset + len(chunk) + 1]
            data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
            depths = wkb_depths(data, offsets.astype(np.int64), MAX_GEOMETRY_DEPTH)
            deep = np.flatnonzero(depths > MAX_GEOMETRY_DEPTH)
            if deep.size:
                raise _fail(
                    label,
                    f"feature {row0 + int(deep[0]) + 1}: geometry nested more than {MAX_GEOMETRY_DEPTH} levels "
                    "deep (collections within collections); the file is refused",
                )
        row0 += len(chunk)


# ----------------------------------------------------------------------------- archives and XML
def _safe_members(label: str, archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise _fail(
            label, f"archive holds {len(members)} members, more than the {MAX_ARCHIVE_MEMBERS} allowed"
        )
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise _fail(
                label, f"archive member {info.filename!r} points outside the archive (path traversal)"
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _fail(label, f"archive member {info.filename!r} is a symbolic link")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise _fail(
                label,
                f"archive member {info.filename!r} expands {info.file_size / info.compress_size:.0f}-fold, a decompression bomb",
            )
    if total > max_bytes:
        raise _fail(
            label,
            f"archive expands to {total / 1e6:.1f} MB, over the import limit of {max_bytes / 1e6:.0f} MB",
        )
    return [m for m in members if not m.is_dir()]


@contextlib.contextmanager
def _open_zip(label: str, path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _fail(label, "not parseable: not a valid zip archive") from None
    with archive:
        yield archive


def _extract(label: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> Path:
    """Copy one member to ``target`` in pieces (a corrupt member is a :class:`LayerError`)."""
    try:
        with archive.open(member) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _fail(label, f"archive member {member.filename!r} cannot be read ({_brief(exc)})") from None
    return target


def _check_xml(label: str, path: Path) -> None:
    """Refuse XML with a DTD or entities, XML that does not parse, and elements nested too deeply."""
    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    depth = 0
    try:
        for event, elem in safe_et.iterparse(
            str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                depth += 1
                if depth > MAX_XML_DEPTH:
                    raise _fail(
                        label,
                        f"XML nested more than {MAX_XML_DEPTH} elements deep (folders within folders); "
                        "the file is refused",
                    )
            else:
                depth -= 1
                elem.clear()
    except DefusedXmlException:
        raise _fail(
            label, "XML with a DTD or entity declarations is refused (external entities or entity expansion)"
        ) from None
    except safe_et.ParseError as exc:
        raise _fail(label, f"not parseable: XML error {exc}") from None


# ----------------------------------------------------------------------------- GDAL
@contextlib.contextmanager
def _gdal_warnings_logged(label: str) -> Iterator[None]:
    """GDAL's warnings about a bad file go to the log; the error that follows names the problem."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        logger.debug("%s: GDAL: %s", label, warning.message)


def _arrow_frame(src: _Source, meta: dict, table: object) -> gpd.GeoDataFrame:
    """A GeoDataFrame from pyogrio's Arrow table, checking the WKB's nesting before GEOS parses it.

    Dates and times become ISO 8601 text (as with ``datetime_as_string``) and JSON fields are
    parsed as pyogrio does.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    name = meta["geometry_name"] or "wkb_geometry"
    if name not in table.column_names:
        raise _fail(src.label, "no geometry: the layer is a table without a geometry column")
    wkb = table[name]
    _check_wkb_depth(src.label, wkb)
    props = table.drop_columns([name])
    for i, column in enumerate(props.column_names):
        kind = props.schema.field(i).type
        if pa.types.is_date(kind) or pa.types.is_time(kind) or pa.types.is_timestamp(kind):
            props = props.set_column(i, column, pc.cast(props[column], pa.string()))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:  # GDAL passes attributes in an undeclared 8-bit encoding through as they are
                props[column].validate(full=True)
            except pa.ArrowInvalid:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, f"column {column!r} is not UTF-8") from None
    frame = props.to_pandas()
    for subtype, column in zip(meta["ogr_subtypes"], meta["fields"], strict=False):
        if subtype == "OFSTJSON" and column in frame.columns:
            values = frame[column].map(lambda v: v if isinstance(v, str) else None)
            try:
                frame[column] = values.map(json.loads, na_action="ignore")
            except (ValueError, RecursionError):
                frame[column] = values
    geometry = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"] or None)


def _ogr(
    src: _Source, path: Path, layer: str | None = None, *, columns: list[str] | None = None, **options: object
) -> gpd.GeoDataFrame:
    """One layer read by GDAL through Arrow; attributes that are not UTF-8 and declare no encoding as cp1252."""
    label = src.label
    try:
        with _gdal_warnings_logged(label):
            try:
                meta, table = pyogrio.read_arrow(
                    path, layer=layer, columns=columns, datetime_as_string=True, **options
                )
                return _arrow_frame(src, meta, table)
            except UnicodeDecodeError:  # attributes that are not UTF-8: in the encoding given, else cp1252
                explicit = src.encoding not in AUTO_ENCODING
                encoding = str(src.encoding) if explicit else "cp1252"
                if codecs.lookup(encoding).name == "utf-8":
                    raise
                if not explicit:
                    src.notes.append(
                        "attributes are not UTF-8 and the file declares no encoding; read as Windows-1252 "
                        "(cp1252): check accented letters, or import again with the right encoding"
                    )
                try:  # GDAL recodes a Shapefile's attributes
                    meta, table = pyogrio.read_arrow(
                        path, layer=layer, columns=columns, datetime_as_string=True, encoding=encoding
                    )
                    return _arrow_frame(src, meta, table)
                except (ValueError, UnicodeDecodeError):  # other drivers: pyogrio decodes them
                    frame = pyogrio.read_dataframe(
                        path, layer=layer, columns=columns, read_geometry=False, encoding=encoding
                    )
                    meta, table = pyogrio.read_arrow(path, layer=layer, columns=[])
                    shapes = _arrow_frame(src, meta, table)
                    return gpd.GeoDataFrame(frame, geometry=shapes.geometry.values, crs=shapes.crs)
    except UnicodeDecodeError as exc:
        given = "Windows-1252" if src.encoding in AUTO_ENCODING else str(src.encoding).upper()
        raise _fail(
            label,
            f"attributes are not valid text in {given} ({exc.reason}); import again with the right encoding",
        ) from None
    except pyogrio.errors.DataSourceError as exc:
        raise _fail(label, _gdal_problem(exc, tmp=src.tmp, label=label, kind="not parseable")) from None
    except pyogrio.errors.DataLayerError as exc:
        raise _fail(label, _gdal_problem(exc, tmp=src.tmp, label=label, kind="no readable layer")) from None


def _ogr_layers(src: _Source, path: Path, names: list[str] | None = None) -> list[LayerInfo]:
    """The layers GDAL finds in ``path`` with their geometry types and feature counts."""
    try:
        with _gdal_warnings_logged(src.label):
            listed = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
            infos = []
            for (layer, gtype), shown in zip(listed, names or [n for n, _ in listed], strict=True):
                count = int(pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"])
                if gtype == "Unknown" and count > 0:  # KML, GEOMETRY columns: look at the geometries
                    try:
                        geoms = _ogr(src, path, layer, columns=[])
                        gtype = ", ".join(sorted(geoms.geometry.dropna().geom_type.unique())) or "None"
                    except LayerError as exc:
                        gtype = "None" if "table without a geometry" in str(exc) else "unreadable geometry"
                infos.append(LayerInfo(shown, "None" if gtype == "Unknown" else gtype, count))
            return infos
    except pyogrio.errors.DataSourceError as exc:
        raise _fail(
            src.label, _gdal_problem(exc, tmp=src.tmp, label=src.label, kind="not parseable")
        ) from None
    except pyogrio.errors.DataLayerError as exc:
        raise _fail(
            src.label, _gdal_problem(exc, tmp=src.tmp, label=src.label, kind="no readable layer")
        ) from None


# ----------------------------------------------------------------------------- layers of a source
@dataclass
class _Part:
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


def _parts(src: _Source) -> list[_Part]:
    """The layers of a staged source (one for single-layer formats)."""
    if src.fmt == "gpkg":
        try:
            with _gdal_warnings_logged(src.label):
                pyogrio.list_layers(src.path)
        except pyogrio.errors.DataSourceError:
            raise _fail(src.label, "not parseable: not a GeoPackage") from None
        return _gdal_parts(src, src.path)
    if src.fmt == "kml":
        _check_xml(src.label, src.path)
        return _gdal_parts(src, src.path.rename(src.tmp / "layer.kml"))
    if src.fmt == "kmz":
        return _kmz_parts(src)
    if src.fmt == "shapefile":
        return _shapefile_parts(src)
    reader = {"geojson": _read_geojson, "csv": _read_csv, "parquet": _read_parquet}[src.fmt]
    cache: dict[str, gpd.GeoDataFrame] = {}

    def read_once() -> gpd.GeoDataFrame:  # describing a single layer reads it: read it once
        if "gdf" not in cache:
            cache["gdf"] = reader(src)
        return cache["gdf"]

    return [_Part(src.label, read_once)]


def _gdal_parts(src: _Source, path: Path) -> list[_Part]:
    infos = _ogr_layers(src, path)
    if not infos:
        raise _fail(src.label, "no layers in the file")
    return [_Part(i.name, lambda n=i.name: _ogr(src, path, n), i) for i in infos]


def _kmz_parts(src: _Source) -> list[_Part]:
    with _open_zip(src.label, src.path) as archive:
        members = _safe_members(src.label, archive, src.max_bytes)
        kml = [m for m in members if m.filename.lower().endswith(".kml")]
        if not kml:
            raise _fail(src.label, "KMZ archive holds no .kml document")
        root = next((m for m in kml if m.filename.lower() == "doc.kml"), kml[0])
        path = _extract(src.label, archive, root, src.tmp / "layer.kml")
    _check_xml(src.label, path)
    return _gdal_parts(src, path)


def _shapefile_parts(src: _Source) -> list[_Part]:
    label = src.label
    with _open_zip(label, src.path) as archive:
        members = _safe_members(label, archive, src.max_bytes)
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if not shps:
            raise _fail(label, "zip archive holds no .shp file (expected a zipped Shapefile)")
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
                    raise _fail(label, f"Shapefile {shown!r} lacks its {required} part")
            if ".prj" not in parts:
                raise _fail(
                    label,
                    f"unknown CRS: Shapefile {shown!r} has no .prj file; add it, or export the layer with its CRS",
                )
            for suffix, member in parts.items():
                if re.fullmatch(r"\.[a-z0-9.]{1,12}", suffix):
                    _extract(label, archive, member, src.tmp / f"layer{i}{suffix}")
            paths.append(src.tmp / f"layer{i}.shp")
    options = {} if src.encoding in AUTO_ENCODING else {"encoding": src.encoding}
    result = []
    for path, shown in zip(paths, names, strict=True):
        (info,) = _ogr_layers(src, path, [shown])
        result.append(_Part(shown, lambda p=path: _ogr(src, p, None, **options), info))
    return result


def _choose(src: _Source, parts: list[_Part], layer: str | None) -> _Part:
    """The layer asked for, the only one, or the only one with features; else a LayerChoiceError."""
    if layer is not None:
        if not isinstance(layer, str):
            raise LayerError(f"layer: expected a layer name (text), got {type(layer).__name__}")
        for part in parts:
            if layer in (part.name, safe_layer_name(part.name)):
                return part
        raise _fail(src.label, f"no layer {layer!r}; layers: {', '.join(repr(p.name) for p in parts)}")
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


# ----------------------------------------------------------------------------- readers
def _read_geojson(src: _Source) -> gpd.GeoDataFrame:
    label = src.label
    path = _utf8_file(src)
    scan = scan_json(label, path)
    expected = "not GeoJSON: expected an object with type FeatureCollection, Feature or a geometry"
    if scan.first != b"{":
        _diagnose_json(label, path)
        got = {b"": "no JSON value", b"[": "an array"}.get(scan.first, "a single value")
        raise _fail(label, f"{expected}, got {got}")
    top_type = next(key_values(path, [scan.keys[b"type"][-1][0]]))[0] if scan.keys[b"type"] else None
    if top_type not in GEOJSON_TYPES:
        _diagnose_json(label, path)
        got = f"type {top_type!r}" if isinstance(top_type, str) else "no type member"
        raise _fail(label, f"{expected}, got {got}")
    target = path.rename(src.tmp / "layer.geojson")
    try:
        gdf = _ogr(src, target)
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
        raise _fail(
            label, f"not parseable: JSON error at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except RecursionError:
        raise _fail(label, "JSON nested too deeply; the file is refused") from None


def _feature_crs(
    src: _Source, path: Path, gdf: gpd.GeoDataFrame, members: list[tuple[int, int, int]], *, declared: bool
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
                raise _fail(
                    label,
                    f"feature {feature}: its crs member names no coordinate reference system pyproj knows",
                ) from None
        crs, wkt = parsed[text]
        seen.setdefault(wkt, (feature, crs))
        features_with.add(feature)
    if not seen:
        return gdf
    if len(seen) > 1:
        listed = ", ".join(f"feature {f}: {_crs_name(c)}" for f, c in list(seen.values())[:4])
        raise _fail(
            label,
            f"features declare different CRSs in their crs members ({listed}); a layer has one CRS: "
            "reproject the features to one CRS (GeoJSON: WGS84 lon/lat) and remove the crs members",
        )
    feature, crs = next(iter(seen.values()))
    everyone = features_with >= set(range(1, len(gdf) + 1))
    if declared and gdf.crs is not None and not gdf.crs.equals(crs):
        raise _fail(
            label,
            f"feature {feature} declares crs {_crs_name(crs)} but the file declares {_crs_name(gdf.crs)}; "
            "a layer has one CRS: reproject the feature or remove its crs member",
        )
    if not everyone:
        missing = min(set(range(1, len(gdf) + 1)) - features_with)
        if not crs.equals(gdf.crs if gdf.crs is not None else WGS84):
            raise _fail(
                label,
                f"feature {feature} declares crs {_crs_name(crs)} but feature {missing} declares none (WGS84 "
                "lon/lat by RFC 7946); a layer has one CRS: reproject the features to one CRS and remove "
                "the crs members",
            )
    src.notes.append(
        f"{'every feature declares' if everyone else 'some features declare'} crs {_crs_name(crs)} in a "
        "GeoJSON 2008 crs member; the layer was read in that CRS and reprojected to EPSG:4326"
    )
    return gdf.set_crs(crs, allow_override=True)


def _find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _csv_dialect(src: _Source, path: Path) -> tuple[str, list[str]]:
    """The separator (a comma, else ``;`` or a tab when the header holds no comma) and the header's names."""
    with path.open(encoding="utf-8", newline="") as fh:
        first = fh.readline(1 << 20)
        fh.seek(0)
        delimiter = ","
        if "," not in first:
            delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
        try:
            header = next(csv.reader(fh, delimiter=delimiter), None)
        except csv.Error as exc:
            raise _fail(src.label, f"not parseable as CSV ({_brief(exc)})") from None
    if not header or not any(h.strip() for h in header):
        raise _fail(src.label, "not parseable as CSV (no header row)")
    if delimiter != ",":
        src.notes.append(f"columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}")
    return delimiter, header


def _ragged_row(label: str, path: Path, width: int, delimiter: str) -> LayerError | None:
    """The first record whose number of fields differs from the header's, as a message."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for record in reader:
                if record and len(record) != width:
                    return _fail(
                        label,
                        f"not parseable as CSV: line {reader.line_num} has {len(record)} fields, "
                        f"the header {width}",
                    )
        except csv.Error as exc:
            return _fail(label, f"not parseable as CSV (line {reader.line_num}: {_brief(exc)})")
    return None


def _unique_columns(src: _Source, header: list[str]) -> list[str]:
    """Header names made unique as pandas does (``name``, ``name.1``); empty ones ``Unnamed: i``."""
    names: list[str] = []
    for i, raw in enumerate(header):
        name = raw if raw.strip() else f"Unnamed: {i}"
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        if name != raw and raw.strip():
            src.notes.append(f"column {raw!r} appears more than once; this one is named {name!r}")
        names.append(name)
    return names


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _read_csv(src: _Source) -> gpd.GeoDataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    label = src.label
    path = _utf8_file(src)
    delimiter, header = _csv_dialect(src, path)
    width = len(header)
    generated = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=generated, block_size=_CHUNK),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={g: pa.string() for g in generated},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _ragged_row(label, path, width, delimiter) or _fail(
            label, f"not parseable as CSV ({_brief(exc)})"
        ) from None
    table = table.slice(1)  # the header row
    if table.num_rows == 0:
        raise _fail(label, "no features (no data rows)")
    columns = _unique_columns(src, header)
    table = table.rename_columns(columns)
    lat_col, lon_col = _find_column(columns, LAT_NAMES), _find_column(columns, LON_NAMES)
    wkt_col = _find_column(columns, WKT_NAMES)
    if lat_col and lon_col:
        coords = {}
        for col in (lon_col, lat_col):
            text = pc.replace_substring(pc.utf8_trim_whitespace(table[col]), ",", ".")
            try:
                coords[col] = pc.cast(text, pa.float64()).to_numpy()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                numbers = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce")
                row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
                raise _fail(
                    label,
                    f"feature {row + 1} (line {row + 2}): {col} {table[col][row].as_py()!r} is not a number",
                ) from None
        props = table = table.drop_columns([lat_col, lon_col])  # their text can go before the points come
        geometry = gpd.points_from_xy(coords.pop(lon_col), coords.pop(lat_col))
    elif wkt_col:
        _check_wkt_depth(label, wkt_col, table[wkt_col])
        text = table[wkt_col].to_numpy(zero_copy_only=False)
        text = np.where(text == "", None, text)
        try:
            geometry = shapely.from_wkt(text, on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise _fail(label, f"column {wkt_col!r} holds text that is not WKT ({_brief(exc)})") from None
        props = table.drop_columns([wkt_col])
    else:
        raise _fail(
            label,
            f"no geometry: expected lat/lon columns (one of {', '.join(LAT_NAMES)} and one of {', '.join(LON_NAMES)}) or a WKT column ({', '.join(WKT_NAMES)})",
        )
    frame = pd.DataFrame(
        {name: _infer(props[name]) for name in props.column_names}, index=pd.RangeIndex(table.num_rows)
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def _infer(column: object) -> pd.Series:
    """Numbers stay numbers when every non-empty cell is one (and none has a leading zero); else text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = column.to_pandas()
    head = pc.utf8_trim_whitespace(column.slice(0, 1000))
    head = head.filter(pc.not_equal(head, ""))
    if len(head) and not pc.all(pc.match_substring_regex(head, _NUMBER)).as_py():
        return text  # text in the first rows already: no pass over the whole column
    stripped = pc.utf8_trim_whitespace(column)
    filled = pc.not_equal(stripped, "")
    if not pc.any(filled).as_py():
        return text
    numeric = pc.match_substring_regex(stripped, _NUMBER)
    if not pc.all(pc.or_(numeric, pc.invert(filled))).as_py():
        return text
    if pc.any(pc.and_(filled, pc.match_substring_regex(stripped, r"^[+-]?0\d"))).as_py():
        return text
    nulled = pc.if_else(filled, stripped, pa.scalar(None, pa.string()))
    integral = pc.all(pc.or_(pc.match_substring_regex(stripped, r"^[+-]?\d+$"), pc.invert(filled))).as_py()
    for kind in (pa.int64(), pa.float64()) if integral else (pa.float64(),):
        try:
            return pc.cast(nulled, kind).to_pandas()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return text


def _read_parquet(src: _Source) -> gpd.GeoDataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    label = src.label
    try:
        metadata = pq.read_schema(src.path).metadata or {}
        geo = json.loads(metadata.get(b"geo", b"{}"))
        columns = geo.get("columns", {}) if isinstance(geo, dict) else {}
        for column, spec in columns.items() if isinstance(columns, dict) else []:
            if not isinstance(spec, dict) or str(spec.get("encoding", "WKB")).upper() == "WKB":
                table = pq.read_table(src.path, columns=[column])
                _check_wkb_depth(label, table[column])
                del table
        gdf = gpd.read_parquet(src.path)
        for column in gdf.columns:
            if column != gdf.geometry.name and isinstance(gdf[column].dtype, pd.StringDtype):
                try:  # Parquet does not check that its text is UTF-8; a bad value fails on first use
                    pa.array(gdf[column].array).validate(full=True)
                except pa.ArrowInvalid:
                    raise _fail(label, f"column {column!r} holds text that is not UTF-8") from None
        return gdf
    except LayerError:
        raise
    except ValueError as exc:
        if "geo" in str(exc).lower() and "metadata" in str(exc).lower():
            raise _fail(label, "no geometry: a Parquet file without GeoParquet metadata") from None
        raise _fail(label, f"not parseable as GeoParquet ({_brief(exc)})") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many unrelated types for corrupt files
        if type(exc).__module__.startswith(("pyarrow", "shapely", "pyproj", "json")) or isinstance(
            exc, (KeyError, TypeError, OSError, UnicodeError)
        ):
            raise _fail(label, f"not parseable as GeoParquet ({_brief(exc)})") from None
        raise


# ----------------------------------------------------------------------------- checks after reading
def _feature(gdf: gpd.GeoDataFrame, pos: int) -> str:
    """A feature as users count: its id when it has one, else its 1-based number."""
    value = gdf["id"].iloc[pos] if "id" in gdf.columns else None
    if isinstance(value, (str, int, np.integer)) and str(value):
        return f"feature {str(value)!r}"
    return f"feature {pos + 1}"


def _fits(coords: np.ndarray, crs: str) -> bool:
    """Whether the coordinates, read in ``crs``, are finite lon/lat on Earth (a sample of 1,000)."""
    sample = coords[:: max(1, len(coords) // 1000)]
    transformer = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = transformer.transform(sample[:, 0], sample[:, 1], errcheck=False)
    return bool(np.isfinite(lon).all() and np.isfinite(lat).all() and (np.abs(lon) <= 180).all())


def _check_declared_crs(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Refuse coordinates that cannot be in the layer's projected CRS, naming the likely CRS.

    Two signs: every vertex within +/-180, +/-90 (degrees, not metres or feet: the layer would fit
    in a few hundred metres at the projection's origin), or vertices far outside the CRS's area of
    use (beyond its own width or height from it). Geographic CRSs are checked after reprojection
    (coordinates out of range).
    """
    crs = gdf.crs
    if crs is None or not crs.is_projected:
        return
    geoms = np.asarray(gdf.geometry.values)
    coords = shapely.get_coordinates(geoms)
    owner = np.repeat(np.arange(len(gdf)), shapely.get_num_coordinates(geoms))
    finite = np.isfinite(coords).all(axis=1)
    if not finite.any():
        return
    coords, owner = coords[finite], owner[finite]
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    unit = {"metre": "metres", "foot": "feet", "US survey foot": "US survey feet"}.get(unit, f"{unit} units")
    if (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all():
        x, y = coords[0]
        raise _fail(
            label,
            f"coordinates look like longitude/latitude degrees (first vertex {x:g}, {y:g}), not {unit} of the "
            f"declared CRS {_crs_name(crs)}, in which the whole layer would lie within a few hundred {unit} of "
            "the projection's origin; the CRS is likely EPSG:4326 (WGS84 lon/lat): declare it (a GeoJSON file: "
            "remove its crs member) or reproject the layer",
        )
    area = crs.area_of_use
    if area is None:
        return
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    try:
        xmin, ymin, xmax, ymax = transformer.transform_bounds(
            area.west, area.south, area.east, area.north, densify_pts=21
        )
    except pyproj.exceptions.ProjError:
        return
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    width, height = xmax - xmin, ymax - ymin
    far = (
        (coords[:, 0] < xmin - width)
        | (coords[:, 0] > xmax + width)
        | (coords[:, 1] < ymin - height)
        | (coords[:, 1] > ymax + height)
    )
    if not far.any():
        return
    i = int(np.flatnonzero(far)[0])
    x, y = coords[i]
    likely = [c for c in ("EPSG:3857",) if not crs.equals(c) and _fits(coords, c)]
    hint = f"; they would fit {likely[0]} (Web Mercator)" if likely else ""
    raise _fail(
        label,
        f"{_feature(gdf, int(owner[i]))}: coordinates ({x:g}, {y:g}) lie far outside the area of use of the "
        f"declared CRS {_crs_name(crs)} (lon {area.west:g} to {area.east:g}, lat {area.south:g} to {area.north:g}); "
        f"the declared CRS is likely wrong{hint}",
    )


def _out_of_range_hint(coords: np.ndarray, swap_xy: bool) -> str:
    swapped = (np.abs(coords[:, 1]) <= 180).all() and (np.abs(coords[:, 0]) <= 90).all()
    if swapped and not swap_xy:
        return "; they look like lat/lon swapped: import again with lat/lon swapped (--swap-xy)"
    finite = np.isfinite(coords).all(axis=1)
    if finite.any() and (np.abs(coords[finite]) > 1000).any() and _fits(coords[finite], "EPSG:3857"):
        return (
            "; they look like metres of a projected CRS such as EPSG:3857 (Web Mercator), not degrees: "
            "declare the file's CRS, or reproject it to EPSG:4326"
        )
    return ""


def _duplicate_id(column: pd.Series) -> tuple[str, int] | None:
    """The first id (in file order) that an earlier feature already has, and how many features share ids.

    Features without an id (null or empty) clash with nothing. Ids are compared as text, sorted in
    Arrow (a hash table of millions of strings would take several times the memory).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column
    if values.dtype == object:  # JSON ids can be anything: only text and numbers are ids
        values = values.map(lambda v: str(v) if isinstance(v, (str, int, float, np.number)) else None)
    elif pd.api.types.is_numeric_dtype(values):
        values = (
            values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
        )
    ids = pa.chunked_array([pa.array(values.array, type=pa.string(), from_pandas=True)])
    keep = pc.and_(pc.is_valid(ids), pc.not_equal(ids, ""))
    positions = pc.indices_nonzero(pc.fill_null(keep, False))
    ids = ids.take(positions)
    if len(ids) < 2:
        return None
    order = pc.sort_indices(ids)  # stable: equal ids keep file order
    ranked = ids.take(order)
    same = pc.fill_null(pc.equal(ranked.slice(0, len(ranked) - 1), ranked.slice(1)), False).to_numpy(
        zero_copy_only=False
    )
    if not same.any():
        return None
    order = order.to_numpy()
    second = order[1:][same]  # the later feature of each equal pair
    first = int(second.min())
    shared = np.zeros(len(order), dtype=bool)
    shared[:-1] |= same
    shared[1:] |= same
    return str(ids[first].as_py()), int(shared.sum())


def _finish(gdf: gpd.GeoDataFrame, label: str, *, swap_xy: bool) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        raise _fail(label, "no features")
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise _fail(label, "no geometry: every feature's geometry is empty")
    if missing.any():
        raise _fail(
            label,
            f"{_feature(gdf, int(np.flatnonzero(missing)[0]))}: geometry is missing or empty ({_count(int(missing.sum()), 'feature')})",
        )
    if gdf.crs is None:
        raise _fail(label, "unknown CRS: the file does not say which coordinate reference system it uses")
    if swap_xy:
        gdf = gdf.set_geometry(shapely.transform(geoms, lambda c: c[:, ::-1]), crs=gdf.crs)
    before = np.asarray(gdf.geometry.values)  # for the hint of an error only
    _check_declared_crs(gdf, label)
    if not gdf.crs.equals(WGS84):
        try:
            gdf = gdf.to_crs(WGS84)
        except Exception as exc:  # noqa: BLE001 - pyproj raises its own errors for impossible transforms
            raise _fail(label, f"cannot transform from {gdf.crs} to EPSG:4326 ({_brief(exc)})") from None
    else:
        gdf = gdf.set_crs(WGS84, allow_override=True)
    geoms = np.asarray(gdf.geometry.values)
    coords = shapely.get_coordinates(geoms)
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        owner = np.repeat(np.arange(len(gdf)), shapely.get_num_coordinates(geoms))
        first = int(owner[np.flatnonzero(bad)[0]])
        lon, lat = coords[np.flatnonzero(bad)[0]]
        hint = _out_of_range_hint(shapely.get_coordinates(before), swap_xy)
        raise _fail(
            label,
            f"{_feature(gdf, first)}: coordinates out of range (lon {lon:g}, lat {lat:g}; lon must be within -180..180, lat within -90..90){hint}",
        )
    del before, coords
    invalid = ~shapely.is_valid(geoms)
    repairs = []
    if invalid.any():
        fixed = geoms.copy()
        for pos in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(fixed[pos])
            try:
                fixed[pos] = shapely.make_valid(fixed[pos])
            except shapely.errors.GEOSException as exc:
                raise _fail(
                    label, f"{_feature(gdf, int(pos))}: {reason}, and make_valid failed ({_brief(exc)})"
                ) from None
            repairs.append(f"{_feature(gdf, int(pos))}: {_brief(reason)}, repaired with make_valid")
        gdf = gdf.set_geometry(fixed, crs=WGS84)
        geoms = fixed
    duplicate = _duplicate_id(gdf["id"]) if "id" in gdf.columns else None
    if duplicate:
        raise _fail(
            label, f"feature {duplicate[0]!r}: id is not unique ({duplicate[1]:,} features share ids)"
        )
    type_ids, counts = np.unique(shapely.get_type_id(geoms), return_counts=True)
    names = {int(t): shapely.GeometryType(int(t)).name for t in type_ids}
    pretty = {
        "POINT": "Point",
        "LINESTRING": "LineString",
        "LINEARRING": "LinearRing",
        "POLYGON": "Polygon",
        "MULTIPOINT": "MultiPoint",
        "MULTILINESTRING": "MultiLineString",
        "MULTIPOLYGON": "MultiPolygon",
        "GEOMETRYCOLLECTION": "GeometryCollection",
    }
    gdf.attrs["repairs"] = repairs
    gdf.attrs["geometry_types"] = {
        pretty.get(names[int(t)], names[int(t)]): int(n) for t, n in zip(type_ids, counts, strict=True)
    }
    for repair in repairs:
        logger.info("%s: %s", label, repair)
    return gdf


# ----------------------------------------------------------------------------- public API
@contextlib.contextmanager
def _import(label_hint: str | None) -> Iterator[Path]:
    """A private temporary folder; parsers' stack overflows become a LayerError."""
    with tempfile.TemporaryDirectory(prefix="mineral-atlas-import-") as folder:
        try:
            yield Path(folder)
        except RecursionError:
            raise _fail(
                _clean_label(label_hint or "uploaded file"),
                "data nested too deeply to read; the file is refused",
            ) from None


def _label_hint(source: object, name: str | None) -> str | None:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None)


def _read_part(src: _Source, part: _Part, *, swap_xy: bool, several: bool) -> gpd.GeoDataFrame:
    label = f"{src.label}, layer {part.name!r}" if several else src.label
    try:
        gdf = part.read()
    except LayerError as exc:
        if several and str(exc).startswith(f"{src.label}: "):
            raise LayerError(f"{label}: {str(exc)[len(src.label) + 2 :]}") from None
        raise
    gdf = _finish(gdf, label, swap_xy=swap_xy)
    title = part.name if several else _title(src.label)
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
    with _import(_label_hint(source, name)) as tmp:
        src = _open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        parts = _parts(src)
        part = _choose(src, parts, layer)
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
    with _import(_label_hint(source, name)) as tmp:
        src = _open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        parts = _parts(src)
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
                raise _fail(src.label, "no features in any layer")
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
    with _import(_label_hint(source, name)) as tmp:
        src = _open_source(source, name=name, encoding=encoding, max_bytes=max_bytes, tmp=tmp)
        return [p.describe() for p in _parts(src)]


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

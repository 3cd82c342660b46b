"""Bytes in, safely: an import's source staged in a private folder, its format, archives and XML checked.

An uploaded file name never becomes a path: the bytes (a path's, an upload's or a stream's, copied
in pieces and counted against the size limit) are written under fixed names inside a private
temporary folder (:func:`import_folder`), the format comes from the name's extension or the first
bytes, zip members are refused for path traversal, symbolic links, their number or a bomb's
compression ratio before one is extracted, and XML (KML) with a DTD or entities, or nested too
deeply, is refused before GDAL parses it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TypeAlias

from geo._io_messages import brief, clean_label, fail
from geo.settings import MAX_ARCHIVE_MEMBERS, MAX_COMPRESSION_RATIO, MAX_XML_DEPTH

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
CHUNK = 1 << 22  # 4 MiB: reads, scans and transcoding go through files in pieces of this size

#: What an import reads: a path, the bytes of an upload or a binary file object.
SourceLike: TypeAlias = str | os.PathLike[str] | bytes | BinaryIO


@dataclass
class Source:
    """An import's staged file and what is known about it."""

    label: str
    fmt: str
    path: Path
    tmp: Path
    encoding: str | None
    max_bytes: int
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def import_folder(label_hint: str | None) -> Iterator[Path]:
    """A private temporary folder; parsers' stack overflows become a LayerError."""
    with tempfile.TemporaryDirectory(prefix="mineral-atlas-import-") as folder:
        try:
            yield Path(folder)
        except RecursionError:
            raise fail(
                clean_label(label_hint or "uploaded file"),
                "data nested too deeply to read; the file is refused",
            ) from None


def label_hint(source: object, name: str | None) -> str | None:
    """The file name to show before the source is staged: ``name``, the path's name or the stream's."""
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    hint = getattr(source, "name", None)  # a file opened from a descriptor is named by its number
    return None if hint is None else str(hint)


def _stage(source: SourceLike, name: str | None, max_bytes: int, tmp: Path) -> tuple[Path, str]:
    """Copy the source to a fixed name in ``tmp`` (in pieces), checking its size; the file's label."""
    target = tmp / "source"
    limit = f"the import limit of {max_bytes / 1e6:.0f} MB"
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = clean_label(name or "uploaded file")
        size = memoryview(source).nbytes
        if size > max_bytes:
            raise fail(label, f"file is over {limit}")
        target.write_bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = clean_label(name or path.name)
        try:
            info = path.stat()
        except OSError as exc:
            raise fail(str(path), f"cannot open ({exc.strerror})") from exc
        if not stat.S_ISREG(info.st_mode):
            raise fail(str(path), "is not a regular file")
        if info.st_size > max_bytes:
            raise fail(label, f"file is {info.st_size / 1e6:.1f} MB, over {limit}")
        try:
            shutil.copyfile(path, target)
        except OSError as exc:
            raise fail(str(path), f"cannot read ({exc.strerror})") from exc
        size = target.stat().st_size
        if size > max_bytes:
            raise fail(label, f"file is over {limit}")
    else:
        label = clean_label(name or getattr(source, "name", None) or "uploaded file")
        size = 0
        with target.open("wb") as out:
            while block := source.read(min(CHUNK, max_bytes + 1 - size)):
                size += len(block)
                out.write(block)
                if size > max_bytes:
                    raise fail(label, f"file is over {limit}")
    if size == 0:
        raise fail(label, "file is empty")
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
    raise fail(label, f"unsupported format {suffix or '(no file extension)'!r}; expected one of {known}")


def open_source(
    source: SourceLike,
    *,
    name: str | None,
    encoding: str | None,
    max_bytes: int,
    tmp: Path,
) -> Source:
    """The source staged in ``tmp``, labelled and its format known (a :class:`LayerError` if unknown)."""
    path, label = _stage(source, name, max_bytes, tmp)
    return Source(label, _detect_format(label, path), path, tmp, encoding, max_bytes)


# ----------------------------------------------------------------------------- archives and XML
def safe_members(label: str, archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    """The archive's files, after refusing traversal, links, too many members, bombs and oversize."""
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise fail(
            label, f"archive holds {len(members)} members, more than the {MAX_ARCHIVE_MEMBERS} allowed"
        )
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise fail(label, f"archive member {info.filename!r} points outside the archive (path traversal)")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise fail(label, f"archive member {info.filename!r} is a symbolic link")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise fail(
                label,
                f"archive member {info.filename!r} expands {info.file_size / info.compress_size:.0f}-fold, "
                "a decompression bomb",
            )
    if total > max_bytes:
        raise fail(
            label,
            f"archive expands to {total / 1e6:.1f} MB, over the import limit of {max_bytes / 1e6:.0f} MB",
        )
    return [m for m in members if not m.is_dir()]


@contextlib.contextmanager
def open_zip(label: str, path: Path) -> Iterator[zipfile.ZipFile]:
    """The staged zip archive, open (not a zip archive: a :class:`LayerError`)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise fail(label, "not parseable: not a valid zip archive") from None
    with archive:
        yield archive


def extract(label: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> Path:
    """Copy one member to ``target`` in pieces (a corrupt member is a :class:`LayerError`)."""
    try:
        with archive.open(member) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise fail(label, f"archive member {member.filename!r} cannot be read ({brief(exc)})") from None
    return target


def check_xml(label: str, path: Path) -> None:
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
                    raise fail(
                        label,
                        f"XML nested more than {MAX_XML_DEPTH} elements deep (folders within folders); "
                        "the file is refused",
                    )
            else:
                depth -= 1
                elem.clear()
    except DefusedXmlException:
        raise fail(
            label, "XML with a DTD or entity declarations is refused (external entities or entity expansion)"
        ) from None
    except safe_et.ParseError as exc:
        raise fail(label, f"not parseable: XML error {exc}") from None

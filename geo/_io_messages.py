"""Messages of the importers (:mod:`geo.io`): file labels, one-line errors and libraries' words shortened.

Every :class:`~geo._errors.LayerError` of an import reads ``"<file>: <problem>"``; the file is named by
:func:`clean_label` (no folders, no control characters), a feature by :func:`feature_label` (its id or
its 1-based number), and what GDAL, pyarrow or GEOS said is quoted through :func:`brief`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo._errors import LayerError
from geo.settings import MAX_QUOTED_MESSAGE_CHARS


def quantity(n: int, noun: str) -> str:
    """``"1 feature"``, ``"1,200 features"``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def fail(label: str, problem: str) -> LayerError:
    """The error of an import: ``"<file>: <problem>"``."""
    return LayerError(f"{label}: {problem}")


def clean_label(label: str) -> str:
    """The file name shown in messages: no folders, no control characters, bounded length."""
    text = re.split(r"[\\/]", str(label))[-1] or str(label)
    text = "".join(c if unicodedata.category(c)[0] != "C" else "?" for c in text)
    return text if len(text) <= 120 else text[:100] + "…" + text[-19:]


def feature_label(gdf: gpd.GeoDataFrame, pos: int) -> str:
    """A feature as users count: its id when it has one, else its 1-based number."""
    value = gdf["id"].iloc[pos] if "id" in gdf.columns else None
    if isinstance(value, (str, int, np.integer)) and str(value):
        return f"feature {str(value)!r}"
    return f"feature {pos + 1}"


def brief(text: object, *, tmp: Path | None = None, label: str = "") -> str:
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


def gdal_problem(exc: Exception, *, tmp: Path, label: str, kind: str) -> str:
    """GDAL's message about a file, in words a user can act on: ``kind (GDAL's sentences)`` or ours."""
    raw = " ".join(str(exc).split())
    too_big = re.search(r"At line (\d+), character (\d+): GeoJSON object too complex/large", raw)
    if too_big:
        return (
            f"a feature (near line {too_big.group(1)}, character {int(too_big.group(2)):,}) is too large "
            "for the GeoJSON reader, which keeps one feature under 200 MB of memory: simplify or split its "
            "geometry, or send the layer as GeoPackage or GeoParquet"
        )
    if "not recognized as being in a supported file format" in raw:
        return f"{kind}: GDAL does not recognise the content as this format"
    raw = re.sub(r"; It might help to specify the correct driver.*$", "", raw)
    return f"{kind} ({brief(raw, tmp=tmp, label=label)})"

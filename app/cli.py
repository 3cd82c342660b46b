"""The ``mineral-atlas`` command line.

Subcommands
-----------
layers                              list the layers with their feature counts
audit [--csv]                       provenance audit of the data: claims by basis, assumed values
export LAYER -o FILE                write a layer as RFC 7946 GeoJSON (``-o -`` for standard output)
nearest SOURCE TARGET --k N [-o F]  k nearest targets of every source, as geodesic lines or a table
import FILE [--name N]              read a user file into the workspace (GeoPackage)
workspace [--delete|--share|--unshare NAME | --check | --repair]
                                    list the workspace's layers (yours and the shared ones), delete,
                                    share or un-share one of yours, report or repair damage
--user NAME (before the subcommand) whose workspace: default $MINERAL_ATLAS_USER, else 'local'
export NAME --format gpkg -o FILE   also gpkg, parquet, csv, kml; NAME may be a workspace layer
site-select --region IN --res 7 --weights ... -o F   scored H3 grid (every cell unless --top N);
                                    --engine dask [--scheduler tcp://HOST:8786 | local]
allocate --candidates L --k 3 [--model coverage --service-km S] -o F   p-median / coverage
route ORIGIN DEST --mode road -o F  route over the road/rail/sea network (ids or lon,lat); legs
corridor ROUTE_ID --width-km 50 -o F   corridor polygon and the features within it, by chainage
service-area ID... --mode road --hours 4 8 12 -o F   areas reachable within each band (or --km)
select A B --within-km D | --inside | --along ROUTE_ID -o F [--save NAME]
                                    features of layer A near, inside or along layer B
--report report.pdf                 on site-select, route, corridor and service-area: a PDF report
                                    (map, table, charts, parameters, sources)

Errors print one line on standard error and exit with status 2.

The module stays whole: it is the argument parser of every command and one thin function per
command that calls :mod:`app.workflows`; splitting it would scatter one ``--help``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from geo import CRSError, ExportError, InputError, LayerError
from geo.settings import (
    ALLOCATION_TIME_LIMIT_S,
    DEFAULT_WEIGHTS,
    EXPORT_FORMATS,
    GEOJSON_PRECISION,
    LOCAL_USER,
)

if TYPE_CHECKING:
    import geopandas as gpd

PROG = "mineral-atlas"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _cmd_layers(args: argparse.Namespace) -> int:
    import layers

    rows = []
    for name in layers.names():
        gdf = layers.load(name)
        kinds = ",".join(sorted(gdf.geometry.geom_type.unique()))
        rows.append((name, str(len(gdf)), kinds, layers.spec(name).title))
    widths = [max(len(r[i]) for r in [("layer", "features", "geometry", "title"), *rows]) for i in range(4)]
    for row in [("layer", "features", "geometry", "title"), *rows]:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    _write(
        _load(args.layer, args.user), args.output, what=args.layer, precision=args.precision, fmt=args.format
    )
    return 0


def _write(
    gdf: gpd.GeoDataFrame,
    output: str,
    *,
    what: str,
    precision: int = GEOJSON_PRECISION,
    fmt: str | None = None,
) -> None:
    from geo.export import to_bytes, to_geojson, write_geojson, write_layer

    if output == "-":
        if fmt in (None, "geojson"):
            sys.stdout.write(to_geojson(gdf, precision=precision, argument=what) + "\n")
        else:
            sys.stdout.buffer.write(to_bytes(gdf, fmt, layer_name=_layer_name(what), argument=what))
        return
    if fmt in (None, "geojson") and (fmt == "geojson" or output.lower().endswith((".geojson", ".json"))):
        path = write_geojson(gdf, output, precision=precision, argument=what)
    else:
        path = write_layer(gdf, output, fmt=fmt, layer_name=_layer_name(what), argument=what)
    sys.stderr.write(f"{PROG}: wrote {len(gdf)} features of {what} to {path}\n")


def _layer_name(what: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in what)[:60] or "layer"


class _UserLayers(Mapping[str, "gpd.GeoDataFrame"]):
    """The workspace's layers, read when asked for (the CLI opens the workspace only if it needs it)."""

    def __init__(self, user: str) -> None:
        from app.store import open_workspace

        self._workspace = open_workspace(user=user)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in self._workspace.names():
            raise KeyError(name)
        return self._workspace.load(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._workspace.names())

    def __len__(self) -> int:
        return len(self._workspace.names())


class _Builtin(Mapping[str, "gpd.GeoDataFrame"]):
    """The built-in layers, each read when asked for."""

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        import layers

        if name not in layers.names():
            raise KeyError(name)
        return layers.load(name)

    def __iter__(self) -> Iterator[str]:
        import layers

        return iter(layers.names())

    def __len__(self) -> int:
        import layers

        return len(layers.names())


def _load(name: str, user: str) -> gpd.GeoDataFrame:
    """A built-in layer, else a layer of ``user``'s workspace (their own or one shared with them)."""
    from app.workflows import lookup_layer

    return lookup_layer(name, _Builtin(), _UserLayers(user))


def _cmd_import(args: argparse.Namespace) -> int:
    from app.store import open_workspace
    from app.workflows import import_file
    from geo import LayerChoiceError
    from geo.io import check_layer_name

    if args.name is not None:
        check_layer_name(args.name, argument="--name")
    try:
        done = import_file(
            args.file,
            open_workspace(user=args.user),
            file_name=Path(args.file).name,
            name=args.name,
            swap_xy=args.swap_xy,
            encoding=args.encoding,
            layer=args.layer,
            all_layers=args.all_layers,
            shared=args.share,
        )
    except LayerChoiceError as exc:
        msg = f"{exc} (--layer NAME, or --all-layers)"
        raise LayerChoiceError(msg, exc.layers) from None
    for note in done.notes:
        sys.stderr.write(f"{PROG}: {note}\n")
    names = ", ".join(repr(n) for n in done.names)
    sys.stderr.write(f"{PROG}: imported {done.features} features into the workspace as {names}\n")
    return 0


def _cmd_workspace(args: argparse.Namespace) -> int:
    from app.store import open_workspace

    ws = open_workspace(user=args.user)
    if args.check:
        problems = ws.check()
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        sys.stderr.write(
            f"{PROG}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in {ws.location}"
            + ("; run 'mineral-atlas workspace --repair'\n" if problems else "\n")
        )
        return 1 if problems else 0
    if args.repair:
        fixed = ws.repair()
        for item in fixed:
            sys.stdout.write(f"{item}\n")
        sys.stderr.write(f"{PROG}: repaired {len(fixed)} problem{'s' if len(fixed) != 1 else ''}\n")
        return 0
    if args.delete:
        ws.delete(args.delete)
        sys.stderr.write(f"{PROG}: deleted {args.delete!r} from the workspace\n")
        return 0
    if args.share or args.unshare:
        ws.share(args.share or args.unshare, bool(args.share))
        what = "shared with the team" if args.share else "made private"
        sys.stderr.write(f"{PROG}: {args.share or args.unshare!r} {what}\n")
        return 0
    from geo.export import neutralise_formula

    index = ws.index().map(neutralise_formula)  # names and sources are the users' text
    sys.stdout.write(index.to_csv(sep="\t", index=False))
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from layers import audit

    if args.csv:
        audit.audit().to_csv(sys.stdout, index=False)
    else:
        sys.stdout.write(audit.report() + "\n")
    return 0


def _cmd_nearest(args: argparse.Namespace) -> int:
    import layers
    from geo.proximity import nearest, nearest_lines

    sources = layers.by_id(_load(args.source_layer, args.user))
    targets = layers.analysis_targets(
        layers.by_id(_load(args.target_layer, args.user)),
        include_placeholders=args.include_approximate,
        include_venues=args.include_venues,
    )
    max_m = None if args.max_distance_km is None else args.max_distance_km * 1000.0
    result = nearest(sources, targets, k=args.k, max_distance_m=max_m)
    lines = nearest_lines(sources, targets, result)
    for why, left in targets.attrs.get("left_out", {}).items():  # after the work: an error stays one line
        if left:
            sys.stderr.write(f"{PROG}: left out of the targets, {why}: {', '.join(map(str, left))}\n")
    if args.output:
        _write(lines, args.output, what=f"nearest {args.target_layer} of {args.source_layer}")
    else:
        sys.stdout.write("source_id\tsource_name\ttarget_id\ttarget_name\trank\tdistance_km\n")
        for row in lines.itertuples():
            sys.stdout.write(
                f"{row.source_id}\t{row.source_name}\t{row.target_id}\t{row.target_name}\t{row.rank}\t{row.distance_km:.3f}\n"
            )
    return 0


def _parse_weights(text: str) -> dict[str, float]:
    weights = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            msg = f"--weights: expected criterion=number pairs separated by commas, got {part!r}"
            raise InputError(msg)
    return weights


def _region(code: str, user: str) -> gpd.GeoDataFrame:
    """A country (ISO 3166-1 alpha-2, from the countries layer) or a workspace polygon layer."""
    import layers
    from app.workflows import region_frame

    return region_frame(code, layers.load("countries"), _UserLayers(user), argument="--region")


@contextlib.contextmanager
def _dask_client(scheduler: str | None):
    """A dask.distributed client for ``--scheduler`` (``local``: two local worker processes), or none."""
    if not scheduler:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        msg = f"--scheduler: cannot reach the dask scheduler at {scheduler!r} ({exc})"
        raise InputError(msg) from None
    with client:
        yield client


def _cmd_site_select(args: argparse.Namespace) -> int:
    from app.workflows import site_inputs
    from geo.siting import candidate_grid, check_weights, hexagons, suitability

    weights = _parse_weights(args.weights)
    check_weights(weights)  # before the (long) grid work
    cells = candidate_grid(_region(args.region, args.user), resolution=args.res, geometry="centre")
    with _dask_client(args.scheduler):
        scored = suitability(
            cells,
            **site_inputs(_Builtin()),
            weights=weights,
            demand_radius_km=args.demand_radius_km,
            competition=args.competition,
            exclude_within_km=args.exclude_within_km,
            engine=args.engine,
        )
    cells = hexagons(scored.head(args.top) if args.top else scored).drop(columns=["lon", "lat"])
    _write(cells, args.output, what=f"site selection {args.region}")
    if args.report:
        from app.report import site_selection_report
        from app.tools import parameters_text

        context = site_inputs(_Builtin())
        report = site_selection_report(
            scored,
            weights=weights,
            parameters=parameters_text(
                {
                    "region": args.region,
                    "H3 resolution": args.res,
                    "feedstock radius km": args.demand_radius_km,
                    "existing recyclers/refiners": args.competition,
                    "excluded within km of a facility": args.exclude_within_km,
                    "engine": args.engine,
                }
            ),
            context={
                "demand": context["demand"],
                "lithium_blocks": context["blocks"],
                "ports": context["ports"],
                "facilities": context["facilities"],
            },
            title=f"Site selection: {args.region}, H3 resolution {args.res}",
        )
        _write_report(report, args.report)
    return 0


def _check_report_folder(path: str | None) -> None:
    """Refuse a ``--report`` path whose folder does not exist (the analysis would be lost)."""
    if path is None:
        return
    folder = Path(path).parent
    if not folder.is_dir():
        msg = f"--report: folder {str(folder)!r} of {path!r} does not exist"
        raise ExportError(msg)


def _write_report(report, path: str) -> None:
    """Write ``report`` as a PDF to ``path`` and say so on standard error."""
    from app.report import write_report

    written = write_report(report, path)
    sys.stderr.write(f"{PROG}: wrote the report {report.title!r} to {written}\n")


def _cmd_allocate(args: argparse.Namespace) -> int:

    import layers
    from app.workflows import allocate_sites

    candidates = layers.analysis_targets(
        layers.by_id(_load(args.candidates, args.user)), include_placeholders=args.include_approximate
    )
    if args.spread:
        from geo.siting import spread_candidates

        candidates = spread_candidates(candidates, args.spread)
    demand = layers.by_id(_load(args.demand, args.user))
    fixed = [f for f in (args.fixed or "").split(",") if f]
    unknown = sorted(set(fixed) - set(candidates.index))
    if unknown:
        msg = f"--fixed: {', '.join(unknown)} not among the candidates' ids"
        raise InputError(msg)
    allocation = allocate_sites(
        candidates,
        demand,
        k=args.k - len(fixed),
        model=args.model,
        cost=args.cost,
        service_km=args.service_km,
        fixed=fixed,
        time_limit_s=args.time_limit_s,
        should_stop=_interrupted(),
    )
    if allocation.left_out:  # only once the model solved: an error stays one line
        sys.stderr.write(
            f"{PROG}: left out, no {args.cost} route to any candidate: {', '.join(allocation.left_out)}\n"
        )
    sites, lines, result = allocation.sites, allocation.lines, allocation.result
    sites = sites.assign(feature="site", site_id=sites.index)
    lines = lines.assign(feature="assignment")
    out = _concat(
        [sites[["feature", "site_id", "served_weight", "mean_km", "max_km", "fixed", "geometry"]], lines]
    )
    out["cost"] = result.cost
    _write(out, args.output, what=f"{args.model} k={args.k}")
    sys.stderr.write(f"{PROG}: {len(sites)} sites. {result.summary}\n")
    for warning in result.warnings:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    return 0


def _interrupted() -> Callable[[], bool]:
    """A poll for the solver: True after the first Ctrl-C (the best solution so far is written).

    A second Ctrl-C stops at once.
    """
    import signal
    import threading

    event = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        sys.stderr.write(f"{PROG}: stopping: the best solution so far is written (Ctrl-C again to abort)\n")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
    return event.is_set


def _place(value: str, ends, argument: str):
    """A feature id of the endpoint layers, or ``lon,lat``: (Point, label)."""
    import shapely

    from layers.routes import ENDPOINT_LAYERS

    if value in ends.index:
        return ends.geometry.loc[value], str(ends.loc[value, "name"])
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        msg = (
            f"{argument}: {value!r} is neither a feature id of the "
            f"{', '.join(ENDPOINT_LAYERS)} layers nor lon,lat"
        )
        raise InputError(msg) from None
    return shapely.Point(lon, lat), value


def _cmd_route(args: argparse.Namespace) -> int:
    from geo.network import route, route_totals
    from layers.routes import endpoints, routing_inputs

    ends = endpoints()
    (a, a_name), (b, b_name) = _place(args.origin, ends, "ORIGIN"), _place(args.destination, ends, "DEST")
    legs = route(
        a,
        b,
        mode=args.mode,
        tonnes=args.tonnes,
        objective=args.objective,
        names=(a_name, b_name),
        **routing_inputs(),
    )
    _write(legs, args.output, what=f"route {args.origin} -> {args.destination}")
    t = route_totals(legs)
    sys.stderr.write(
        f"{PROG}: {args.mode}: {t['length_km']:,.1f} km, {t['hours']:,.1f} h, "
        f"{t['co2e_t']:,.3f} t CO2e, {t['cost_usd']:,.0f} USD for {args.tonnes:g} t "
        f"({len(legs)} leg{'s' if len(legs) != 1 else ''}, {t['transfers']:g} transfer"
        f"{'s' if t['transfers'] != 1 else ''})\n"
    )
    if args.report:
        import layers
        from app.report import route_comparison_report
        from app.tools import parameters_text

        context: dict[str, gpd.GeoDataFrame] = {}
        for ref in (args.origin, args.destination):  # the end features are cited
            if ref in ends.index:
                name = str(ends.loc[ref, "layer"])
                frame = layers.load(name)
                context[name] = pd_concat_rows(context.get(name), frame[frame["id"] == ref])
        report = route_comparison_report(
            {args.mode: legs},
            origin=a_name,
            destination=b_name,
            parameters=parameters_text(
                {"mode": args.mode, "tonnes": args.tonnes, "objective (multimodal)": args.objective}
            ),
            context=context,
        )
        _write_report(report, args.report)
    return 0


def pd_concat_rows(first: gpd.GeoDataFrame | None, more: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``first`` and ``more`` stacked (``more`` alone when ``first`` is None)."""
    return more if first is None else _concat([first, more])


def _cmd_corridor(args: argparse.Namespace) -> int:
    import geopandas as gpd

    import layers
    from app.workflows import corridor
    from geo.network import join_legs

    routes = layers.load("routes")
    legs = routes[routes["route_id"] == args.route_id]
    if legs.empty:
        msg = f"ROUTE_ID: {args.route_id!r} is not a route; routes: {', '.join(routes['route_id'].unique())}"
        raise InputError(msg)
    line = join_legs(legs)
    chosen = {name: _load(name, args.user) for name in args.layers.split(",")}
    result = corridor(line, chosen, width_km=args.width_km)
    summary = result.summary
    area = gpd.GeoDataFrame(
        {
            "feature": ["corridor"],
            "route_id": [args.route_id],
            "width_km": [args.width_km],
            "area_km2": [summary["area_km2"]],
        },
        geometry=[result.polygon],
        crs="EPSG:4326",
    )
    inside = result.inside.assign(feature="inside")
    _write(_concat([area, inside]), args.output, what=f"corridor {args.route_id}")
    sys.stderr.write(
        f"{PROG}: {args.route_id}: {summary['route_km']:,.0f} km route, {summary['area_km2']:,.0f} km2 "
        f"corridor, {len(inside)} features inside, population {summary['population']:,.0f}\n"
    )
    if args.report:
        from app.report import corridor_report

        purpose = str(legs["purpose"].iloc[0]) if "purpose" in legs.columns else ""
        report = corridor_report(
            line,
            result.polygon,
            result.inside,
            summary,
            width_km=args.width_km,
            route_name=f"{args.route_id}" + (f" ({purpose})" if purpose else ""),
            context={**chosen, "routes": legs},
            parameters={"layers searched": ", ".join(chosen)},
            title=f"Corridor of {args.route_id}, ±{args.width_km:g} km",
        )
        _write_report(report, args.report)
    return 0


def _cmd_service_area(args: argparse.Namespace) -> int:
    import layers
    from app.tools import ORIGIN_LAYERS, parameters_text, service_areas_for

    frames = {name: layers.load(name) for name in ORIGIN_LAYERS}
    areas, origins = service_areas_for(
        args.ids,
        frames,
        mode=args.mode,
        hours=args.hours,
        km=args.km,
        merge=args.merge,
        access_km=args.access_km,
    )
    band, unit = ("band_h", "h") if args.hours is not None else ("band_km", "km")
    _write(areas, args.output, what=f"service areas of {', '.join(args.ids)}")
    for row in areas.itertuples():
        sys.stderr.write(
            f"{PROG}: {row.origin_name} within {getattr(row, band):g} {unit} by {args.mode}: "
            f"{row.area_km2:,.0f} km2, feedstock population {row.feedstock_population:,.0f}, "
            f"{row.facilities_inside} facilit{'y' if row.facilities_inside == 1 else 'ies'} inside\n"
        )
    if args.report:
        from app.report import service_area_report
        from app.tools import report_context

        inside = set(";".join(areas["facility_ids"]).split(";")) - {""}
        facilities = frames["facilities"]
        context = report_context(frames, ["demand"])
        context["facilities"] = facilities[facilities["id"].isin(inside)]
        for name in dict.fromkeys(origins["layer"]):  # the origins' own records are cited
            if name in frames:
                chosen = frames[name][frames[name]["id"].isin(origins["id"])]
                context[name] = pd_concat_rows(context.get(name), chosen).drop_duplicates("id")
        layer_names = set(origins["layer"])
        report = service_area_report(
            areas,
            origins=origins,
            origins_layer=layer_names.pop() if len(layer_names) == 1 else "origins",
            context=context,
            parameters=parameters_text(
                {
                    "origins": list(args.ids),
                    "mode": args.mode,
                    "hours" if args.hours is not None else "km": args.hours or args.km,
                    "one area for all origins (merge)": "yes" if args.merge else "no",
                    "longest leg off the network km": float(areas["access_km"].iloc[0])
                    if len(areas)
                    else None,
                    "grid cell km": float(areas["grid_km"].iloc[0]) if len(areas) else None,
                }
            ),
            title=f"Service areas by {args.mode}: {', '.join(origins['name'])}",
        )
        _write_report(report, args.report)
    return 0


def _cmd_select(args: argparse.Namespace) -> int:
    from app.tools import select_by_location

    if args.along is None and not args.inside and args.within_km is None:
        msg = "select: give one of --within-km D, --inside or --along ROUTE_ID"
        raise InputError(msg)
    if args.inside and args.within_km is not None:
        msg = "--inside: selects features inside polygons; it takes no --within-km"
        raise InputError(msg)
    other_name = args.b or ("routes" if args.along is not None else None)
    if other_name is None:
        msg = "B: name the second layer (the one A is selected against)"
        raise InputError(msg)
    a = _load(args.a, args.user)
    b = _load(other_name, args.user)
    if args.along is not None:
        if args.within_km is None:
            msg = "--along: give the corridor's half-width with --within-km D"
            raise InputError(msg)
        column = "route_id" if "route_id" in b.columns else "id"
        if column not in b.columns:
            msg = f"--along: layer {other_name!r} has neither a route_id nor an id column"
            raise InputError(msg)
        route = b[b[column].astype(str) == args.along]
        if route.empty:
            known = ", ".join(map(str, dict.fromkeys(b[column].astype(str))))
            msg = f"--along: {args.along!r} is not a {column} of layer {other_name!r}; known: {known}"
            raise InputError(msg)
        selected = select_by_location(a, route, how="along", distance_km=args.within_km, b_name=args.along)
    elif args.inside:
        selected = select_by_location(a, b, how="inside", b_name=other_name)
    else:
        selected = select_by_location(a, b, how="within", distance_km=args.within_km, b_name=other_name)
    what = f"{args.a} {selected.attrs.get('selected_by', '')}".strip()
    _write(selected, args.output, what=what)
    if args.save:
        from app.store import open_workspace

        ws = open_workspace(user=args.user)
        ws.save(args.save, selected, kind="analysis", source=f"mineral-atlas select: {what}")
        sys.stderr.write(f"{PROG}: saved {len(selected)} features to the workspace as {args.save!r}\n")
    return 0


def _concat(frames):
    import geopandas as gpd
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mineral-atlas``."""
    parser = _Parser(
        prog=PROG,
        description="Mineral Atlas: battery and critical-minerals facilities, blocks, ports and demand.",
    )
    parser.add_argument(
        "--user",
        default=os.environ.get("MINERAL_ATLAS_USER") or LOCAL_USER,
        help="whose workspace (default: $MINERAL_ATLAS_USER, else 'local')",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_layers = sub.add_parser("layers", help="list the layers with their feature counts")
    p_layers.set_defaults(func=_cmd_layers)
    p_export = sub.add_parser("export", help="write a layer as RFC 7946 GeoJSON")
    p_export.add_argument(
        "layer", help="layer name (see 'mineral-atlas layers' and 'mineral-atlas workspace')"
    )
    p_export.add_argument(
        "--format",
        choices=list(EXPORT_FORMATS),
        help="output format (default: from the file extension, else geojson)",
    )
    p_export.add_argument("-o", "--output", required=True, help="output file, or - for standard output")
    p_export.add_argument(
        "--precision", type=int, default=GEOJSON_PRECISION, help="coordinate decimals (default 6)"
    )
    p_export.set_defaults(func=_cmd_export)
    p_audit = sub.add_parser(
        "audit", help="provenance audit: records and claims by basis, undated sources, assumed values"
    )
    p_audit.add_argument("--csv", action="store_true", help="the per-layer table as CSV")
    p_audit.set_defaults(func=_cmd_audit)
    p_near = sub.add_parser("nearest", help="the k nearest targets of every source (geodesic, WGS84)")
    p_near.add_argument("source_layer", help="layer of point sources")
    p_near.add_argument("target_layer", help="layer of point or polygon targets")
    p_near.add_argument("--k", type=int, default=1, help="targets per source (default 1)")
    p_near.add_argument(
        "--max-distance-km", type=float, default=None, help="ignore targets farther than this (km)"
    )
    p_near.add_argument(
        "-o", "--output", help="GeoJSON of geodesic lines (- for stdout); without it a table is printed"
    )
    p_near.add_argument(
        "--include-approximate",
        action="store_true",
        help="also target features placed only at region or country level (left out by default)",
    )
    p_near.add_argument(
        "--include-venues",
        action="store_true",
        help="also target places that are not facilities, such as a conference venue",
    )
    p_near.set_defaults(func=_cmd_nearest)
    p_import = sub.add_parser(
        "import",
        help="read a file (GeoJSON, GeoPackage, CSV, KML/KMZ, zipped Shapefile, GeoParquet) "
        "into the workspace",
    )
    p_import.add_argument("file", help="the file to import")
    p_import.add_argument("--name", help="layer name in the workspace (default: the file name)")
    p_import.add_argument("--swap-xy", action="store_true", help="swap lat/lon of every vertex")
    p_import.add_argument(
        "--encoding",
        default="auto",
        help="text encoding of CSV/GeoJSON (default auto: UTF-8, UTF-16/32 by byte-order mark, "
        "else Windows-1252)",
    )
    p_import.add_argument("--layer", help="the layer to import from a GeoPackage, KML or zip of several")
    p_import.add_argument(
        "--all-layers",
        action="store_true",
        help="import every layer of a GeoPackage, KML or zip (with --name: NAME_<layer>)",
    )
    p_import.add_argument("--share", action="store_true", help="share the layer with the team (read-only)")
    p_import.set_defaults(func=_cmd_import)
    p_ws = sub.add_parser(
        "workspace", help="list the workspace's layers (default), delete, share, check or repair"
    )
    action = p_ws.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list your layers and the shared ones (default)")
    action.add_argument("--delete", metavar="NAME", help="delete one of your layers")
    action.add_argument("--share", metavar="NAME", help="share one of your layers with the team (read-only)")
    action.add_argument("--unshare", metavar="NAME", help="make one of your shared layers private again")
    action.add_argument(
        "--check", action="store_true", help="report damage (exit 1 when any); changes nothing"
    )
    action.add_argument(
        "--repair",
        action="store_true",
        help="fix what --check reports (orphan tables listed again, stale temporary files removed)",
    )
    p_ws.set_defaults(func=_cmd_workspace)
    p_site = sub.add_parser("site-select", help="score an H3 grid over a region by weighted criteria")
    p_site.add_argument(
        "--region",
        default="IN",
        help="ISO country code (countries layer) or a workspace polygon layer (default IN)",
    )
    p_site.add_argument("--res", type=int, default=6, help="H3 resolution 5-8 (default 6)")
    p_site.add_argument(
        "--weights",
        default=",".join(f"{c}={w}" for c, w in DEFAULT_WEIGHTS.items()),
        help=f"criterion=weight pairs; criteria: {', '.join(DEFAULT_WEIGHTS)}",
    )
    p_site.add_argument(
        "--competition",
        choices=["avoid", "cluster"],
        default="avoid",
        help="avoid or seek existing recyclers/refiners",
    )
    p_site.add_argument(
        "--exclude-within-km", type=float, default=None, help="drop cells closer than this to a facility"
    )
    p_site.add_argument(
        "--demand-radius-km", type=float, default=200.0, help="feedstock radius (default 200 km)"
    )
    p_site.add_argument("--top", type=int, default=None, help="write only the N best cells")
    p_site.add_argument(
        "--engine",
        choices=["pandas", "dask"],
        default="pandas",
        help="measure the criteria in memory or on dask partitions",
    )
    p_site.add_argument(
        "--scheduler",
        help="dask scheduler address (tcp://HOST:8786), or 'local' for two local workers "
        "(with --engine dask)",
    )
    p_site.add_argument("-o", "--output", required=True, help="GeoJSON of scored cells (- for stdout)")
    _report_option(p_site)
    p_site.set_defaults(func=_cmd_site_select)
    p_alloc = sub.add_parser("allocate", help="choose k sites for the demand (p-median or maximal coverage)")
    p_alloc.add_argument("--candidates", required=True, help="layer of candidate sites")
    p_alloc.add_argument("--demand", default="demand", help="layer of demand points (default demand)")
    p_alloc.add_argument("--k", type=int, required=True, help="sites to open")
    p_alloc.add_argument("--model", choices=["p-median", "coverage"], default="p-median")
    p_alloc.add_argument("--service-km", type=float, default=None, help="coverage distance (coverage model)")
    p_alloc.add_argument("--fixed", help="comma-separated candidate ids already open")
    p_alloc.add_argument(
        "--spread",
        type=int,
        metavar="N",
        help="choose among N candidates spread over the region (e.g. of a site-select output) "
        "instead of all of them",
    )
    p_alloc.add_argument(
        "--time-limit-s",
        type=float,
        default=ALLOCATION_TIME_LIMIT_S,
        help=f"solver time limit; the best solution by then is written with its gap "
        f"(default {ALLOCATION_TIME_LIMIT_S:g} s; Ctrl-C stops early the same way)",
    )
    p_alloc.add_argument(
        "--include-approximate",
        action="store_true",
        help="keep candidates placed only at region or country level (left out by default)",
    )
    p_alloc.add_argument(
        "--cost",
        choices=["road", "rail", "geodesic"],
        default="road",
        help="distances: shortest paths on the road (default) or rail network, or geodesic",
    )
    p_alloc.add_argument(
        "-o", "--output", required=True, help="GeoJSON of sites and assignment lines (- for stdout)"
    )
    p_alloc.set_defaults(func=_cmd_allocate)
    p_route = sub.add_parser(
        "route", help="route over the road, rail or sea network, or the cheapest combination (multimodal)"
    )
    p_route.add_argument("origin", help="feature id (facilities, lithium_blocks, ports, demand) or lon,lat")
    p_route.add_argument("destination", help="feature id or lon,lat")
    p_route.add_argument("--mode", choices=["road", "rail", "sea", "multimodal"], default="road")
    p_route.add_argument("--tonnes", type=float, default=1.0, help="cargo for tonne-km and CO2e (default 1)")
    p_route.add_argument(
        "--objective",
        choices=["co2e", "hours", "km", "cost"],
        default="co2e",
        help="what a multimodal route minimises: t CO2e, hours, km or freight cost in USD (default co2e)",
    )
    p_route.add_argument("-o", "--output", required=True, help="GeoJSON of the legs (- for stdout)")
    _report_option(p_route)
    p_route.set_defaults(func=_cmd_route)
    p_corr = sub.add_parser("corridor", help="corridor polygon of a route and the features within it")
    p_corr.add_argument("route_id", help="route id of the routes layer")
    p_corr.add_argument("--width-km", type=float, required=True, help="half-width of the corridor, km")
    p_corr.add_argument(
        "--layers", default="facilities,demand,ports,lithium_blocks", help="comma-separated layers to search"
    )
    p_corr.add_argument(
        "-o", "--output", required=True, help="GeoJSON of the corridor and the features inside (- for stdout)"
    )
    _report_option(p_corr)
    p_corr.set_defaults(func=_cmd_corridor)
    _service_area_parser(sub)
    _select_parser(sub)
    return parser


def _report_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report",
        metavar="PDF",
        help="also write a PDF report: map, result table, charts, parameters, date and sources",
    )


def _positive(text: str) -> float:
    """A number > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _service_area_parser(sub) -> None:
    from app.tools import ORIGIN_LAYERS
    from geo.settings import MODE_SPEED_KMH

    p = sub.add_parser(
        "service-area",
        help="areas reachable within several bands of hours or km on the road or rail network",
    )
    p.add_argument("ids", nargs="+", metavar="ID", help=f"feature id ({', '.join(ORIGIN_LAYERS)}) or lon,lat")
    p.add_argument("--mode", choices=["road", "rail"], default="road")
    bands = p.add_mutually_exclusive_group(required=True)
    bands.add_argument(
        "--hours",
        type=_positive,
        nargs="+",
        metavar="H",
        help="bands in hours of travel (road "
        f"{MODE_SPEED_KMH['road']:g} km/h, rail {MODE_SPEED_KMH['rail']:g} km/h door to door)",
    )
    bands.add_argument("--km", type=_positive, nargs="+", metavar="KM", help="bands in km on the network")
    p.add_argument(
        "--merge", action="store_true", help="one area per band for all origins (each place by its nearest)"
    )
    p.add_argument(
        "--access-km",
        type=_positive,
        default=None,
        help="longest straight leg off the network at the far end (default: the mode's)",
    )
    p.add_argument("-o", "--output", required=True, help="GeoJSON of the areas (- for stdout)")
    _report_option(p)
    p.set_defaults(func=_cmd_service_area)


def _select_parser(sub) -> None:
    p = sub.add_parser(
        "select",
        help="features of layer A within a distance of, inside, or along the features of layer B",
    )
    p.add_argument("a", metavar="A", help="layer to select from (built-in or workspace)")
    p.add_argument("b", metavar="B", nargs="?", help="layer to select against (with --along: default routes)")
    p.add_argument(
        "--within-km",
        type=_positive,
        metavar="D",
        help="within D km of B (geodesic); with --along, the corridor's half-width",
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument("--inside", action="store_true", help="inside the polygons of B")
    how.add_argument("--along", metavar="ROUTE_ID", help="within --within-km of the route ROUTE_ID of B")
    p.add_argument("-o", "--output", required=True, help="GeoJSON of the selected features (- for stdout)")
    p.add_argument("--save", metavar="NAME", help="also save the selection to the workspace as NAME")
    p.set_defaults(func=_cmd_select)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        _check_report_folder(getattr(args, "report", None))  # before the work, not after it
        return int(args.func(args))
    except (LayerError, ExportError, CRSError, InputError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

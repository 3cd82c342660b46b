"""Analysis commands: ``nearest``, ``corridor``, ``service-area`` and ``select``.

Each ``_cmd_*`` function runs one subcommand; each ``add_*`` function adds its parser.
"""

from __future__ import annotations

import argparse
import sys

from app.cli._common import (
    PROG,
    Subparsers,
    concat,
    load_layer,
    pd_concat_rows,
    positive,
    report_option,
    save_report,
    write_result,
)
from geo import InputError


def _cmd_nearest(args: argparse.Namespace) -> int:
    import layers
    from geo.proximity import nearest, nearest_lines

    sources = layers.by_id(load_layer(args.source_layer, args.user))
    targets = layers.analysis_targets(
        layers.by_id(load_layer(args.target_layer, args.user)),
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
        write_result(lines, args.output, what=f"nearest {args.target_layer} of {args.source_layer}")
    else:
        sys.stdout.write("source_id\tsource_name\ttarget_id\ttarget_name\trank\tdistance_km\n")
        for row in lines.itertuples():
            sys.stdout.write(
                f"{row.source_id}\t{row.source_name}\t{row.target_id}\t{row.target_name}\t{row.rank}\t{row.distance_km:.3f}\n"
            )
    return 0


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
    chosen = {name: load_layer(name, args.user) for name in args.layers.split(",")}
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
    write_result(concat([area, inside]), args.output, what=f"corridor {args.route_id}")
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
        save_report(report, args.report)
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
    write_result(areas, args.output, what=f"service areas of {', '.join(args.ids)}")
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
        save_report(report, args.report)
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
    a = load_layer(args.a, args.user)
    b = load_layer(other_name, args.user)
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
    write_result(selected, args.output, what=what)
    if args.save:
        from app.store import open_workspace

        ws = open_workspace(user=args.user)
        ws.save(args.save, selected, kind="analysis", source=f"mineral-atlas select: {what}")
        sys.stderr.write(f"{PROG}: saved {len(selected)} features to the workspace as {args.save!r}\n")
    return 0


def add_nearest(sub: Subparsers) -> None:
    """The ``nearest`` subcommand."""
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


def add_corridor(sub: Subparsers) -> None:
    """The ``corridor`` subcommand."""
    p_corr = sub.add_parser("corridor", help="corridor polygon of a route and the features within it")
    p_corr.add_argument("route_id", help="route id of the routes layer")
    p_corr.add_argument("--width-km", type=float, required=True, help="half-width of the corridor, km")
    p_corr.add_argument(
        "--layers", default="facilities,demand,ports,lithium_blocks", help="comma-separated layers to search"
    )
    p_corr.add_argument(
        "-o", "--output", required=True, help="GeoJSON of the corridor and the features inside (- for stdout)"
    )
    report_option(p_corr)
    p_corr.set_defaults(func=_cmd_corridor)


def add_service_area(sub: Subparsers) -> None:
    """The ``service-area`` subcommand."""
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
        type=positive,
        nargs="+",
        metavar="H",
        help="bands in hours of travel (road "
        f"{MODE_SPEED_KMH['road']:g} km/h, rail {MODE_SPEED_KMH['rail']:g} km/h door to door)",
    )
    bands.add_argument("--km", type=positive, nargs="+", metavar="KM", help="bands in km on the network")
    p.add_argument(
        "--merge", action="store_true", help="one area per band for all origins (each place by its nearest)"
    )
    p.add_argument(
        "--access-km",
        type=positive,
        default=None,
        help="longest straight leg off the network at the far end (default: the mode's)",
    )
    p.add_argument("-o", "--output", required=True, help="GeoJSON of the areas (- for stdout)")
    report_option(p)
    p.set_defaults(func=_cmd_service_area)


def add_select(sub: Subparsers) -> None:
    """The ``select`` subcommand."""
    p = sub.add_parser(
        "select",
        help="features of layer A within a distance of, inside, or along the features of layer B",
    )
    p.add_argument("a", metavar="A", help="layer to select from (built-in or workspace)")
    p.add_argument("b", metavar="B", nargs="?", help="layer to select against (with --along: default routes)")
    p.add_argument(
        "--within-km",
        type=positive,
        metavar="D",
        help="within D km of B (geodesic); with --along, the corridor's half-width",
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument("--inside", action="store_true", help="inside the polygons of B")
    how.add_argument("--along", metavar="ROUTE_ID", help="within --within-km of the route ROUTE_ID of B")
    p.add_argument("-o", "--output", required=True, help="GeoJSON of the selected features (- for stdout)")
    p.add_argument("--save", metavar="NAME", help="also save the selection to the workspace as NAME")
    p.set_defaults(func=_cmd_select)

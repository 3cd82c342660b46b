"""The routing command: ``route`` over the road, rail or sea network, or the multimodal cheapest.

Ends are feature ids of the endpoint layers or ``lon,lat`` (:func:`_place`); ``--report`` writes the
route comparison PDF.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from app.cli._common import PROG, Subparsers, pd_concat_rows, report_option, save_report, write_result
from geo import InputError

if TYPE_CHECKING:
    import geopandas as gpd


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
    write_result(legs, args.output, what=f"route {args.origin} -> {args.destination}")
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
        save_report(report, args.report)
    return 0


def add_route(sub: Subparsers) -> None:
    """The ``route`` subcommand."""
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
    report_option(p_route)
    p_route.set_defaults(func=_cmd_route)

"""The ``mineral-atlas`` command line.

Subcommands
-----------
layers                              list the layers with their feature counts
export LAYER -o FILE                write a layer as RFC 7946 GeoJSON (``-o -`` for standard output)
nearest SOURCE TARGET --k N [-o F]  k nearest targets of every source, as geodesic lines or a table

Errors print one line on standard error and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from geo._errors import CRSError, ExportError, InputError, LayerError
from geo.export import to_geojson, write_geojson
from geo.settings import GEOJSON_PRECISION

PROG = "mineral-atlas"
logger = logging.getLogger(__name__)


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
    import layers

    _write(layers.load(args.layer), args.output, what=args.layer, precision=args.precision)
    return 0


def _write(gdf, output: str, *, what: str, precision: int = GEOJSON_PRECISION) -> None:
    if output == "-":
        sys.stdout.write(to_geojson(gdf, precision=precision, argument=what) + "\n")
    else:
        path = write_geojson(gdf, output, precision=precision, argument=what)
        sys.stderr.write(f"{PROG}: wrote {len(gdf)} features of {what} to {path}\n")


def _cmd_nearest(args: argparse.Namespace) -> int:
    import layers
    from geo.proximity import nearest, nearest_lines

    sources = layers.load_by_id(args.source_layer)
    targets = layers.load_by_id(args.target_layer)
    max_m = None if args.max_distance_km is None else args.max_distance_km * 1000.0
    result = nearest(sources, targets, k=args.k, max_distance_m=max_m)
    lines = nearest_lines(sources, targets, result)
    if args.output:
        _write(lines, args.output, what=f"nearest {args.target_layer} of {args.source_layer}")
    else:
        sys.stdout.write("source_id\tsource_name\ttarget_id\ttarget_name\trank\tdistance_km\n")
        for row in lines.itertuples():
            sys.stdout.write(f"{row.source_id}\t{row.source_name}\t{row.target_id}\t{row.target_name}\t{row.rank}\t{row.distance_km:.3f}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mineral-atlas``."""
    parser = _Parser(prog=PROG, description="Mineral Atlas: battery and critical-minerals facilities, blocks, ports and demand.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_layers = sub.add_parser("layers", help="list the layers with their feature counts")
    p_layers.set_defaults(func=_cmd_layers)
    p_export = sub.add_parser("export", help="write a layer as RFC 7946 GeoJSON")
    p_export.add_argument("layer", help="layer name (see 'mineral-atlas layers')")
    p_export.add_argument("-o", "--output", required=True, help="output file, or - for standard output")
    p_export.add_argument("--precision", type=int, default=GEOJSON_PRECISION, help="coordinate decimals (default 6)")
    p_export.set_defaults(func=_cmd_export)
    p_near = sub.add_parser("nearest", help="the k nearest targets of every source (geodesic, WGS84)")
    p_near.add_argument("source_layer", help="layer of point sources")
    p_near.add_argument("target_layer", help="layer of point or polygon targets")
    p_near.add_argument("--k", type=int, default=1, help="targets per source (default 1)")
    p_near.add_argument("--max-distance-km", type=float, default=None, help="ignore targets farther than this (km)")
    p_near.add_argument("-o", "--output", help="GeoJSON of geodesic lines (- for stdout); without it a table is printed")
    p_near.set_defaults(func=_cmd_nearest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LayerError, ExportError, CRSError, InputError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

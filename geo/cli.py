"""The ``mineral-atlas`` command line.

Subcommands
-----------
layers                       list the layers with their feature counts
export LAYER -o FILE         write a layer as RFC 7946 GeoJSON (``-o -`` for standard output)

Errors print one line on standard error and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from geo._errors import CRSError, ExportError, LayerError
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

    gdf = layers.load(args.layer)
    if args.output == "-":
        sys.stdout.write(to_geojson(gdf, precision=args.precision, argument=args.layer) + "\n")
    else:
        path = write_geojson(gdf, args.output, precision=args.precision, argument=args.layer)
        logger.info("wrote %d features of %s to %s", len(gdf), args.layer, path)
        sys.stderr.write(f"{PROG}: wrote {len(gdf)} features of {args.layer} to {path}\n")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LayerError, ExportError, CRSError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

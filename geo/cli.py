"""The ``mineral-atlas`` command line.

Subcommands
-----------
layers                              list the layers with their feature counts
export LAYER -o FILE                write a layer as RFC 7946 GeoJSON (``-o -`` for standard output)
nearest SOURCE TARGET --k N [-o F]  k nearest targets of every source, as geodesic lines or a table
import FILE [--name N]              read a user file into the workspace (GeoPackage)
workspace [--delete NAME]           list the workspace's layers, or delete one
export NAME --format gpkg -o FILE   also gpkg, parquet, csv, kml; NAME may be a workspace layer

Errors print one line on standard error and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from geo._errors import CRSError, ExportError, InputError, LayerError
from geo.export import EXPORT_FORMATS, to_bytes, to_geojson, write_geojson, write_layer
from geo.settings import GEOJSON_PRECISION

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
    import layers

    _write(_load(args.layer), args.output, what=args.layer, precision=args.precision, fmt=args.format)
    return 0


def _write(gdf, output: str, *, what: str, precision: int = GEOJSON_PRECISION, fmt: str | None = None) -> None:
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


def _load(name: str):
    """A built-in layer, else a workspace layer of that name."""
    import layers
    from geo.workspace import Workspace

    if name in layers.names():
        return layers.load(name)
    workspace = Workspace()
    if name in workspace.names():
        return workspace.load(name)
    msg = f"unknown layer {name!r}; valid layers: {', '.join(layers.names() + workspace.names())}"
    raise LayerError(msg)


def _cmd_import(args: argparse.Namespace) -> int:
    from geo.io import read_layer
    from geo.workspace import Workspace

    gdf = read_layer(args.file, swap_xy=args.swap_xy, encoding=args.encoding)
    name = args.name or gdf.attrs["name"]
    Workspace().save(name, gdf, kind="import", source=Path(args.file).name)
    for repair in gdf.attrs.get("repairs", []):
        sys.stderr.write(f"{PROG}: repaired {repair}\n")
    sys.stderr.write(f"{PROG}: imported {len(gdf)} features into the workspace as {name!r}\n")
    return 0


def _cmd_workspace(args: argparse.Namespace) -> int:
    from geo.workspace import Workspace

    workspace = Workspace()
    if args.delete:
        workspace.delete(args.delete)
        sys.stderr.write(f"{PROG}: deleted {args.delete!r} from the workspace\n")
        return 0
    sys.stdout.write(workspace.index().to_csv(sep="\t", index=False))
    return 0


def _cmd_nearest(args: argparse.Namespace) -> int:
    from geo.proximity import nearest, nearest_lines

    import layers

    sources, targets = (layers.by_id(_load(n)) for n in (args.source_layer, args.target_layer))
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
    p_export.add_argument("layer", help="layer name (see 'mineral-atlas layers' and 'mineral-atlas workspace')")
    p_export.add_argument("--format", choices=list(EXPORT_FORMATS), help="output format (default: from the file extension, else geojson)")
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
    p_import = sub.add_parser("import", help="read a file (GeoJSON, GeoPackage, CSV, KML/KMZ, zipped Shapefile, GeoParquet) into the workspace")
    p_import.add_argument("file", help="the file to import")
    p_import.add_argument("--name", help="layer name in the workspace (default: the file name)")
    p_import.add_argument("--swap-xy", action="store_true", help="swap lat/lon of every vertex")
    p_import.add_argument("--encoding", default="utf-8", help="text encoding of CSV/GeoJSON (default utf-8)")
    p_import.set_defaults(func=_cmd_import)
    p_ws = sub.add_parser("workspace", help="list the workspace's layers, or delete one")
    p_ws.add_argument("--delete", metavar="NAME", help="delete this layer")
    p_ws.set_defaults(func=_cmd_workspace)
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

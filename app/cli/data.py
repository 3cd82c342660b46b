"""Commands on the layers and the workspace: ``layers``, ``audit``, ``export``, ``import``, ``workspace``.

Each ``_cmd_*`` function runs one subcommand from its parsed arguments; each ``add_*`` function adds
that subcommand's parser (:func:`app.cli.build_parser` calls them in the order of ``--help``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli._common import PROG, Subparsers, load_layer, write_result
from geo.settings import EXPORT_FORMATS, GEOJSON_PRECISION


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
    write_result(
        load_layer(args.layer, args.user),
        args.output,
        what=args.layer,
        precision=args.precision,
        fmt=args.format,
    )
    return 0


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


def add_layers(sub: Subparsers) -> None:
    """The ``layers`` subcommand."""
    p_layers = sub.add_parser("layers", help="list the layers with their feature counts")
    p_layers.set_defaults(func=_cmd_layers)


def add_export(sub: Subparsers) -> None:
    """The ``export`` subcommand."""
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


def add_audit(sub: Subparsers) -> None:
    """The ``audit`` subcommand."""
    p_audit = sub.add_parser(
        "audit", help="provenance audit: records and claims by basis, undated sources, assumed values"
    )
    p_audit.add_argument("--csv", action="store_true", help="the per-layer table as CSV")
    p_audit.set_defaults(func=_cmd_audit)


def add_import(sub: Subparsers) -> None:
    """The ``import`` subcommand."""
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


def add_workspace(sub: Subparsers) -> None:
    """The ``workspace`` subcommand."""
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

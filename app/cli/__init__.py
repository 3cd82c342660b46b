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

Where the commands live: :mod:`app.cli.data` (layers, audit, export, import, workspace),
:mod:`app.cli.siting` (site-select, allocate), :mod:`app.cli.routing` (route),
:mod:`app.cli.analysis` (nearest, corridor, service-area, select); the pieces they share (usage
errors, layer look-up, output, ``--report``) in :mod:`app.cli._common`. This module assembles
their parsers into one ``--help`` and runs :func:`main`. Each command imports its heavy libraries
(geopandas, the analysis engines, the report) only when it runs, so that the CLI starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from app.cli import analysis, data, routing, siting
from app.cli._common import PROG, Parser, check_report_folder
from geo import CRSError, ExportError, InputError, LayerError
from geo.settings import LOCAL_USER

__all__ = ["PROG", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mineral-atlas``."""
    parser = Parser(
        prog=PROG,
        description="Mineral Atlas: battery and critical-minerals facilities, blocks, ports and demand.",
    )
    parser.add_argument(
        "--user",
        default=os.environ.get("MINERAL_ATLAS_USER") or LOCAL_USER,
        help="whose workspace (default: $MINERAL_ATLAS_USER, else 'local')",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for add in (  # in the order of --help
        data.add_layers,
        data.add_export,
        data.add_audit,
        analysis.add_nearest,
        data.add_import,
        data.add_workspace,
        siting.add_site_select,
        siting.add_allocate,
        routing.add_route,
        analysis.add_corridor,
        analysis.add_service_area,
        analysis.add_select,
    ):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        check_report_folder(getattr(args, "report", None))  # before the work, not after it
        return int(args.func(args))
    except (LayerError, ExportError, CRSError, InputError) as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2

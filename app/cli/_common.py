"""Pieces the ``mineral-atlas`` commands share: the one-line usage error, layer look-up, output.

:class:`Parser` prints usage errors on one line; :func:`load_layer` finds a built-in or workspace
layer; :func:`write_result` writes a result (GeoJSON or another format, or standard output);
:func:`report_option`, :func:`check_report_folder` and :func:`save_report` serve ``--report``;
:func:`positive` is an argparse type; :func:`concat` and :func:`pd_concat_rows` stack frames.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from geo import ExportError
from geo.settings import GEOJSON_PRECISION

if TYPE_CHECKING:
    import geopandas as gpd

    from app.report import Report

#: What ``add_subparsers`` returns: each command module adds its parsers to it.
Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"

PROG = "mineral-atlas"


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def write_result(
    gdf: gpd.GeoDataFrame,
    output: str,
    *,
    what: str,
    precision: int = GEOJSON_PRECISION,
    fmt: str | None = None,
) -> None:
    """Write ``gdf`` to ``output`` (``-`` for standard output) and say so on standard error."""
    from geo.export import to_bytes, to_geojson, write_geojson, write_layer

    if output == "-":
        if fmt in (None, "geojson"):
            sys.stdout.write(to_geojson(gdf, precision=precision, argument=what) + "\n")
        else:
            sys.stdout.buffer.write(to_bytes(gdf, fmt, layer_name=layer_name(what), argument=what))
        return
    if fmt in (None, "geojson") and (fmt == "geojson" or output.lower().endswith((".geojson", ".json"))):
        path = write_geojson(gdf, output, precision=precision, argument=what)
    else:
        path = write_layer(gdf, output, fmt=fmt, layer_name=layer_name(what), argument=what)
    sys.stderr.write(f"{PROG}: wrote {len(gdf)} features of {what} to {path}\n")


def layer_name(what: str) -> str:
    """``what`` as a layer name inside a file: letters, digits, ``-`` and ``_``, at most 60."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in what)[:60] or "layer"


class UserLayers(Mapping[str, "gpd.GeoDataFrame"]):
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


class Builtin(Mapping[str, "gpd.GeoDataFrame"]):
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


def load_layer(name: str, user: str) -> gpd.GeoDataFrame:
    """A built-in layer, else a layer of ``user``'s workspace (their own or one shared with them)."""
    from app.workflows import lookup_layer

    return lookup_layer(name, Builtin(), UserLayers(user))


def concat(frames: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """``frames`` stacked into one GeoDataFrame in the CRS of the first."""
    import geopandas as gpd
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)


def pd_concat_rows(first: gpd.GeoDataFrame | None, more: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``first`` and ``more`` stacked (``more`` alone when ``first`` is None)."""
    return more if first is None else concat([first, more])


def check_report_folder(path: str | None) -> None:
    """Refuse a ``--report`` path whose folder does not exist (the analysis would be lost)."""
    if path is None:
        return
    folder = Path(path).parent
    if not folder.is_dir():
        msg = f"--report: folder {str(folder)!r} of {path!r} does not exist"
        raise ExportError(msg)


def save_report(report: Report, path: str) -> None:
    """Write ``report`` as a PDF to ``path`` and say so on standard error."""
    from app.report import write_report

    written = write_report(report, path)
    sys.stderr.write(f"{PROG}: wrote the report {report.title!r} to {written}\n")


def report_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--report PDF`` to a command's parser."""
    parser.add_argument(
        "--report",
        metavar="PDF",
        help="also write a PDF report: map, result table, charts, parameters, date and sources",
    )


def positive(text: str) -> float:
    """A number > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value

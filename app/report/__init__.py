"""Analysis reports as PDF: what each of the atlas's analyses puts in its report, and the sources.

Builders: :func:`site_selection_report`, :func:`route_comparison_report`, :func:`corridor_report`,
:func:`service_area_report`; each returns a :class:`Report` (a title, the layers of its map, a result
table, charts, parameters, notes and every source: the attribution of each layer shown and the
``source`` of each record drawn, :func:`layer_sources`). Then :func:`report_pdf` (bytes) or
:func:`write_report` (a file, written atomically). :func:`static_map_png` draws any layers as a PNG.

Where the rest lives: one module per report, kept alike: :mod:`app.report.siting`,
:mod:`app.report.routes`, :mod:`app.report.corridor`, :mod:`app.report.service_areas`; what they
share (citations, context layers) in :mod:`app.report.common`; the document and its PDF typesetting
in :mod:`app.pdf`, the map drawing in :mod:`app.static_map`. Their public names are importable from
here.
"""

from __future__ import annotations

from app.pdf import MAX_TABLE_ROWS, Chart, Report, report_pdf, write_report
from app.report.common import MAX_SOURCES_PER_LAYER, layer_sources
from app.report.corridor import corridor_report
from app.report.routes import route_comparison_report
from app.report.service_areas import service_area_report
from app.report.siting import site_selection_report
from app.static_map import (
    BASEMAP_ATTRIBUTION,
    LAYER_COLORS,
    MODE_COLORS,
    MapLayer,
    map_bounds,
    scale_bar_km,
    static_map_png,
)

__all__ = [
    "BASEMAP_ATTRIBUTION",
    "LAYER_COLORS",
    "MAX_SOURCES_PER_LAYER",
    "MAX_TABLE_ROWS",
    "MODE_COLORS",
    "Chart",
    "MapLayer",
    "Report",
    "corridor_report",
    "layer_sources",
    "map_bounds",
    "report_pdf",
    "route_comparison_report",
    "scale_bar_km",
    "service_area_report",
    "site_selection_report",
    "static_map_png",
    "write_report",
]

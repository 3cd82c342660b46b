"""The report document (:class:`Report`, :class:`Chart`) and its PDF, typeset with reportlab.

Page 1 is the map (:func:`app.static_map.draw_map`) under the title and the key figures; then the
result table, the charts two to a row, the parameters, the notes, the date and every source. Text
is set in DejaVu Sans (shipped with matplotlib) so names such as "Tōyō" print. Feature properties
are data: every text is escaped before reportlab reads its mini-markup. What each analysis puts in
a report is :mod:`app.report`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from app.static_map import MapLayer, draw_map, figure_png
from geo import ExportError
from geo.export import atomic_write_bytes

#: Most rows of a result table printed in a report.
MAX_TABLE_ROWS = 30


@dataclass(frozen=True)
class Chart:
    """A chart of a report: a title and a function drawing it on matplotlib axes."""

    title: str
    draw: Callable[[Axes], None]
    caption: str = ""


@dataclass
class Report:
    """Everything a report prints; see the module docstring for the layout.

    Attributes
    ----------
    title : str
        The report's title (page 1 and every footer).
    analysis : str
        What was computed ("Site selection", "Route comparison", ...).
    map_layers : list of MapLayer
        The map, drawn in order (the first under the others).
    table : pandas.DataFrame
        The result table (at most :data:`MAX_TABLE_ROWS` rows are printed; the count is said).
    table_title : str
        Heading of the table.
    parameters : dict
        Parameters of the analysis, printed as a two-column table.
    charts : list of Chart
        Charts printed two to a row.
    sources : list of str
        Every source cited (see :func:`app.report.layer_sources`).
    summary : dict
        Key figures printed under the title on page 1.
    notes : list of str
        Remarks printed before the sources (method, caveats).
    created : datetime
        When the report was made (UTC).
    """

    title: str
    analysis: str
    map_layers: list[MapLayer]
    table: pd.DataFrame
    table_title: str = "Results"
    parameters: dict[str, Any] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _chart_png(chart: Chart, *, size_in: tuple[float, float] = (4.6, 2.8)) -> bytes:
    """The chart as a PNG (its title is printed as text above it, not in the image)."""
    figure = Figure(figsize=size_in, dpi=160, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    chart.draw(ax)
    ax.tick_params(labelsize=6.5)
    ax.xaxis.label.set_fontsize(7)
    ax.yaxis.label.set_fontsize(7)
    return figure_png(figure)


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (regular, bold) from matplotlib's data folder, registered with reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")
    return "DejaVuSans", "DejaVuSans-Bold"


def _text(value: Any) -> str:
    """A table cell's text: numbers rounded for reading, missing values empty."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:,.1f}"
        if abs(v) >= 0.01:
            return f"{v:.3f}".rstrip("0").rstrip(".")
        return f"{v:.2e}"
    if isinstance(value, shapely.Geometry):
        return value.geom_type
    return str(value)


def _column_widths(headers: Sequence[str], cells: Sequence[Sequence[str]], width: float) -> list[float]:
    """Column widths (points) that keep headers on one line where they can and share the rest by content."""
    per_char, padding = 3.9, 6.0
    natural = np.array(
        [min(max([len(h)] + [len(c) for c in col]), 48) for h, col in zip(headers, cells, strict=True)]
    )
    least = np.array([min(len(h), 14) for h in headers])
    natural_pt = natural * per_char + padding
    least_pt = np.minimum(least * per_char + padding, natural_pt)
    if natural_pt.sum() <= width:
        return list(natural_pt * width / natural_pt.sum())
    spare = max(width - least_pt.sum(), 0.0)
    extra = natural_pt - least_pt
    share = extra / extra.sum() if extra.sum() > 0 else np.zeros_like(extra)
    widths = least_pt + spare * share
    return list(widths * width / widths.sum())


def report_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4 landscape): map, summary, table, charts, parameters, notes, sources."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = _fonts()
    page_w, page_h = landscape(A4)
    margin = 12 * mm
    width = page_w - 2 * margin
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6)
    cell = ParagraphStyle("cell", parent=base, fontSize=6.8, leading=8)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=2)
    h3 = ParagraphStyle("h3", parent=base, fontName=bold, fontSize=8.5, leading=11, alignment=1)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=4
    )
    created = report.created.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    def para(text: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#616161"))
        canvas.drawString(margin, 7 * mm, f"Mineral Atlas · {report.title} · {created}")
        canvas.drawRightString(page_w - margin, 7 * mm, f"page {doc.page}")
        canvas.restoreState()

    story: list[Any] = [
        para(report.title, h1),
        para(f"{report.analysis} · made {created}", small),
        Spacer(1, 3 * mm),
    ]
    if report.summary:
        story.append(para(" · ".join(f"{k}: {_text(v)}" for k, v in report.summary.items()), base))
        story.append(Spacer(1, 2 * mm))
    map_h = page_h - 2 * margin - 40 * mm
    figure = Figure(figsize=(width / 72, map_h / 72), dpi=170, layout="constrained")
    FigureCanvasAgg(figure)
    draw_map(figure.add_subplot(), report.map_layers)
    story.append(Image(io.BytesIO(figure_png(figure)), width=width, height=map_h))
    story.append(PageBreak())

    shown = report.table.head(MAX_TABLE_ROWS)
    story.append(para(report.table_title, h2))
    if len(report.table) > len(shown):
        story.append(para(f"The first {len(shown)} of {len(report.table):,} rows.", small))
    if len(shown.columns):
        columns = [c for c in shown.columns if c != "geometry"]
        data = [[para(c, head) for c in columns]]
        data += [[para(_text(v), cell) for v in row] for row in shown[columns].itertuples(index=False)]
        widths = _column_widths(columns, [[_text(v) for v in shown[c]] for c in columns], width)
        table = Table(data, colWidths=list(widths), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#90a4ae")),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafafa")]),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        story.append(table)
    if report.charts:
        half = (width - 6 * mm) / 2
        images = []
        for chart in report.charts:
            image = Image(io.BytesIO(_chart_png(chart)), width=half, height=half * 2.8 / 4.6)
            images.append(
                [para(chart.title, h3), image, *([para(chart.caption, small)] if chart.caption else [])]
            )
        rows = [images[i : i + 2] for i in range(0, len(images), 2)]
        grid = Table(
            [[r[0], r[1] if len(r) > 1 else ""] for r in rows], colWidths=[half + 3 * mm, half + 3 * mm]
        )
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(KeepTogether([para("Charts", h2), grid]))
    parameters = [[para("parameter", head), para("value", head)]]
    parameters += [[para(k, cell), para(_text(v), cell)] for k, v in report.parameters.items()]
    parameters.append([para("report made", cell), para(created, cell)])
    ptable = Table(parameters, colWidths=[60 * mm, width - 60 * mm])
    ptable.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#90a4ae"))]))
    story.append(KeepTogether([para("Parameters", h2), ptable]))
    if report.notes:
        notes = [para(f"• {note}", small) for note in report.notes]
        story.append(KeepTogether([para("Notes", h2), notes[0]]))
        story.extend(notes[1:])
    sources = [para(f"{i}. {source}", small) for i, source in enumerate(report.sources, 1)]
    story.append(KeepTogether([para("Sources", h2), *sources[:1]]))
    story.extend(sources[1:])
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(page_w, page_h),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=report.title,
        author="Mineral Atlas",
        subject=report.analysis,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def write_report(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report's PDF to ``path`` atomically (a failed write leaves any earlier file as it was).

    Raises
    ------
    ExportError
        The file cannot be written (the message names it and the reason).
    """
    data = report_pdf(report)
    try:
        return atomic_write_bytes(path, data)
    except OSError as exc:
        msg = f"{path}: cannot write the report ({exc.strerror or exc})"
        raise ExportError(msg) from None

"""What a large layer looks like on the map: drawn whole while small, else aggregated or simplified.

The map document travels to the browser of every session that shows the layer, so a layer is drawn
whole only within a budget of features and vertices. Past it, points are counted in grid squares
(one polygon per occupied square, with its count) and lines or polygons are simplified until they
fit. Analyses and downloads always use the full layer; only the drawing changes, and the caller gets
a note that says how.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from geo.settings import MAX_DRAWN_CELLS, MAX_DRAWN_FEATURES, MAX_DRAWN_VERTICES, WGS84

#: Grid square sizes tried for point aggregation (degrees), finest first.
_CELL_DEGREES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def for_drawing(
    gdf: gpd.GeoDataFrame,
    *,
    max_features: int = MAX_DRAWN_FEATURES,
    max_vertices: int = MAX_DRAWN_VERTICES,
    max_cells: int = MAX_DRAWN_CELLS,
) -> tuple[gpd.GeoDataFrame, str | None]:
    """The frame to draw for ``gdf`` (EPSG:4326) and a note when it is not the layer itself.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer in EPSG:4326.
    max_features : int, keyword-only
        Largest number of features drawn one by one.
    max_vertices : int, keyword-only
        Largest number of vertices drawn.
    max_cells : int, keyword-only
        Largest number of grid squares a point layer is aggregated to.

    Returns
    -------
    (frame, note)
        ``gdf`` itself and ``None`` within the budget; otherwise grid squares with a ``features``
        count (points) or simplified geometries (lines, polygons), and a sentence saying so.
    """
    vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    if len(gdf) <= max_features and vertices <= max_vertices:
        return gdf, None
    if set(gdf.geom_type.unique()) <= {"Point"}:
        return _aggregate_points(gdf, max_cells=max_cells)
    return _simplify(gdf, max_vertices=max_vertices, vertices=vertices)


def _aggregate_points(gdf: gpd.GeoDataFrame, *, max_cells: int) -> tuple[gpd.GeoDataFrame, str]:
    xy = shapely.get_coordinates(gdf.geometry.values)
    for size in _CELL_DEGREES:
        col = np.floor((xy[:, 0] + 180.0) / size).astype(np.int64)
        row = np.floor((xy[:, 1] + 90.0) / size).astype(np.int64)
        cells, counts = np.unique(row * (math.ceil(360.0 / size) + 1) + col, return_counts=True)
        if len(cells) <= max_cells:
            break
    width = math.ceil(360.0 / size) + 1
    x0 = (cells % width) * size - 180.0
    y0 = (cells // width) * size - 90.0
    squares = shapely.box(x0, y0, np.minimum(x0 + size, 180.0), np.minimum(y0 + size, 90.0))
    frame = gpd.GeoDataFrame(
        {"name": [f"{c:,} features" for c in counts], "features": counts}, geometry=squares, crs=WGS84
    )
    note = (
        f"{len(gdf):,} points are drawn as {len(frame):,} grid squares of {size:g}° with their counts; "
        "analyses and downloads use every point."
    )
    return frame, note


def _simplify(gdf: gpd.GeoDataFrame, *, max_vertices: int, vertices: int) -> tuple[gpd.GeoDataFrame, str]:
    geometry = gdf.geometry.values
    tolerance = 1e-4
    while vertices > max_vertices and tolerance < 1.0:
        geometry = shapely.simplify(gdf.geometry.values, tolerance, preserve_topology=True)
        vertices = int(shapely.get_num_coordinates(geometry).sum())
        tolerance *= 2
    frame = gdf.set_geometry(gpd.GeoSeries(geometry, index=gdf.index, crs=gdf.crs))
    note = (
        f"drawn simplified to {vertices:,} vertices (to about {tolerance / 2 * 111:.1f} km); "
        "analyses and downloads use the full geometry."
    )
    if len(frame) > MAX_DRAWN_FEATURES:
        frame = frame.iloc[:MAX_DRAWN_FEATURES]
        note += f" Only the first {MAX_DRAWN_FEATURES:,} of {len(gdf):,} features are drawn."
    return frame, note

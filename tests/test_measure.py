"""Geodesic measures of drawn shapes, against closed forms on the WGS84 ellipsoid."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely

from geo import CRSError, InputError
from geo.measure import measure, measure_frame

A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)
E = math.sqrt(F * (2 - F))


def _quadrangle_km2(lat1: float, lat2: float, dlon: float) -> float:
    """Area between two parallels and two meridians on the ellipsoid (closed form, authalic)."""

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - (E * s) ** 2) + math.log((1 + E * s) / (1 - E * s)) / (2 * E)

    return B**2 * math.radians(dlon) / 2 * (q(lat2) - q(lat1)) / 1e6


def test_line_along_the_equator_and_a_meridian():
    assert measure(shapely.LineString([(0, 0), (1, 0)])).length_km == pytest.approx(
        A * math.pi / 180 / 1000, rel=1e-12
    )
    # a degree of latitude at the equator: the meridian arc, 110.574 km
    assert measure(shapely.LineString([(77, 0), (77, 1)])).length_km == pytest.approx(110.574, abs=1e-3)
    two = shapely.MultiLineString([[(0, 0), (1, 0)], [(0, 0), (0, 1)]])
    assert measure(two).length_km == pytest.approx(111.319 + 110.574, abs=2e-3)


@pytest.mark.parametrize("lat", [0.0, 28.0, 60.0])
def test_polygon_area_matches_the_ellipsoidal_quadrangle(lat):
    # the top and bottom edges are geodesics, not parallels: they differ by under 1e-4 of the area
    cell = shapely.box(77.0, lat, 78.0, lat + 1.0)
    m = measure(cell)
    assert m.shape == "polygon" and m.length_km == 0.0
    assert m.area_km2 == pytest.approx(_quadrangle_km2(lat, lat + 1.0, 1.0), rel=1e-4)
    clockwise = shapely.Polygon(list(cell.exterior.coords)[::-1])
    assert measure(clockwise).area_km2 == pytest.approx(m.area_km2, rel=1e-12)


def test_holes_are_subtracted_and_the_perimeter_is_the_outer_ring():
    outer = shapely.box(77.0, 28.0, 79.0, 30.0)
    hole = shapely.box(77.5, 28.5, 78.5, 29.5)
    with_hole = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])
    assert measure(with_hole).area_km2 == pytest.approx(
        measure(outer).area_km2 - measure(hole).area_km2, rel=1e-9
    )
    assert measure(with_hole).perimeter_km == pytest.approx(measure(outer).perimeter_km, rel=1e-9)


def test_text_reads_as_a_user_expects():
    assert measure(shapely.LineString([(0, 0), (1, 0)])).text() == "length 111 km"
    assert measure(shapely.box(77, 28, 78, 29)).text().startswith("area 10,8")
    assert measure(shapely.Point(77, 28)).text() == "a point"


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (shapely.Polygon(), "expected a point, line or polygon, got an empty shape"),
        (None, "expected a point, line or polygon, got an empty shape"),
        (shapely.GeometryCollection([shapely.Point(0, 0)]), "expected a point, line or polygon, got a Geo"),
        (shapely.LineString([(77, 28), (77, 95)]), "vertex 2 has latitude 95, outside -90..90"),
    ],
)
def test_bad_shapes_are_named(geom, message):
    with pytest.raises(InputError, match=f"drawn: {message}"):
        measure(geom, argument="drawn")


def test_measure_frame_reprojects_and_names_the_feature():
    lonlat = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[shapely.box(77, 28, 78, 29), shapely.LineString([(77, 28), (78, 28)])],
        crs="EPSG:4326",
    )
    projected = measure_frame(lonlat.to_crs("EPSG:32644"))
    assert projected.crs.to_epsg() == 4326
    assert projected["shape"].tolist() == ["polygon", "line"]
    assert projected["area_km2"].iloc[0] == pytest.approx(
        measure(shapely.box(77, 28, 78, 29)).area_km2, rel=1e-6
    )
    with pytest.raises(CRSError):
        measure_frame(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]))
    with pytest.raises(InputError, match="shapes: feature 2: expected a point, line or polygon"):
        measure_frame(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), None], crs="EPSG:4326"))

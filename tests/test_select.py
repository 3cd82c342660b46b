"""Select by location on small seeded frames: within a distance, inside polygons, along a route."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import CRSError, InputError
from geo.distance import GEOD
from geo.select import select_along_route, select_inside, select_within_distance


def _frame(geoms, ids=None, crs="EPSG:4326", **columns) -> gpd.GeoDataFrame:
    data = {"id": ids} if ids is not None else {}
    return gpd.GeoDataFrame({**data, **columns}, geometry=list(geoms), crs=crs)


def _km(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


def test_points_within_a_distance_of_points_are_exact():
    rng = np.random.default_rng(3)
    a = _frame(shapely.points(rng.uniform(70, 80, 40), rng.uniform(20, 30, 40)), [f"a{i}" for i in range(40)])
    b = _frame(shapely.points(rng.uniform(70, 80, 6), rng.uniform(20, 30, 6)), [f"b{i}" for i in range(6)])
    out = select_within_distance(a, b, distance_km=150.0, b_name="ports")
    ax, ay = a.geometry.x.to_numpy(), a.geometry.y.to_numpy()
    bx, by = b.geometry.x.to_numpy(), b.geometry.y.to_numpy()
    km = np.array(
        [[_km(x, y, u, v) for u, v in zip(bx, by, strict=True)] for x, y in zip(ax, ay, strict=True)]
    )
    expected = km.min(axis=1) <= 150.0
    assert 0 < expected.sum() < 40
    assert out["id"].tolist() == a["id"][expected].tolist()
    assert np.allclose(out["distance_km"], km.min(axis=1)[expected], rtol=1e-9)
    assert out["nearest_id"].tolist() == [f"b{j}" for j in km.argmin(axis=1)[expected]]
    assert (out["selected_by"] == "within 150 km of ports (geodesic)").all()
    assert out.attrs["selected_by"] == "within 150 km of ports (geodesic)"


def test_within_a_distance_of_polygons_lines_and_multipoints():
    a = _frame(
        [shapely.Point(0.0, 0.0), shapely.Point(1.0, 0.0), shapely.Point(2.0, 0.0), shapely.Point(5.0, 0.0)],
        ["on-line", "near-box", "in-box", "far"],
    )
    b = _frame(
        [
            shapely.box(1.5, -0.5, 2.5, 0.5),
            shapely.LineString([(-1.0, 0.5), (0.5, 0.5)]),
            shapely.MultiPoint([(5.0, 2.0), (9.0, 9.0)]),
        ],
        ["box", "road", "wells"],
    )
    out = select_within_distance(a, b, distance_km=60.0)
    assert out["id"].tolist() == ["on-line", "near-box", "in-box"]
    assert out["nearest_id"].tolist() == ["road", "box", "box"]
    assert out["distance_km"].iloc[0] == pytest.approx(_km(0.0, 0.0, 0.0, 0.5), rel=1e-3)
    assert out["distance_km"].iloc[1] == pytest.approx(_km(1.0, 0.0, 1.5, 0.0), rel=1e-3)
    assert out["distance_km"].iloc[2] == 0.0
    wider = select_within_distance(a, b, distance_km=230.0)
    assert wider["nearest_id"].tolist()[-1] == "wells"  # (5, 0) is 221 km from the well at (5, 2)
    assert wider["distance_km"].iloc[-1] == pytest.approx(_km(5.0, 0.0, 5.0, 2.0), rel=1e-6)


def test_polygons_and_lines_are_measured_at_their_nearest_part():
    a = _frame(
        [
            shapely.box(10.0, 10.0, 11.0, 11.0),
            shapely.LineString([(20.0, 0.0), (20.0, 5.0)]),
            shapely.box(30.0, 0.0, 31.0, 1.0),
        ],
        ["block", "rail", "overlap"],
    )
    b = _frame(
        [shapely.Point(11.5, 10.5), shapely.box(20.9, 2.0, 22.0, 3.0), shapely.box(30.5, 0.5, 32.0, 2.0)]
    )
    block_km = _km(11.0, 10.5, 11.5, 10.5)
    rail_km = _km(20.0, 2.5, 20.9, 2.5)
    out = select_within_distance(a, b, distance_km=max(block_km, rail_km) * 1.01)
    assert out["id"].tolist() == ["block", "rail", "overlap"]
    assert out["distance_km"].to_numpy() == pytest.approx([block_km, rail_km, 0.0], rel=1e-3)
    assert out["nearest_id"].tolist() == ["0", "1", "2"]  # no id column: the index labels
    near = select_within_distance(a, b, distance_km=min(block_km, rail_km) * 0.99)
    assert near["id"].tolist() == ["overlap"]
    touching = select_within_distance(a, b, distance_km=0)
    assert touching["id"].tolist() == ["overlap"]


def test_the_selection_keeps_the_frames_crs_and_columns():
    a = _frame([shapely.Point(77.5, 28.47), shapely.Point(80.0, 13.0)], ["noida", "chennai"], kind=["x", "y"])
    a_utm = a.to_crs("EPSG:32643")
    b = _frame([shapely.Point(77.2, 28.6)], ["delhi"])
    out = select_within_distance(a_utm, b, distance_km=50)
    assert out.crs == a_utm.crs and out["kind"].tolist() == ["x"]
    assert out.geometry.iloc[0].equals(a_utm.geometry.iloc[0])


def test_within_distance_checks_its_inputs():
    a = _frame([shapely.Point(0, 0)])
    with pytest.raises(InputError, match="distance_km: expected a distance in km >= 0, got -1"):
        select_within_distance(a, a, distance_km=-1)
    with pytest.raises(CRSError, match="b: GeoDataFrame has no CRS"):
        select_within_distance(a, gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]), distance_km=1)
    empty = _frame([shapely.Point(0, 0), shapely.Point()])
    with pytest.raises(InputError, match=r"a: feature 2 \(1\) has no geometry"):
        select_within_distance(empty, a, distance_km=1)
    assert len(select_within_distance(a, a.iloc[0:0], distance_km=1)) == 0


def test_inside_polygons():
    region = _frame(
        [shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], ["west", "east"], name=["West", "East"]
    )
    a = _frame(
        [
            shapely.Point(5, 5),
            shapely.Point(10, 5),  # on the boundary
            shapely.Point(15, 5),
            shapely.LineString([(25, 5), (35, 5)]),  # leaves the east polygon
            shapely.box(21, 1, 22, 2),
        ],
        ["p", "edge", "between", "line", "square"],
    )
    inside = select_inside(a, region, polygons_name="the drawn region")
    assert inside["id"].tolist() == ["p", "edge", "square"]
    assert inside["inside_id"].tolist() == ["west", "west", "east"]
    assert (inside["selected_by"] == "inside the drawn region").all()
    crossing = select_inside(a, region, predicate="intersects")
    assert crossing["id"].tolist() == ["p", "edge", "line", "square"]
    assert crossing["selected_by"].iloc[0] == "intersecting the polygons"
    with pytest.raises(InputError, match=r"polygons: feature 1 \(0\) is a Point; expected polygons"):
        select_inside(a, a)
    with pytest.raises(InputError, match="predicate: expected 'inside' or 'intersects', got 'near'"):
        select_inside(a, region, predicate="near")  # type: ignore[arg-type]


def test_along_a_route_made_of_legs():
    legs = _frame(
        [shapely.LineString([(77.0, 28.0), (78.0, 28.0)]), shapely.LineString([(78.0, 28.0), (78.0, 27.0)])],
        ["leg-0", "leg-1"],
    )
    a = _frame(
        [shapely.Point(78.1, 27.5), shapely.Point(77.2, 28.1), shapely.Point(77.5, 29.0)], ["c", "a", "far"]
    )
    out = select_along_route(a, legs, width_km=20, route_name="noida-agra")
    assert out["id"].tolist() == ["a", "c"]  # ordered along the route
    assert out["side"].tolist() == ["left", "left"]
    # the leg is the geodesic from (77, 28) to (78, 28), which bows a little north of the parallel
    on_leg = np.array(GEOD.npts(77.0, 28.0, 78.0, 28.0, 2000))
    nearest = min(_km(77.2, 28.1, x, y) for x, y in on_leg)
    assert out["distance_to_route_km"].iloc[0] == pytest.approx(nearest, rel=1e-3)
    assert nearest < _km(77.2, 28.1, 77.2, 28.0)
    assert (out["selected_by"] == "within 20 km of the route noida-agra (geodesic)").all()
    with pytest.raises(InputError, match="route: expected at least one line"):
        select_along_route(a, legs.iloc[0:0], width_km=20)

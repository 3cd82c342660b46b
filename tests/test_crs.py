import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo._errors import CRSError
from geo.crs import require_crs, to_wgs84


def test_missing_crs_is_an_error(points):
    with pytest.raises(CRSError, match="sources: GeoDataFrame has no CRS"):
        require_crs(points.set_crs(None, allow_override=True), argument="sources")


def test_not_a_geodataframe_is_an_error():
    with pytest.raises(CRSError, match="targets: expected a GeoDataFrame, got DataFrame"):
        require_crs(pd.DataFrame({"a": [1]}), argument="targets")


def test_to_wgs84_reprojects_without_touching_the_input(points):
    projected = points.to_crs("EPSG:7755")
    back = to_wgs84(projected, argument="layer")
    assert back.crs.equals("EPSG:4326")
    assert projected.crs.equals("EPSG:7755")
    assert back.geometry.geom_equals_exact(points.geometry, tolerance=1e-7).all()


def test_to_wgs84_returns_a_copy(points):
    out = to_wgs84(points, argument="layer")
    out.loc[0, "name"] = "changed"
    assert points.loc[0, "name"] == "Alpha"


def test_empty_frame_passes():
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:3857")
    assert to_wgs84(empty, argument="x").empty
    assert shapely.Point(0, 0).is_valid

import pytest
import shapely

from geo._errors import LayerError
from layers._schema import valid_source_date, validate


def _check(gdf, **kw):
    return validate(gdf, source="data/test.csv", **kw)


def test_valid_layer_passes(points):
    assert _check(points, geom_types=("Point",)) is points


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("kind", "mine", r"feature 'a': kind 'mine' is not one of"),
        ("status", "dreaming", r"feature 'a': status 'dreaming' is not one of"),
        (
            "status",
            "joint_venture",
            r"feature 'a': status 'joint_venture' is not one of",
        ),  # an ownership form
        ("source", "news report; shared/sources/000", r"feature 'a': source names a file path"),
        ("country", "XX", r"feature 'a': country 'XX' is not one of"),
        ("location_precision", "street", r"feature 'a': location_precision 'street' is not one of"),
        ("materials", "Li;unobtainium", r"feature 'a': materials 'unobtainium' is not one of"),
        ("source", "", r"feature 'a': source is empty"),
        (
            "source_date",
            "10/07/2025",
            r"feature 'a': source_date '10/07/2025' is not YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        ("source_date", "2025-02-30", r"source_date '2025-02-30' is not YYYY"),
        ("id", "Bad Id", r"feature #0: id 'Bad Id' is not a slug"),
    ],
)
def test_each_domain_problem_is_named(points, column, value, message):
    points.loc[0, column] = value
    with pytest.raises(LayerError, match=rf"^data/test.csv: .*{message}"):
        _check(points)


def test_duplicate_ids(points):
    points.loc[1, "id"] = "a"
    with pytest.raises(LayerError, match="feature 'a': id is not unique"):
        _check(points)


def test_missing_columns(points):
    with pytest.raises(LayerError, match="data/test.csv: missing required column\\(s\\) source, notes"):
        _check(points.drop(columns=["source", "notes"]))


def test_wrong_crs(points):
    with pytest.raises(LayerError, match="layer CRS must be EPSG:4326"):
        _check(points.to_crs("EPSG:3857"))


def test_out_of_range_coordinates(points):
    points.loc[2, "geometry"] = shapely.Point(200, 95)
    with pytest.raises(LayerError, match="feature 'c': coordinates out of range"):
        _check(points)


def test_wrong_and_missing_geometry(points):
    points.loc[0, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    points.loc[1, "geometry"] = None
    with pytest.raises(
        LayerError,
        match="feature 'a': geometry type LineString is not one of Point.*feature 'b': geometry is missing",
    ):
        _check(points)


def test_invalid_polygon(points):
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    points.loc[0, "geometry"] = bowtie
    with pytest.raises(LayerError, match="feature 'a': invalid geometry \\(Self-intersection"):
        _check(points, geom_types=("Point", "Polygon"))


def test_many_problems_are_counted(points):
    points["kind"] = "mine"
    points["status"] = "x"
    with pytest.raises(LayerError, match="and 1 more problems"):
        _check(points)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("2025", True), ("2025-07", True), ("2025-07-10", True), ("2025-13", False), ("July 2025", False)],
)
def test_source_date_formats(value, ok):
    assert valid_source_date(value) is ok

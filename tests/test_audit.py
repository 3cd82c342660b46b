"""The provenance audit: per-layer counts that agree with the files, and the lists a reviewer reads."""

from __future__ import annotations

import pandas as pd

from geo.settings import DATA_DIR
from layers.audit import AUDIT_COLUMNS, assumed_values, audit, report, undated_sources


def _files():
    claims = pd.read_csv(DATA_DIR / "claims.csv", dtype=str, keep_default_na=False)
    sources = pd.read_csv(DATA_DIR / "sources.csv", dtype=str, keep_default_na=False).set_index("id")
    facilities = pd.read_csv(DATA_DIR / "facilities.csv", dtype=str, keep_default_na=False)
    routes = pd.read_csv(DATA_DIR / "routes.csv", dtype=str, keep_default_na=False)
    return claims, sources, facilities, routes


def test_audit_counts_agree_with_the_files():
    claims, sources, facilities, routes = _files()
    table = audit().set_index("layer")
    assert list(table.reset_index().columns) == list(AUDIT_COLUMNS)
    assert list(table.index) == ["facilities", "lithium_blocks", "routes", "ports", "demand", "countries"]
    assert table["claims"].sum() == len(claims)  # every claim belongs to a layer's record
    for basis in ("reported", "assumed", "scenario"):
        assert table[basis].sum() == (claims["basis"] == basis).sum()
    fac = table.loc["facilities"]
    mine = claims[claims["record_id"].isin(facilities["id"])]
    assert fac["records"] == len(facilities) >= 41
    assert fac["sources_cited"] == mine["source_id"].replace("", pd.NA).dropna().nunique()
    assert fac["sources_undated"] == (sources.loc[sorted(set(mine["source_id"]) - {""}), "date"] == "").sum()
    assert fac["placements_assumed"] == facilities["placement"].str.startswith("assumed").sum() == 3
    assert fac["coarse_points"] == facilities["location_precision"].isin(["region", "country"]).sum()
    assert table.loc["routes", "scenario"] == (routes["basis"] == "scenario").sum()
    assert table.loc["lithium_blocks", "schematic_geometries"] == 2
    assert table.loc[["ports", "demand", "countries"], "claims"].eq(0).all()


def test_assumed_values_name_record_field_and_reason():
    claims, *_ = _files()
    listed = assumed_values()
    assert len(listed) == (claims["basis"] != "reported").sum()
    capacity = listed[(listed["record_id"] == "lohum-greater-noida-li") & (listed["field"] == "capacity")]
    assert capacity["value"].tolist() == ["1,000 t/yr battery-grade lithium"]
    assert capacity["reason"].str.contains("without naming its site").all()
    flows = listed[listed["layer"] == "routes"]
    assert set(flows["basis"]) == {"scenario"} and flows["value"].str.len().gt(20).all()


def test_undated_sources_are_listed_with_their_use():
    _, sources, *_ = _files()
    undated = undated_sources()
    assert set(undated["id"]) == set(sources.index[sources["date"] == ""])
    assert undated.set_index("id").loc["chargedevs-panasonic-smm", "claims"] == 0  # cited in about.md only
    assert undated["claims"].sum() > 0


def test_report_is_the_text_a_reviewer_reads():
    text = report()
    assert text.startswith("Provenance audit: claims by basis per layer\n")
    assert "facilities" in text and "lithium_blocks" in text and "routes" in text
    assert "Assumed values and scenario flows (" in text and "Sources without a date (" in text
    assert "facilities/lohum-greater-noida-li.capacity [assumed]" in text
    assert "shared/" not in text

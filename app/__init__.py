"""The Mineral Atlas application: pages, CLI, ASGI entry (``app.asgi``) and the OGC API (``app.ogc``)."""

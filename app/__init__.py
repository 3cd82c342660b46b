"""The Mineral Atlas application: the Streamlit pages, the command line and the workflows both share.

Modules
-------
context     the typed :class:`~app.context.PageContext` every page reads
cache       the ``st.cache_data`` / ``st.cache_resource`` wrappers, in one place
widgets     small widget helpers (downloads, histograms, workspace saves)
sidebar     layer choice, filters, basemap and the user's data panel
workflows   inputs -> engine -> result frame, written once for the pages and the CLI
pages       one module per tab
cli         the ``mineral-atlas`` command line
identity    who is using the session (login, trusted proxy header, or the local user)
store       the users' workspaces: GeoPackage (embedded) or PostGIS (teams)
asgi        the ASGI entry (st.App): gzip, warm-up, /health and the OGC API at /ogc
compression gzip for every compressible response (Streamlit's scripts too)
warmup      the warm-up behind /health
ogc         OGC API – Features over the built-in layers and the saved analyses
"""

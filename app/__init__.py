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
"""
